"""A page's body decoded and parsed once, into the lxml tree metadata, pruning and
extraction share (:func:`parse_page`).

trafilatura's ``load_html`` takes a str: it removes XML-invalid control characters again
(:func:`archive.sanitize.xml_safe_html_utf8` has, ~0.3 ms a page), then hands the str to
libxml2, which wants bytes. Here the page arrives clean and UTF-8 encoded; what is left of
``load_html`` is its two repairs for libxml2 and its test that the result is HTML at all.
Measured on the 115 pages of the extraction benchmark: 2.8 -> 1.7 ms a page (issue 10),
with the same trees.

The parser takes trafilatura's options, with one change: lxml.html's parser finds each
element's Python class with a Python method (``HtmlElementClassLookup.lookup``: form
fields get classes of their own), called every time code touches an element it has not
touched yet, ~1,900 times a page through pruning, trafilatura and metadata. Nothing here
or in trafilatura, htmldate or justext uses those form classes; every element is an
``HtmlElement`` (``text_content()``, ``isinstance`` checks) through lxml's own lookup in
C: 0.7 ms a page less on one walk of the benchmark's trees, the same elements and text.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml.etree import ElementDefaultClassLookup, ParserError
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from w3lib.encoding import html_to_unicode

from archive.sanitize import xml_safe_html_utf8


def _html_parser() -> HTMLParser:
    # trafilatura.utils.HTML_PARSER's options; elements get their classes from C
    parser = HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    return parser


HTML_PARSER = _html_parser()

# libxml2 mis-parses a page whose first-line doctype holds a "/" (lxml bug 1955915):
# trafilatura drops that doctype, and so does this
_SLASHED_DOCTYPE = re.compile(rb"^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
# ... and turns a self-closing <html .../> in the first lines into an open tag
_SELF_CLOSED_HTML = re.compile(rb"(<html.*?)\s*/>", re.IGNORECASE)
# libxml2 ends the document at the first </html> and drops what follows, where browsers
# read on (HTML's "after after body" mode puts it back in the body): a page whose header
# template closes body and html before the article lost the article (WCEB 0310: F1 0.04
# -> 0.97; no other page of either benchmark set changes). An end tag before the page's
# last _END_TAG_TAIL bytes is dropped. Found in lower or upper case, not case-blind (a
# mixed-case one stays as libxml2 reads it), in one regex scan: 0.20 ms a page against
# 0.36 for a byte search of each case.
_EARLY_HTML_END = re.compile(rb"</(?:html|HTML)")
_HTML_END = re.compile(rb"</html\s*>", re.IGNORECASE)
_END_TAG_TAIL = 1024
# how far into the page those repairs and the "is it HTML" test look (trafilatura's)
_HEAD_CHARS = 50
_HEAD_LINES_CHARS = 4096


def parse_html(source: bytes) -> HtmlElement | None:
    """Parse a page's markup.

    :param source: the page, UTF-8 encoded, without XML-invalid characters
    :returns: the tree, or None when the text is not HTML (no "html" near its start and
        fewer than two top-level elements: a plain-text or JSON body)
    """
    beginning = source[:_HEAD_CHARS].lower()
    if b"doctype" in beginning:
        first, newline, rest = source.partition(b"\n")
        source = _SLASHED_DOCTYPE.sub(b"", first, count=1) + newline + rest
    for line in source[:_HEAD_LINES_CHARS].splitlines()[:4]:
        if b"<html" in line and line.endswith(b"/>"):
            source = _SELF_CLOSED_HTML.sub(rb"\1>", source, count=1)
            break
    early = len(source) - _END_TAG_TAIL
    if early > 0 and _EARLY_HTML_END.search(source, 0, early) is not None:
        source = _HTML_END.sub(b"", source)
    try:
        tree: HtmlElement = fromstring(source, parser=HTML_PARSER)
    except (ParserError, ValueError):  # a document with no element in it
        return None
    if b"html" not in beginning and len(tree) < 2:
        return None
    return tree


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML body the way browsers do: BOM, then HTTP charset, then <meta>, then
    detection; undecodable bytes become U+FFFD rather than an error.

    :returns: (text, encoding used)
    """
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_guess_encoding)
    return text, encoding


def _guess_encoding(body: bytes) -> str:
    # Nothing declared: valid UTF-8 is UTF-8; otherwise windows-1252, the fallback the
    # HTML standard gives browsers for undeclared Western pages (it decodes every byte).
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


@dataclass(slots=True)
class ParsedPage:
    """A response body as the extractor works on it."""

    tree: HtmlElement
    source: bytes  # the markup the tree was parsed from: UTF-8, XML-safe
    encoding: str  # the body's encoding, as :func:`decode_html` found it


def parse_page(body: bytes, content_type: str | None = None) -> ParsedPage | None:
    """Decode, make XML-safe and parse a response body.

    :param body: the raw response body
    :param content_type: the Content-Type header, for its charset
    :returns: None when the body is not HTML (see :func:`parse_html`)
    """
    html, encoding = decode_html(body, content_type)
    # a UTF-8 body decoded without a replacement (and without a BOM, which decoding
    # drops) is the UTF-8 encoding of ``html`` already: 0.26 ms a page not spent
    # encoding it again
    as_is = encoding == "utf-8" and not body.startswith(codecs.BOM_UTF8) and "\ufffd" not in html
    source = xml_safe_html_utf8(html, encoded=body if as_is else None)
    tree = parse_html(source)
    return None if tree is None else ParsedPage(tree, source, encoding)
