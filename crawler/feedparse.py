"""Parse RSS 2.0, RSS 1.0 (RDF) and Atom feeds into entries with absolute article URLs.

Pure functions, no Scrapy: the feed spider, the tests and the sitemap parser share them.
The XML is parsed by lxml with entity expansion, DTD loading and network access switched
off, so a hostile feed can neither blow up memory (billion laughs) nor read local files or
internal URLs (external entities). The XML helpers shared with ``crawler.sitemapparse``
(``safe_parser_options``, ``repair_xml``, ``pull_parse``) live here to keep one copy of the safety
rules; ``http_url`` is the archive's (``archive.sanitize``), which applies it to page
metadata, and dates are read by the archive's one date parser (``archive.dates``).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import re
from dataclasses import dataclass
from html.entities import html5 as HTML5_ENTITIES
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin

import lxml.html
from lxml import etree

# shared with the archive, which owns the rule: page metadata must pass it too
from archive.dates import normalise_date
from archive.sanitize import http_url

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from lxml.etree import _Element

# Feeds this large are read entry by entry (see _stream_feed); smaller ones as one tree,
# which is as fast and keeps recover mode's repairs one step away.
STREAM_FEED_MIN_BYTES = 1 << 20
# Bytes handed to a pull parser at once (streamed feeds and sitemaps): events are read and
# elements dropped between chunks, so the tree never holds more than about a chunk's worth
# of entries.
PULL_CHUNK_BYTES = 1 << 20

# Summaries are for listings and search snippets; the article text itself comes from the
# page. Feeds that stuff whole articles into content:encoded would otherwise make every
# item carry tens of kilobytes.
SUMMARY_MAX_CHARS = 1000

# HTML of a summary is cut to this many characters before tags are stripped: enough markup
# to yield SUMMARY_MAX_CHARS of text even for image-heavy content:encoded, while bounding
# the work per item on feeds with tens of thousands of items.
SUMMARY_SOURCE_MAX_CHARS = 100_000

# The XML declaration must be the very first thing in a document; looking further for an
# encoding name would only find text.
XML_DECLARATION_SNIFF_BYTES = 256

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM03_NS = "http://purl.org/atom/ns#"
ATOM_NAMESPACES = frozenset({ATOM_NS, ATOM03_NS})
# A <feed> without a namespace is read as Atom too: feedparser does, and such feeds exist.
_ATOM_ROOT_NAMESPACES = frozenset({ATOM_NS, ATOM03_NS, None})
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS10_NS = "http://purl.org/rss/1.0/"
RSS090_NS = "http://my.netscape.com/rdf/simple/0.9/"
# <item> of RSS 2.0 (no namespace), RSS 1.0 and RSS 0.90.
_ITEM_TAGS = frozenset({"item", f"{{{RSS10_NS}}}item", f"{{{RSS090_NS}}}item"})
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

# Elements after which text of adjacent blocks must not run together ("One</p><p>Two").
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Their content is code or styling, never text meant for readers.
SKIPPED_HTML_TAGS = frozenset({"script", "style", "template"})


class FeedError(ValueError):
    """A body that is not a usable feed; the message names the URL and the reason."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, pointing at an article page."""

    url: str
    title: str | None
    published: str | None
    author: str | None
    tags: tuple[str, ...]
    summary: str | None


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed; ``recovered`` is True when malformed XML was parsed in recover mode."""

    kind: str
    title: str | None
    entries: tuple[FeedEntry, ...]
    recovered: bool


def parse_feed(body: bytes, base_url: str, content_type: str | None = None) -> Feed:
    """Parse an RSS 2.0, RSS 1.0 (RDF), Atom, CDF or JSON Feed (1.0, 1.1).

    :param body: the raw (already decompressed) bytes of the response; the encoding is
        taken from the BOM, else the HTTP charset, else the XML declaration.
    :param base_url: URL the feed was fetched from; relative links are resolved against
        it (and against any ``xml:base`` in the document).
    :param content_type: the response's Content-Type header, for its charset.
    :raises FeedError: for an empty body, non-XML, XML that is not a feed, or malformed
        XML from which no entry could be recovered.
    """
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _json_feed(body, base_url)
    if len(body) >= STREAM_FEED_MIN_BYTES:
        streamed = _stream_feed(body, base_url, http_charset(content_type))
        if streamed is not None:
            return streamed
    root, recovered = load_xml(body, base_url, FeedError, http_charset(content_type))
    name = _local(root.tag)
    if name == "rss" or (name == "RDF" and _ns(root.tag) == RDF_NS):
        kind = "rss" if name == "rss" else "rdf"
        channel = _child_named(root, "channel")
        title = None
        if channel is not None:
            title = _plain(_first_child(channel, "title", _ns(channel.tag)), html=True)
        entries = _rss_entries(_items(root), base_url)
    elif name == "feed" and _ns(root.tag) in _ATOM_ROOT_NAMESPACES:
        kind = "atom"
        title = _atom_text(_first_child(root, "title", _ns(root.tag)))
        entries = _atom_entries(root, base_url)
    elif name == "CHANNEL" and _ns(root.tag) is None:
        kind = "cdf"
        title = _plain(_first_child(root, "TITLE", None), html=True)
        entries = _cdf_entries(root, base_url)
    else:
        raise FeedError(f"not a feed: <{name}> root at {base_url}")
    if recovered and not entries:
        raise FeedError(f"malformed feed with no usable entries at {base_url}")
    return Feed(kind=kind, title=title, entries=entries, recovered=recovered)


def _stream_feed(body: bytes, base_url: str, encoding: str | None) -> Feed | None:
    """A well-formed RSS or Atom feed read item by item, each dropped once read, so a
    50 MB feed costs about its bytes in memory rather than ten times that in a tree.
    None when the feed is malformed or of another kind: the whole-tree path (with its
    repairs and recover mode) reads it then."""
    if body.startswith((_UTF8_BOM, b"\xfe\xff", b"\xff\xfe")) or b"\x00" in body[:4]:
        encoding = None  # a BOM (or UTF-16/32 bytes) is surer than any header
    parser = etree.XMLPullParser(
        events=("end",),
        tag=("{*}item", "{*}entry"),
        encoding=encoding,
        **safe_parser_options(False),
    )
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    state: dict[str, Any] = {}

    def take(events: Iterator[tuple[str, _Element]]) -> None:
        for _event, el in events:
            if not state:
                state.update(_stream_state(el.getroottree().getroot()))
            if state["kind"] is None or el.tag not in state["tags"]:
                continue
            base = _base_of(el, base_url)
            if state["kind"] == "atom":
                entry = _atom_entry(el, state["ns"], base, state["authors"])
            else:
                entry = _rss_entry(el, base)
            if entry is not None and entry.url not in seen:
                seen.add(entry.url)
                entries.append(entry)
            parent = el.getparent()
            if parent is None or any(a.tag in state["tags"] for a in el.iterancestors()):
                continue  # an entry inside an entry: its container still needs it
            drop_read(el, parent)

    try:
        pull_parse(parser, body, take)
    except etree.XMLSyntaxError:
        return None
    if not state or state["kind"] is None:
        return None  # no entries, or not RSS/Atom: the whole-tree path says what it is
    return Feed(kind=state["kind"], title=state["title"], entries=tuple(entries), recovered=False)


def _stream_state(root: _Element) -> dict[str, Any]:
    """What reading entries needs from the part of the feed before its first entry."""
    name, ns = _local(root.tag), _ns(root.tag)
    if name == "rss" or (name == "RDF" and ns == RDF_NS):
        channel = _child_named(root, "channel")
        title = None
        if channel is not None:
            title = _plain(_first_child(channel, "title", _ns(channel.tag)), html=True)
        tags = set(_ITEM_TAGS) | ({f"{{{ns}}}item"} if ns not in (None, RDF_NS) else set())
        kind = "rss" if name == "rss" else "rdf"
        return {"kind": kind, "title": title, "tags": tags}
    if name == "feed" and ns in _ATOM_ROOT_NAMESPACES:
        return {
            "kind": "atom",
            "title": _atom_text(_first_child(root, "title", ns)),
            "tags": {_q(ns, "entry")},
            "ns": ns,
            # RFC 4287 4.2.1; feeds give their <author> before the entries
            "authors": _atom_names(root, ns),
        }
    return {"kind": None}


# --- XML loading (options and repairs shared with crawler.sitemapparse) ------------


def http_charset(content_type: str | None) -> str | None:
    """The charset a Content-Type header declares, as a Python codec name, or None.

    ISO-8859-1 and US-ASCII are read as Windows-1252, as browsers do (WHATWG Encoding):
    servers declare them for feeds holding Windows-1252 quotes and dashes, and the two
    agree on every byte ISO-8859-1 prints.

    :param content_type: e.g. "application/rss+xml; charset=ISO-8859-1".
    """
    if not content_type:
        return None
    match = _CHARSET.search(content_type)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1)).name
    except LookupError:
        return None  # an unknown charset: the document's own declaration decides
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def load_xml(
    body: bytes, url: str, error: type[ValueError], encoding: str | None = None
) -> tuple[_Element, bool]:
    """Parse untrusted XML without expanding entities or touching the network.

    A strict parse is tried first; when it fails the body is repaired (legacy bytes in
    UTF-8, bare ampersands, named entities) and parsed again in lxml's recover mode.

    :param body: raw bytes; encoding from BOM, else ``encoding``, else XML declaration.
    :param url: where the body came from, for error messages.
    :param encoding: the HTTP charset (see :func:`http_charset`); a BOM overrides it.
    :param error: exception class to raise (``FeedError``, ``SitemapError``).
    :returns: the root element and whether recover mode was needed.
    :raises error: for an empty, gzip-compressed or non-XML body.
    """
    if not body or body.isspace():
        raise error(f"empty body at {url}")
    if body.startswith(b"\x1f\x8b"):
        raise error(f"gzip-compressed body at {url}: gunzip it before parsing")
    if body.startswith((_UTF8_BOM, b"\xfe\xff", b"\xff\xfe")) or b"\x00" in body[:4]:
        encoding = None  # a BOM (or UTF-16/32 bytes) is surer than any header
    try:
        return etree.fromstring(body, _safe_parser(recover=False, encoding=encoding)), False
    except etree.XMLSyntaxError as exc:
        strict_error = exc
    repaired = repair_xml(body) if encoding in (None, "utf-8") else _numeric_references(body)
    try:
        root = etree.fromstring(repaired, _safe_parser(recover=True, encoding=encoding))
    except etree.XMLSyntaxError as exc:
        raise error(f"not XML: {exc.msg} at {url}") from exc
    if root is None:
        raise error(f"not XML: {strict_error.msg} at {url}")
    return root, True


def safe_parser_options(recover: bool) -> dict[str, bool]:
    """lxml parser options for untrusted XML: no entity expansion, no DTD, no network,
    libxml2's limits on depth and text size kept (huge_tree off)."""
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "remove_pis": True,
        "remove_comments": True,
        "recover": recover,
    }


