"""Parse XML sitemaps and sitemap indexes, keeping the Google News ``news:`` fields.

Scrapy's ``scrapy.utils.sitemap.Sitemap`` drops the ``<news:news>`` children (title,
publication date, keywords), which the crawler needs to filter and label stories before
fetching them; hence this small parser. No Scrapy here. It shares the safe XML loading
(no entity expansion, no network, recover mode) with ``crawler.feedparse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from archive.dates import as_utc, normalise_date
from archive.sanitize import http_url
from crawler.feedparse import load_xml

if TYPE_CHECKING:
    from lxml.etree import _Element

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
    """A body that is not a usable sitemap; the message names the URL and the reason."""


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


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """Parse a ``<urlset>`` sitemap (with Google News fields) or a ``<sitemapindex>``.

    The sitemap namespace is not checked (sites use wrong or missing ones); the news
    fields are read from the Google News namespace, or from any element named ``news``
    when that namespace is missing.

    :param body: the raw, already gunzipped bytes of the response.
    :param base_url: URL the sitemap was fetched from; relative ``<loc>`` values are
        resolved against it and only http(s) URLs are kept.
    :raises SitemapError: for an empty body, non-XML, XML that is not a sitemap, or
        malformed XML from which no entry could be recovered.
    """
    root, recovered = load_xml(body, base_url, SitemapError)
    name = _local(root.tag)
    if name == "urlset":
        child_name = "url"
    elif name == "sitemapindex":
        child_name = "sitemap"
    else:
        raise SitemapError(f"not a sitemap: <{name}> root at {base_url}")
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    # At any depth: recover mode nests every <url> after an unclosed tag inside the broken
    # one. "{*}" matches the name in any namespace or none.
    for child in root.iter(f"{{*}}{child_name}"):
        if not _is_sitemap_element(child, child_name):
            continue
        entry = _entry(child, base_url, with_news=name == "urlset")
        if entry is not None and entry.loc not in seen:
            seen.add(entry.loc)
            entries.append(entry)
    if recovered and not entries:
        raise SitemapError(f"malformed sitemap with no usable entries at {base_url}")
    return Sitemap(kind=name, entries=tuple(entries), recovered=recovered)


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
