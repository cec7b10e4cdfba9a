"""Parse XML sitemaps and sitemap indexes, keeping the Google News ``news:`` fields.

Scrapy's ``scrapy.utils.sitemap.Sitemap`` drops the ``<news:news>`` children (title,
publication date, keywords), which the crawler needs to filter and label stories before
fetching them; hence this small parser. No Scrapy here. It shares the safe XML loading
(no entity expansion, no network, recover mode) with ``crawler.feedparse``.
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from lxml import etree

from archive.dates import as_utc, normalise_date
from archive.sanitize import http_url
from crawler.feedparse import (
    FeedError,
    drop_read,
    parse_feed,
    pull_parse,
    repair_xml,
    safe_parser_options,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lxml.etree import _Element

# sitemaps.org: "no larger than 50MB (52,428,800 bytes)" uncompressed; also the cap on
# what a gzip sitemap may decompress to (a gzip bomb stops there).
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"

NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
# Extensions whose children reuse sitemap names (<image:loc>, <video:title>); their
# elements must never be taken for the sitemap's own, whatever namespace the sitemap uses.
EXTENSION_NAMESPACES = frozenset(
    {
        NEWS_NS,
        "http://www.google.com/schemas/sitemap-image/1.1",
        "http://www.google.com/schemas/sitemap-video/1.1",
        "http://www.w3.org/1999/xhtml",
    }
)


class SitemapError(ValueError):
    """A body that is not a usable sitemap; the message names the URL and the reason, and
    ``stat`` the key it is counted under (``reprint/sitemaps/<stat>``)."""

    def __init__(self, message: str, stat: str = "invalid") -> None:
        super().__init__(message)
        self.stat = stat


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One <url> of a urlset, or one <sitemap> of a sitemap index (loc and lastmod only)."""

    loc: str
    lastmod: str | None
    news_title: str | None = None
    news_published: str | None = None
    news_publication: str | None = None
    news_language: str | None = None
    news_keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap; ``recovered`` is True when malformed XML was parsed in recover mode."""

    kind: str
    entries: tuple[SitemapEntry, ...]
    recovered: bool


def parse_sitemap(body: bytes, base_url: str, max_bytes: int = SITEMAP_MAX_BYTES) -> Sitemap:
    """Parse any document sitemaps.org and Google accept as a sitemap.

    A ``<urlset>`` (with Google News fields) or ``<sitemapindex>``, gzip-compressed or not;
    an RSS 2.0, RSS 1.0 or Atom feed (its entries become the URLs, their dates the
    lastmod); a plain-text list of URLs, one a line. XML sitemaps are read streaming, so
    a 50 MB sitemap costs little more memory than its bytes. A document cut off (a
    truncated download or gzip stream) gives the URLs it holds whole, never a partial one.
    The sitemap namespace is not checked (sites use wrong or missing ones); the news
    fields are read from the Google News namespace, or from any element named ``news``
    when that namespace is missing.

    :param body: the raw bytes of the response (gzip-compressed or not).
    :param base_url: URL the sitemap was fetched from; relative ``<loc>`` values are
        resolved against it and only http(s) URLs are kept.
    :param max_bytes: most bytes a compressed sitemap may decompress to.
    :raises SitemapError: for an empty body, a corrupted or oversized gzip stream, XML
        that is neither a sitemap nor a feed, or malformed XML from which no entry could
        be recovered; its ``stat`` names the reason for the crawl's stats.
    """
    truncated = False
    if body.startswith(GZIP_MAGIC):
        body, truncated = gunzip_bounded(body, base_url, max_bytes)
    if not body or body.isspace():
        raise SitemapError(f"empty body at {base_url}")
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"<") and b"\x00" not in start[:4]:
        return _text_sitemap(body, base_url)
    try:
        sitemap = _read_xml_sitemap(body, base_url)
    except _FeedRoot:
        return _feed_sitemap(body, base_url)
    if truncated and not sitemap.recovered:
        sitemap = replace(sitemap, recovered=True)
    return sitemap


def _read_xml_sitemap(body: bytes, base_url: str) -> Sitemap:
    try:
        return _stream(body, base_url, recover=False)
    except _Malformed:
        pass  # repaired and parsed again in recover mode
    sitemap = _stream(repair_xml(body), base_url, recover=True)
    if sitemap.entries and _cut_off_in_last_entry(body, sitemap.kind):
        # recover mode closed the cut-off element: its URL may be a fragment, its dates
        # and news fields missing (ultimate-sitemap-parser drops it too)
        sitemap = replace(sitemap, entries=sitemap.entries[:-1])
    if not sitemap.entries:
        raise SitemapError(f"malformed sitemap with no usable entries at {base_url}")
    return sitemap


def gunzip_bounded(body: bytes, url: str, max_bytes: int) -> tuple[bytes, bool]:
    """Decompress a gzip body (several members too) to at most ``max_bytes``.

    :returns: the bytes and whether the stream was cut off before its end.
    :raises SitemapError: for a corrupted stream (stat ``corrupted_gzip``) or one that
        decompresses to more than ``max_bytes`` (stat ``too_large``: a gzip bomb).
    """
    out = bytearray()
    rest = body
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise SitemapError(f"corrupted gzip ({exc}) at {url}", stat="corrupted_gzip") from exc
        if len(out) > max_bytes:
            raise SitemapError(f"decompresses to over {max_bytes} bytes at {url}", stat="too_large")
        if not inflater.eof:
            if not out:
                raise SitemapError(f"corrupted gzip (no data) at {url}", stat="corrupted_gzip")
            return bytes(out), True
        rest = inflater.unused_data
    return bytes(out), False


def sitemap_urls_from_robots(body: bytes) -> list[str]:
    """The sitemap URLs a robots.txt names, as written (relative ones too).

    Scrapy's ``sitemap_urls_from_robots`` knows only ``Sitemap:``; robots.txt files in
    the wild also write ``Site-map:``, and any case.

    :param body: the robots.txt bytes.
    """
    urls: list[str] = []
    for line in body.decode("utf-8-sig", errors="replace").splitlines():
        field, colon, value = line.partition(":")
        if colon and field.strip().lower() in ("sitemap", "site-map"):
            url = value.split("#", 1)[0].strip()
            if url and url not in urls:
                urls.append(url)
    return urls


def entry_date(entry: SitemapEntry) -> datetime | None:
    """Return when the entry was published or last modified, as an aware datetime.

    The news publication date wins over lastmod; a value without an offset is taken as
    UTC. None when neither is present or parseable.

    :param entry: an entry from ``parse_sitemap``.
    """
    for value in (entry.news_published, entry.lastmod):
        # an unparseable value was kept verbatim; the next field may do
        parsed = as_utc(value)
        if parsed is not None:
            return parsed
    return None


class _Malformed(Exception):
    """The strict parse met an error before the end of the document."""


class _FeedRoot(Exception):
    """The document is an RSS or Atom feed, not a sitemap."""


_FEED_ROOTS = frozenset({"rss", "RDF", "feed"})
_SITEMAP_CHILD = {"urlset": "url", "sitemapindex": "sitemap"}
_SITEMAP_TAGS = ("{*}url", "{*}sitemap")
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROOT_CLOSED = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:urlset|sitemapindex)\s*>\s*$")


def _stream(body: bytes, base_url: str, *, recover: bool) -> Sitemap:
    # Events for <url> and <sitemap> elements only: the rest of the document is parsed
    # by libxml2 without a Python call per element.
    parser = etree.XMLPullParser(
        events=("start", "end"), tag=_SITEMAP_TAGS, **safe_parser_options(recover)
    )
    # Entries by the position of their start tag: recover mode ends an element left open
    # only after the ones nested in it, and the document's order must stay.
    found: dict[int, SitemapEntry] = {}
    opened: dict[_Element, int] = {}
    positions = itertools.count()
    root: _Element | None = None
    child_name = ""

    def check_root(el: _Element) -> _Element:
        nonlocal child_name
        name = _local(el.tag) if isinstance(el.tag, str) else ""
        if name in _FEED_ROOTS:
            raise _FeedRoot
        if name not in _SITEMAP_CHILD:
            raise SitemapError(f"not a sitemap: <{name}> root at {base_url}")
        child_name = _SITEMAP_CHILD[name]
        return el

    def take(events: Iterator[tuple[str, _Element]]) -> None:
        nonlocal root
        for event, el in events:
            if root is None:
                root = check_root(el.getroottree().getroot())
            if el is root or not _is_sitemap_element(el, child_name):
                continue
            if event == "start":
                opened[el] = next(positions)
                continue
            position = opened.pop(el, None)
            if position is None:
                position = next(positions)
            entry = _entry(el, base_url, with_news=child_name == "url")
            if entry is not None:
                found[position] = entry
            if el.getparent() is root:
                drop_read(el, root)  # keeping memory flat

    try:
        closed_root = pull_parse(parser, body, take)
    except etree.XMLSyntaxError as exc:
        if recover:
            raise SitemapError(f"not XML: {exc.msg} at {base_url}") from exc
        raise _Malformed from exc
    if root is None:
        if closed_root is None:
            raise SitemapError(f"not XML: no element at {base_url}")
        root = check_root(closed_root)  # a sitemap without entries, or not a sitemap
    kind = _local(root.tag)
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for position in sorted(found):
        if found[position].loc not in seen:
            seen.add(found[position].loc)
            entries.append(found[position])
    return Sitemap(kind=kind, entries=tuple(entries), recovered=recover)


def _cut_off_in_last_entry(body: bytes, kind: str) -> bool:
    """Whether the document was cut off inside its last <url> (or <sitemap>)."""
    tail = body[-65536:]
    if _ROOT_CLOSED.search(tail):
        return False
    child = _SITEMAP_CHILD.get(kind, "url").encode()
    opened = [m.start() for m in re.finditer(rb"<" + _PREFIX + child + rb"[\s>]", tail)]
    closed = [m.start() for m in re.finditer(rb"</" + _PREFIX + child + rb"\s*>", tail)]
    return bool(opened) and (not closed or closed[-1] < opened[-1])


def _feed_sitemap(body: bytes, base_url: str) -> Sitemap:
    """An RSS or Atom feed used as a sitemap (sitemaps.org allows both)."""
    try:
        feed = parse_feed(body, base_url)
    except FeedError as exc:
        raise SitemapError(str(exc)) from exc
    entries = tuple(
        # a feed's date is when the story was published, as a news sitemap's
        SitemapEntry(
            loc=entry.url, lastmod=None, news_title=entry.title, news_published=entry.published
        )
        for entry in feed.entries
    )
    return Sitemap(kind=feed.kind, entries=entries, recovered=feed.recovered)


def _text_sitemap(body: bytes, base_url: str) -> Sitemap:
    """A plain-text sitemap: one absolute URL a line, UTF-8 (sitemaps.org)."""
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for line in body.decode("utf-8-sig", errors="replace").splitlines():
        # Absolute only: a relative "URL" here is more likely a line of an error page.
        url = http_url(line.strip(), None)
        if url is not None and url not in seen:
            seen.add(url)
            entries.append(SitemapEntry(loc=url, lastmod=None))
    if not entries:
        raise SitemapError(f"not a sitemap: neither XML nor a list of URLs at {base_url}")
    return Sitemap(kind="text", entries=tuple(entries), recovered=False)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _is_sitemap_element(el: _Element, name: str) -> bool:
    if not isinstance(el.tag, str) or _local(el.tag) != name:
        return False
    return el.tag[0] != "{" or el.tag[1 : el.tag.index("}")] not in EXTENSION_NAMESPACES


def _text(el: _Element | None) -> str | None:
    if el is None:
        return None
    # Only direct text: these fields are plain values and unexpanded entity nodes must
    # not contribute their "&name;" placeholder.
    parts = [el.text or ""] + [child.tail or "" for child in el]
    return " ".join("".join(parts).split()) or None


def _date(el: _Element | None) -> str | None:
    raw = _text(el)
    # Kept verbatim when unparseable: the value still means something to a reader, and
    # entry_date() skips it.
    return normalise_date(raw) or raw


def _entry(el: _Element, base_url: str, *, with_news: bool) -> SitemapEntry | None:
    loc = lastmod = news = None
    for child in el:
        if _is_sitemap_element(child, "loc") and loc is None:
            loc = http_url(_text(child), base_url)
        elif _is_sitemap_element(child, "lastmod") and lastmod is None:
            lastmod = child
        elif (
            with_news
            and isinstance(child.tag, str)
            and _local(child.tag) == "news"
            # The proper namespace wins over a stray <news> in another one.
            and (news is None or child.tag == f"{{{NEWS_NS}}}news")
        ):
            news = child
    if loc is None:
        return None
    entry = SitemapEntry(loc=loc, lastmod=_date(lastmod))
    return entry if news is None else _with_news(entry, news)


def _with_news(entry: SitemapEntry, news: _Element) -> SitemapEntry:
    fields: dict[str, _Element] = {}
    for child in news.iter():
        if isinstance(child.tag, str):
            fields.setdefault(_local(child.tag), child)
    keywords: list[str] = []
    for keyword in (_text(fields.get("keywords")) or "").split(","):
        keyword = keyword.strip()
        if keyword and keyword not in keywords:
            keywords.append(keyword)
    return SitemapEntry(
        loc=entry.loc,
        lastmod=entry.lastmod,
        news_title=_text(fields.get("title")),
        news_published=_date(fields.get("publication_date")),
        news_publication=_text(fields.get("name")),
        news_language=_text(fields.get("language")),
        news_keywords=tuple(keywords),
    )