def pull_parse(
    parser: etree.XMLPullParser,
    body: bytes,
    take: Callable[[Iterator[tuple[str, _Element]]], None],
) -> _Element | None:
    """Feed ``body`` to a pull parser a chunk at a time (:data:`PULL_CHUNK_BYTES`), hand
    ``take`` the events of each chunk as they come, and close the parser.

    :returns: the root element close() gives (None for a document without one)
    :raises etree.XMLSyntaxError: the document is not well-formed (a pull parser reports
        most errors only at close(), a cut-off document's too)
    """
    for offset in range(0, len(body), PULL_CHUNK_BYTES):
        parser.feed(body[offset : offset + PULL_CHUNK_BYTES])
        take(parser.read_events())
    root = parser.close()
    take(parser.read_events())
    return root


def drop_read(el: _Element, parent: _Element) -> None:
    """Free an element ``take`` has read, and its siblings before it (read too), so that a
    streamed tree stays about a chunk large."""
    el.clear()
    while el.getprevious() is not None:
        del parent[0]


def _safe_parser(*, recover: bool, encoding: str | None = None) -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state and must not be shared across threads.
    return etree.XMLParser(encoding=encoding, **safe_parser_options(recover))


_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_UTF8_BOM = b"\xef\xbb\xbf"
# surrogateescape turns each undecodable byte b into U+DC00+b; map those back to the
# Windows-1252 character, the usual culprit when a "UTF-8" feed holds legacy bytes.
_CP1252_FOR_ESCAPED = {
    0xDC00 + byte: bytes([byte]).decode("cp1252", errors="replace") for byte in range(0x80, 0x100)
}
# Entity and character references, or a bare ampersand. After its first error libxml2's
# recover mode drops every later &amp;/&lt; in text ("?a=1&amp;b=2" becomes "?a=1b=2")
# and loses bare ampersands too, while numeric references survive; so before a recover
# parse all of them are rewritten as numeric references.
_REFERENCE = re.compile(rb"&(?:(#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};)|([A-Za-z_][A-Za-z0-9._-]*);)?")


