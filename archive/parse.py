"""A page's markup parsed once, into the lxml tree metadata, pruning and extraction share.

trafilatura's ``load_html`` takes a str: it removes XML-invalid control characters again
(:func:`archive.sanitize.xml_safe_html_utf8` has, ~0.9 ms a page), then hands the str to
libxml2, which wants bytes. Here the page arrives clean and UTF-8 encoded; what is left of
``load_html`` is its two repairs for libxml2 and its test that the result is HTML at all.
Measured on the 115 pages of the extraction benchmark: 2.8 -> 1.7 ms a page (issue 10),
with the same trees (trafilatura's own parser object is used, so its options stay theirs).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml.etree import ParserError
from lxml.html import fromstring
from trafilatura.utils import HTML_PARSER

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# libxml2 mis-parses a page whose first-line doctype holds a "/" (lxml bug 1955915):
# trafilatura drops that doctype, and so does this
_SLASHED_DOCTYPE = re.compile(rb"^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
# ... and turns a self-closing <html .../> in the first lines into an open tag
_SELF_CLOSED_HTML = re.compile(rb"(<html.*?)\s*/>", re.IGNORECASE)
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
    try:
        tree: HtmlElement = fromstring(source, parser=HTML_PARSER)
    except (ParserError, ValueError):  # a document with no element in it
        return None
    if b"html" not in beginning and len(tree) < 2:
        return None
    return tree
