"""The ``sitemaps`` spider: sitemap indexes, urlsets and Google News sitemaps.

Scrapy's SitemapSpider drops the ``news:`` children of a ``<url>`` (publication date,
title), which are the best date a news site gives, so sitemaps are parsed by
crawler.sitemapparse and this spider does the following itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request

from archive.dates import as_utc
from archive.sanitize import http_url
from crawler.sitemapparse import (
    SitemapError,
    entry_date,
    parse_sitemap,
    sitemap_urls_from_robots,
)
from crawler.spiders.base import NOT_MODIFIED, SourceSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.http import Response


logger = logging.getLogger(__name__)


class SitemapsSpider(SourceSpider):
    """Fetch sitemaps (or robots.txt files naming them) and the article pages they list.

    Argument ``since`` (or setting REPRINT_SINCE): only pages dated on or after it.
    """

    name = "sitemaps"
    source_kind = "sitemap"

    def __init__(self, *args: Any, since: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._since_arg = since

    async def start(self) -> AsyncIterator[Any]:
        since = self._since_arg or self.settings.get("REPRINT_SINCE")
        self.since = as_utc(since)
        if since and self.since is None:
            raise ValueError(f"since: not a date: {since!r}")
        for source in self.sources():
            callback = self.parse_robots if source.url.endswith("/robots.txt") else None
            yield self.source_request(
                source,
                callback=callback or self.parse_sitemap,
                cb_kwargs={"source": source.name, "depth": 0},
                meta={"download_maxsize": self.settings.getint("REPRINT_SITEMAP_MAXSIZE")},
            )

    def _sitemap_request(self, url: str, source: str, depth: int) -> Request:
        """A request for a sitemap named by robots.txt or a sitemap index."""
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.on_error,
            cb_kwargs={"source": source, "depth": depth},
            meta={"download_maxsize": self.settings.getint("REPRINT_SITEMAP_MAXSIZE")},
        )

    def parse_robots(self, response: Response, source: str, depth: int) -> Iterator[Request]:
        """Follow the Sitemap: lines of a robots.txt."""
        if response.status == NOT_MODIFIED:
            self.report_source(response)
            return  # nothing new since the last crawl
        named_urls = sitemap_urls_from_robots(response.body)
        self.report_source(response, problem=None if named_urls else "robots.txt names no sitemap")
        for named in named_urls:
            # the same rule as a sitemap's <loc>s: a remote file must not name local ones
            url = http_url(named, response.url)
            if url is None:
                self.crawler.stats.inc_value("reprint/skipped/not_http_url")
                logger.warning("robots.txt %s names a non-http(s) sitemap %s", response.url, named)
                continue
            yield self._sitemap_request(url, source, depth)

    def parse_sitemap(self, response: Response, source: str, depth: int) -> Iterator[Request]:
        """Parse a sitemap index (follow it), or a urlset, feed or URL list (request its
        pages). An unusable document is counted under ``reprint/sitemaps/<reason>`` and
        reported as the source's problem."""
        stats = self.crawler.stats
        if response.status == NOT_MODIFIED:
            self.report_source(response)
            return  # nothing new since the last crawl
        max_bytes = self.settings.getint("REPRINT_SITEMAP_MAXSIZE")
        try:
            sitemap = parse_sitemap(response.body, response.url, max_bytes)
        except SitemapError as exc:
            stats.inc_value(f"reprint/sitemaps/{exc.stat}")
            logger.warning("unusable sitemap %s: %s", response.url, exc)
            self.report_source(response, problem=f"sitemap: {exc}")
            return
        self.report_source(response)
        stats.inc_value(f"reprint/sitemaps/{sitemap.kind}")
        if sitemap.recovered:
            stats.inc_value("reprint/sitemaps/recovered")
        if sitemap.kind == "sitemapindex":
            if depth >= self.settings.getint("REPRINT_SITEMAP_MAX_DEPTH"):
                stats.inc_value("reprint/sitemaps/too_deep")
                logger.warning("sitemap index %s nested too deep; not followed", response.url)
                return
            for entry in sitemap.entries:
                yield self._sitemap_request(entry.loc, source, depth + 1)
            return
        for entry in sitemap.entries:
            dated = entry_date(entry)
            if self.since is not None and dated is not None and dated < self.since:
                stats.inc_value("reprint/sitemaps/older_than_since")
                continue
            hints = {
                "title": entry.news_title,
                "published": entry.news_published or entry.lastmod,
                "tags": list(entry.news_keywords),
            }
            yield self.article_request(entry.loc, source, hints)