def repair_xml(body: bytes) -> bytes:
    """Fix the byte-level faults that recover mode handles badly; the rest is lxml's job."""
    head = body.removeprefix(_UTF8_BOM)
    if b"\x00" in head[:4]:
        # UTF-16/32: byte-level regexes would corrupt it; lxml decodes it on its own.
        return body
    encoding = _DECLARED_ENCODING.match(head[:XML_DECLARATION_SNIFF_BYTES])
    name = encoding.group(1).decode("ascii").lower() if encoding else "utf-8"
    if name.startswith(("utf-16", "utf-32", "ucs")):
        return body
    if name in ("utf-8", "utf8"):
        body = _fix_utf8(body)
    return _numeric_references(body)


def _fix_utf8(body: bytes) -> bytes:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="surrogateescape").translate(_CP1252_FOR_ESCAPED)
        return text.encode("utf-8")
    return body


def _numeric_reference(match: re.Match[bytes]) -> bytes:
    if match.group(1):
        # "&#X41;": HTML allows the upper-case X, XML does not (libxml2 would keep "X41;")
        return match.group(0).replace(b"&#X", b"&#x")
    if match.group(2) is None:
        return b"&#38;"
    # Predefined and HTML named entities from the fixed HTML table; feeds often use
    # &eacute; or &nbsp; undeclared. Any other name (one the document declares itself)
    # is kept and stays unexpanded.
    text = HTML5_ENTITIES.get(match.group(2).decode("ascii") + ";")
    if text is None:
        return match.group(0)
    return "".join(f"&#{ord(char)};" for char in text).encode("ascii")


