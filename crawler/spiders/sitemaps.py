"""The ``sitemaps`` spider: sitemap indexes, urlsets and Google News sitemaps (and feeds
or URL lists used as sitemaps); given a homepage, it finds the site's sitemaps.

Scrapy's SitemapSpider drops the ``news:`` children of a ``<url>`` (publication date,
title), which are the best date a news site gives, so sitemaps are parsed by
crawler.sitemapparse and this spider does the following itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request

from archive.dates import as_utc
from archive.sanitize import http_url
from crawler.sitemapparse import (
    SitemapError,
    entry_date,
    parse_sitemap,
    sitemap_urls_from_robots,
)
from crawler.spiders.base import NOT_MODIFIED, SOURCE_META, SourceSpider, parse_off_reactor

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy.http import Response

    from crawler.sitemapparse import SitemapEntry


logger = logging.getLogger(__name__)

# Where sites put their sitemaps when robots.txt names none (trafilatura and
# ultimate-sitemap-parser look there too); tried for a homepage given as the source.
WELL_KNOWN_SITEMAPS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml")
# statuses of a place without a sitemap: answered by the callback, not the errback
MISSING = [404, 410]
# Request.meta keys: the robots.txt of a homepage source; a guessed sitemap URL
HOMEPAGE_META = "reprint_homepage_robots"
GUESSED_META = "reprint_guessed_sitemap"


class SitemapsSpider(SourceSpider):
    """Fetch sitemaps (or robots.txt files naming them) and the article pages they list.

    Argument ``since`` (or setting REPRINT_SINCE): only pages dated on or after it.
    """

    name = "sitemaps"
    source_kind = "sitemap"

    def __init__(self, *args: Any, since: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._since_arg = since
        # homepage source URL -> well-known places still to be tried for its sitemaps
        self._guesses_left: dict[str, int] = {}

    async def start(self) -> AsyncIterator[Any]:
        since = self._since_arg or self.settings.get("REPRINT_SINCE")
        self.since = as_utc(since)
        if since and self.since is None:
            raise ValueError(f"since: not a date: {since!r}")
        for source in self.sources():
            if urlsplit(source.url).path in ("", "/"):
                # a homepage: its robots.txt names its sitemaps, else the usual places
                yield self.source_request(
                    source,
                    urljoin(source.url, "/robots.txt"),
                    callback=self.parse_robots,
                    cb_kwargs={"source": source.name, "depth": 0},
                    meta={HOMEPAGE_META: True, "handle_httpstatus_list": MISSING},
                )
                continue
            callback = self.parse_robots if source.url.endswith("/robots.txt") else None
            yield self.source_request(
                source,
                callback=callback or self.parse_sitemap,
                cb_kwargs={"source": source.name, "depth": 0},
                meta={"download_maxsize": self.settings.getint("REPRINT_SITEMAP_MAXSIZE")},
            )

    def _guess(self, response: Response, source: str) -> Iterator[Request]:
        """Requests for a homepage's sitemaps at the places sites put them."""
        homepage = response.meta[SOURCE_META]
        self._guesses_left[homepage.url] = len(WELL_KNOWN_SITEMAPS)
        for path in WELL_KNOWN_SITEMAPS:
            yield self.source_request(
                homepage,
                urljoin(homepage.url, path),
                callback=self.parse_sitemap,
                cb_kwargs={"source": source, "depth": 0},
                meta={
                    GUESSED_META: True,
                    "handle_httpstatus_list": MISSING,
                    "download_maxsize": self.settings.getint("REPRINT_SITEMAP_MAXSIZE"),
                },
            )

    def _guess_missed(self, response: Response) -> None:
        """Count a well-known place without a sitemap; report the homepage's problem when
        the last one missed too."""
        self.crawler.stats.inc_value("reprint/sitemaps/guess_missed")
        homepage = response.meta[SOURCE_META]
        self._guesses_left[homepage.url] -= 1
        if not self._guesses_left[homepage.url]:
            places = ", ".join(WELL_KNOWN_SITEMAPS)
            self.report_source(
                response, problem=f"no sitemap: robots.txt names none, none at {places}"
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
        """Follow the Sitemap: lines of a robots.txt (for a homepage given as the source,
        when it names none, look at the places sites put sitemaps)."""
        if response.status == NOT_MODIFIED:
            self.report_source(response)
            return  # nothing new since the last crawl
        named_urls = [] if response.status in MISSING else sitemap_urls_from_robots(response.body)
        if HOMEPAGE_META in response.meta:
            # A homepage's robots.txt is not reported (as feeds' pages are not, see
            # FeedsSpider.parse_feed): a 304 for it next time would hide its sitemaps.
            if not named_urls:
                yield from self._guess(response, source)
                return
        else:
            problem = None if named_urls else "robots.txt names no sitemap"
            # unconditional next time: the sitemaps it names change while it does not
            self.report_source(response, problem=problem, lists_pages=False)
        for named in named_urls:
            # the same rule as a sitemap's <loc>s: a remote file must not name local ones
            url = http_url(named, response.url)
            if url is None:
                self.crawler.stats.inc_value("reprint/skipped/not_http_url")
                logger.warning("robots.txt %s names a non-http(s) sitemap %s", response.url, named)
                continue
            yield self._sitemap_request(url, source, depth)

    async def parse_sitemap(
        self, response: Response, source: str, depth: int
    ) -> AsyncIterator[Request]:
        """Parse a sitemap index (follow it), or a urlset, feed or URL list (request its
        pages). An unusable document is counted under ``reprint/sitemaps/<reason>`` and
        reported as the source's problem.

        The document is parsed in a thread and its requests handed over in runs: a
        sitemap of 50,000 URLs would otherwise hold the reactor for seconds (issue 10)."""
        stats = self.crawler.stats
        if response.status == NOT_MODIFIED:
            self.report_source(response)
            return  # nothing new since the last crawl
        guessed = GUESSED_META in response.meta
        if guessed and response.status in MISSING:
            self._guess_missed(response)
            return
        max_bytes = self.settings.getint("REPRINT_SITEMAP_MAXSIZE")
        try:
            sitemap = await parse_off_reactor(parse_sitemap, response.body, response.url, max_bytes)
        except SitemapError as exc:
            if guessed:  # a page where a sitemap might have been: nothing to report
                self._guess_missed(response)
                return
            stats.inc_value(f"reprint/sitemaps/{exc.stat}")
            logger.warning("unusable sitemap %s: %s", response.url, exc)
            self.report_source(response, problem=str(exc).removesuffix(f" at {response.url}"))
            return
        # an index is read again on every crawl: its child sitemaps change while it does not
        self.report_source(response, lists_pages=sitemap.kind != "sitemapindex")
        stats.inc_value(f"reprint/sitemaps/{sitemap.kind}")
        if sitemap.recovered:
            stats.inc_value("reprint/sitemaps/recovered")
        if sitemap.kind == "sitemapindex":
            if depth >= self.settings.getint("REPRINT_SITEMAP_MAX_DEPTH"):
                stats.inc_value("reprint/sitemaps/too_deep")
                logger.warning("sitemap index %s nested too deep; not followed", response.url)
                return
            # the children's addresses alone while held back, not the parsed entries
            locs = [entry.loc for entry in sitemap.entries]
            children = (self._sitemap_request(loc, source, depth + 1) for loc in locs)
            async for request in self.hand_over(children):
                yield request
            return
        async for request in self.hand_over(self._page_requests(sitemap.entries, source)):
            yield request

    def _page_requests(self, entries: Iterable[SitemapEntry], source: str) -> Iterator[Request]:
        stats = self.crawler.stats
        # plain tuples of strings while held back (crawler/spiders/feeds.py says why)
        rows = []
        for entry in entries:
            dated = entry_date(entry)
            if self.since is not None and dated is not None and dated < self.since:
                stats.inc_value("reprint/sitemaps/older_than_since")
                continue
            published = entry.news_published or entry.lastmod
            rows.append((entry.loc, entry.news_title, published, entry.news_keywords))
        del entries
        for url, title, published, tags in rows:
            hints = {"title": title, "published": published, "tags": list(tags)}
            yield self.article_request(url, source, hints)