def _numeric_references(body: bytes) -> bytes:
    # CDATA sections are copied unchanged: an ampersand there is literal text. A plain
    # find() loop keeps this linear even when a CDATA section is never closed.
    out = []
    pos = 0
    while True:
        start = body.find(b"<![CDATA[", pos)
        if start < 0:
            out.append(_REFERENCE.sub(_numeric_reference, body[pos:]))
            break
        out.append(_REFERENCE.sub(_numeric_reference, body[pos:start]))
        end = body.find(b"]]>", start)
        if end < 0:
            out.append(body[start:])
            break
        out.append(body[start : end + 3])
        pos = end + 3
    return b"".join(out)


# --- element helpers ------------------------------------------------------------------


def _ns(tag: str) -> str | None:
    return tag[1 : tag.index("}")] if tag[0] == "{" else None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _first_child(parent: _Element | None, name: str, ns: str | None) -> _Element | None:
    if parent is None:
        return None
    tag = name if ns is None else f"{{{ns}}}{name}"
    return parent.find(tag)


def _child_named(parent: _Element, name: str) -> _Element | None:
    """First child with local name ``name`` in any namespace."""
    for child in parent:
        if isinstance(child.tag, str) and _local(child.tag) == name:
            return child
    return None


def _base_of(el: _Element, base_url: str) -> str:
    """The base URL in force at ``el``: the document URL under every enclosing xml:base."""
    base = base_url
    for ancestor in reversed([el, *el.iterancestors()]):
        base = _own_base(ancestor, base)
    return base


def _own_base(el: _Element, base: str) -> str:
    """``base`` under the xml:base of ``el`` itself, if it has one."""
    value = el.get(XML_BASE)
    if not value or not value.strip():
        return base
    try:
        return urljoin(base, value.strip())
    except ValueError:
        return base  # a malformed xml:base (bad IPv6 host) is ignored, as browsers do


def _text(el: _Element | None, *, blocks: bool = False) -> str:
    if el is None:
        return ""
    parts: list[str] = []
    _collect_text(el, parts, blocks)
    return "".join(parts)


def _collect_text(el: _Element, parts: list[str], blocks: bool) -> None:
    # Not itertext(): it returns unexpanded entity references as "&name;" text. Not XPath
    # string(): libxml2 expands entity references there, which would undo the bomb guard.
    if el.text:
        parts.append(el.text)
    for child in el:
        if child.tag is etree.Entity:
            # Only the fixed HTML table, never the document's own definition: feeds often
            # use &eacute; or &nbsp; without declaring them.
            parts.append(HTML5_ENTITIES.get(f"{cast(Any, child).name};", ""))
        elif blocks and isinstance(child.tag, str) and _local(child.tag) in SKIPPED_HTML_TAGS:
            pass  # XHTML's <script> and <style> are code, not text (their tail is text)
        elif isinstance(child.tag, str):
            block = blocks and _local(child.tag) in BLOCK_TAGS
            if block:
                parts.append(" ")
            _collect_text(child, parts, blocks)
            if block:
                parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def _collapse(text: str) -> str | None:
    return " ".join(text.split()) or None


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_HTML_TAGS:
            self._skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_HTML_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str | None:
    """Return the readable text of an HTML fragment, whitespace collapsed, or None.

    :param html: markup such as an RSS description; may be plain text.
    """
    if "<" not in html and "&" not in html:
        return _collapse(html)
    extractor = _TextExtractor()
    extractor.feed(html[:SUMMARY_SOURCE_MAX_CHARS])
    extractor.close()
    return _collapse("".join(extractor.parts))


def _truncate(text: str | None, limit: int = SUMMARY_MAX_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Break at a word when one ends in the last fifth, so a summary doesn't stop mid-word.
    space = cut.rfind(" ")
    if space > limit * 4 // 5:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _plain(el: _Element | None, *, html: bool) -> str | None:
    if el is None:
        return None
    text = _text(el)
    return html_to_text(text) if html else _collapse(text)


def _add_unique(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


# --- RSS 2.0 and RSS 1.0 ----------------------------------------------------------------

_EMAIL = r"[^\s@()<>]+@[^\s@()<>]+"
_NAME_WITH_EMAIL = (
    re.compile(rf"(?:mailto:)?{_EMAIL}\s*\((?P<name>[^()]+)\)"),
    re.compile(rf"(?P<name>[^()<>]+?)\s*\((?:mailto:)?{_EMAIL}\)"),
    re.compile(rf"(?P<name>[^()<>]+?)\s*<(?:mailto:)?{_EMAIL}>"),
)
# Dublin Core terms an item is dated with; feedparser reads them as published/updated.
DCTERMS_NS = "http://purl.org/dc/terms/"
_DCTERMS_DATES = frozenset({"issued", "created", "modified", "date", "available"})
# Publication dates before modification dates, as feedparser's published/updated/created.
_RSS_DATE_ORDER = (
    "pubDate",
    "dcterms:issued",
    "published",
    "dc",
    "dcterms:date",
    "dcterms:available",
    "dcterms:modified",
    "updated",
    "dcterms:created",
)


def _items(root: _Element) -> Iterator[_Element]:
    # Searched at any depth, not just under <channel>: RSS 1.0 and 0.90 make items
    # siblings of the channel, and recover mode nests every item after an unclosed tag
    # inside the broken one.
    tags = set(_ITEM_TAGS)
    ns = _ns(root.tag)
    if ns is not None and ns != RDF_NS:
        # Old RSS 2.0 feeds declare a default namespace (http://backend.userland.com/rss2).
        tags.add(f"{{{ns}}}item")
    return root.iter(*tags)


def _rss_entries(items: Iterable[_Element], base_url: str) -> tuple[FeedEntry, ...]:
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for item in items:
        entry = _rss_entry(item, _base_of(item, base_url))
        if entry is not None and entry.url not in seen:
            seen.add(entry.url)
            entries.append(entry)
    return tuple(entries)


def _rss_entry(item: _Element, base: str) -> FeedEntry | None:
    # Core elements share the item's namespace: none for RSS 2.0, the RSS 1.0 or 0.90
    # namespace for RDF feeds. Matching on it keeps <media:title> from posing as <title>.
    core = _ns(item.tag)
    title = link = guid = atom_link = description = content = None
    dates: dict[str, str] = {}
    authors: list[str] = []
    creators: list[str] = []
    tags: list[str] = []
    for child in item:
        if not isinstance(child.tag, str):
            continue
        ns, name = _ns(child.tag), _local(child.tag)
        if ns == core:
            if name == "title" and title is None:
                title = _plain(child, html=True)
            elif name == "link" and link is None:
                # <link href="..."/> (Atom's form in an RSS item) is meant as the link too
                href = _text(child).strip() or child.get("href")
                link = http_url(href, _own_base(child, base))
            elif name == "guid" and guid is None:
                if (child.get("isPermaLink") or "true").strip().lower() != "false":
                    # A guid is only a link when absolute; "12345" is an identifier.
                    guid = http_url(_text(child), None)
            elif name == "description" and description is None:
                description = _text(child)
            elif name == "pubDate":
                dates.setdefault("pubDate", _text(child))
            elif name in ("published", "updated"):
                dates.setdefault(name, _text(child))  # Atom's names, un-namespaced
            elif name == "author":
                _add_unique(authors, person_name(_text(child)))
            elif name == "category":
                _add_unique(tags, _collapse(_text(child)))
        elif ns == DC_NS:
            if name == "creator":
                _add_unique(creators, person_name(_text(child)))
            elif name == "date":
                dates.setdefault("dc", _text(child))
            elif name == "subject":
                _add_unique(tags, _collapse(_text(child)))
        elif ns == DCTERMS_NS and name in _DCTERMS_DATES:
            dates.setdefault(f"dcterms:{name}", _text(child))
        elif ns == CONTENT_NS and name == "encoded" and content is None:
            content = _text(child)
        elif ns in ATOM_NAMESPACES:
            if name == "link" and atom_link is None and _is_alternate(child):
                atom_link = http_url(child.get("href"), _own_base(child, base))
            elif name in ("published", "updated"):
                dates.setdefault(name, _text(child))
    url = link or guid or atom_link or http_url(item.get(f"{{{RDF_NS}}}about"), None)
    if url is None:
        return None
    published = None
    for key in _RSS_DATE_ORDER:
        published = normalise_date(dates.get(key))
        if published:
            break
    summary_html = description if description and description.strip() else content
    return FeedEntry(
        url=url,
        title=title,
        published=published,
        # dc:creator holds a name; RSS <author> is meant to be an e-mail address.
        author=", ".join(creators or authors) or None,
        tags=tuple(tags),
        summary=_truncate(html_to_text(summary_html)) if summary_html else None,
    )


def person_name(text: str | None) -> str | None:
    """The name in a byline that also gives an e-mail address: "ada@x.example (Ada
    Brook)", "Ada Brook (ada@x.example)", "Ada Brook <ada@x.example>" all give "Ada
    Brook"; an address alone is kept (it is all there is); None for an empty one.

    :param text: an RSS <author>, <dc:creator> or Atom <name>.
    """
    text = " ".join((text or "").split())
    for pattern in _NAME_WITH_EMAIL:
        named = pattern.fullmatch(text)
        if named and named.group("name").strip(" \"'"):
            return named.group("name").strip(" \"'")
    return text or None


# --- autodiscovery --------------------------------------------------------------------

# Media types of <link rel="alternate"> that name a feed (RSS Board's autodiscovery, Atom,
# JSON Feed), as trafilatura's and feedparser's discovery read them.
FEED_LINK_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)


def discover_feeds(body: bytes, base_url: str) -> list[str]:
    """The feeds an HTML page names in ``<link rel="alternate" type="...">``, absolute
    http(s) URLs in page order, without the page itself.

    :param body: the page's bytes (an HTML homepage or section page).
    :param base_url: the page's URL, against which relative hrefs are resolved (and any
        ``<base href>``).
    """
    try:
        tree = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for element in tree.iter("base"):
        base = http_url(element.get("href"), base_url) or base_url
        break
    feeds: list[str] = []
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        media = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rels and media in FEED_LINK_TYPES:
            url = http_url(link.get("href"), base)
            if url and url != base_url and url not in feeds:
                feeds.append(url)
    return feeds


# --- JSON Feed ------------------------------------------------------------------------


def _json_feed(body: bytes, base_url: str) -> Feed:
    """A JSON Feed (https://jsonfeed.org, versions 1 and 1.1), as trafilatura reads too."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not JSON: {exc} at {base_url}") from exc
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError(f"not a feed: JSON without a JSON Feed version at {base_url}")
    items = data.get("items")
    feed_authors = _json_authors(data)
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        url = http_url(_json_str(item, "url"), base_url) or http_url(
            _json_str(item, "external_url"), base_url
        )
        if url is None or url in seen:
            continue
        seen.add(url)
        summary = _json_str(item, "summary") or _json_str(item, "content_text")
        if summary is None and _json_str(item, "content_html"):
            summary = html_to_text(_json_str(item, "content_html") or "")
        tags = item.get("tags")
        entries.append(
            FeedEntry(
                url=url,
                title=html_to_text(_json_str(item, "title") or "") or None,
                published=normalise_date(_json_str(item, "date_published"))
                or normalise_date(_json_str(item, "date_modified")),
                author=", ".join(_json_authors(item) or feed_authors) or None,
                tags=tuple(t.strip() for t in tags if isinstance(t, str) and t.strip())
                if isinstance(tags, list)
                else (),
                summary=_truncate(" ".join(summary.split()) or None) if summary else None,
            )
        )
    title = html_to_text(_json_str(data, "title") or "") or None
    return Feed(kind="json", title=title, entries=tuple(entries), recovered=False)


def _json_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _json_authors(data: dict[str, Any]) -> list[str]:
    # 1.1: "authors", a list; 1.0: "author", one object
    people = data.get("authors")
    if not isinstance(people, list):
        people = [data.get("author")]
    names: list[str] = []
    for person in people:
        if isinstance(person, dict):
            _add_unique(names, person_name(_json_str(person, "name")))
    return names


# --- CDF -----------------------------------------------------------------------------


def _cdf_entries(channel: _Element, base_url: str) -> tuple[FeedEntry, ...]:
    """Items of Microsoft's Channel Definition Format (1997), which feedparser reads and
    a few old sites still serve: <ITEM HREF=... LASTMOD=...><TITLE>, BASE on the channel."""
    base = base_url
    if channel.get("BASE"):
        base = urljoin(base_url, channel.get("BASE", "").strip())
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for item in channel.iter("ITEM"):
        url = http_url(item.get("HREF"), base)
        if url is None or url in seen:
            continue
        seen.add(url)
        abstract = _plain(_first_child(item, "ABSTRACT", None), html=True)
        entries.append(
            FeedEntry(
                url=url,
                title=_plain(_first_child(item, "TITLE", None), html=True),
                published=normalise_date(item.get("LASTMOD")),
                author=None,
                tags=(),
                summary=_truncate(abstract),
            )
        )
    return tuple(entries)


# --- Atom -----------------------------------------------------------------------------

_ALTERNATE_RELS = frozenset({"alternate", "http://www.iana.org/assignments/relation/alternate"})
_HTML_LINK_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _is_alternate(link: _Element) -> bool:
    return (link.get("rel") or "alternate").strip().lower() in _ALTERNATE_RELS


def _atom_text(el: _Element | None) -> str | None:
    """Text of an Atom text construct (type text, html or xhtml; Atom 0.3 mode=escaped)."""
    if el is None:
        return None
    kind = (el.get("type") or "text").strip().lower()
    if el.get("mode") == "base64":  # Atom 0.3
        try:
            text = base64.b64decode(_text(el), validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return html_to_text(text) if kind in ("html", "text/html") else _collapse(text)
    if kind in ("xhtml", "application/xhtml+xml"):
        return _collapse(_text(el, blocks=True))
    if kind in ("html", "text/html") or el.get("mode") == "escaped":
        return html_to_text(_text(el))
    return _collapse(_text(el))


def _q(ns: str | None, name: str) -> str:
    """The qualified tag of ``name`` in ``ns`` (none: an un-namespaced element)."""
    return name if ns is None else f"{{{ns}}}{name}"


def _atom_names(parent: _Element, ns: str | None) -> list[str]:
    names: list[str] = []
    for author in parent.iterchildren(_q(ns, "author")):
        _add_unique(names, person_name(_text(_first_child(author, "name", ns))))
    return names


def _atom_entries(feed: _Element, base_url: str) -> tuple[FeedEntry, ...]:
    ns = _ns(feed.tag)  # Atom 1.0's, Atom 0.3's or none (see _ATOM_ROOT_NAMESPACES)
    # RFC 4287 4.2.1: an entry without <author> inherits the feed's.
    feed_authors = _atom_names(feed, ns)
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    # At any depth, for the same reason as RSS items (see _items).
    for entry_el in feed.iter(_q(ns, "entry")):
        entry = _atom_entry(entry_el, ns, _base_of(entry_el, base_url), feed_authors)
        if entry is not None and entry.url not in seen:
            seen.add(entry.url)
            entries.append(entry)
    return tuple(entries)


def _atom_entry(
    entry: _Element, ns: str | None, base: str, feed_authors: list[str]
) -> FeedEntry | None:
    url = None
    fallback = None
    for link in entry.iterchildren(_q(ns, "link")):
        if not _is_alternate(link):
            continue
        # <link>URL</link> instead of href: wrong, but meant (feedparser reads it too)
        href = http_url(link.get("href") or _text(link).strip(), _own_base(link, base))
        link_type = (link.get("type") or "text/html").strip().lower()
        if href and link_type in _HTML_LINK_TYPES:
            url = href
            break
        fallback = fallback or href
    url = url or fallback
    if url is None:
        return None
    published = None
    # published/updated are Atom 1.0; issued/created/modified are Atom 0.3.
    for name in ("published", "updated", "issued", "created", "modified"):
        published = normalise_date(_text(_first_child(entry, name, ns)))
        if published:
            break
    authors = _atom_names(entry, ns)
    for creator in entry.iterchildren(f"{{{DC_NS}}}creator"):
        _add_unique(authors, person_name(_text(creator)))
    tags: list[str] = []
    for category in entry.iterchildren(_q(ns, "category")):
        _add_unique(tags, _collapse(category.get("term") or category.get("label") or ""))
    summary = _atom_text(_first_child(entry, "summary", ns))
    if summary is None:
        summary = _atom_text(_first_child(entry, "content", ns))
    return FeedEntry(
        url=url,
        title=_atom_text(_first_child(entry, "title", ns)),
        published=published,
        author=", ".join(authors or feed_authors) or None,
        tags=tuple(tags),
        summary=_truncate(summary),
    )
