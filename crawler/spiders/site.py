"""The ``site`` spider: a polite crawl of one publisher from its section pages, for sites
without a usable feed or sitemap."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor

from archive.sanitize import http_url
from crawler.pagekind import is_article_page, is_hub_url
from crawler.spiders.base import NOT_MODIFIED, SourceSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.http import Response

    from crawler.sources import Source

logger = logging.getLogger(__name__)

# Links to these are never pages worth fetching.
SKIP_EXTENSIONS = [".xml", ".rss", ".atom", ".json", ".txt"]


class SiteSpider(SourceSpider):
    """From each site source's URL and section pages, follow links within that site up to
    REPRINT_SITE_DEPTH, yielding article pages and following hubs; at most
    REPRINT_SITE_MAX_PAGES pages per site."""

    name = "site"
    source_kind = "site"

    async def start(self) -> AsyncIterator[Any]:
        self.max_depth = self.settings.getint("REPRINT_SITE_DEPTH")
        self.max_pages = self.settings.getint("REPRINT_SITE_MAX_PAGES")
        self.scheduled: dict[str, int] = {}
        self.seen: set[str] = set()
        # (allow_domains cannot tell two sites on one IP apart; hosts are compared below)
        self.link_extractor = LinkExtractor(
            deny_extensions=[*LinkExtractor().deny_extensions, *SKIP_EXTENSIONS]
        )
        for source in self.sources():
            starts = [source.url, *(urljoin(source.url, s) for s in source.sections)]
            for url in dict.fromkeys(starts):
                request = self._follow(url, source.name, 0, start_of=source)
                if request is not None:
                    yield request

    def _follow(
        self, url: str, source: str, depth: int, *, start_of: Source | None = None
    ) -> Request | None:
        url = url.split("#", 1)[0]
        if url in self.seen:  # linked from many pages: count it once against the limit
            return None
        host = urlsplit(url).netloc
        if self.scheduled.get(host, 0) >= self.max_pages:
            self.crawler.stats.inc_value("reprint/site/page_limit_reached")
            return None
        self.seen.add(url)
        self.scheduled[host] = self.scheduled.get(host, 0) + 1
        kwargs: dict[str, Any] = {
            "callback": self.parse_page,
            "cb_kwargs": {"source": source, "depth": depth},
        }
        if start_of is not None:  # a start page: the source itself, reported as such
            return self.source_request(start_of, url, **kwargs)
        return Request(url, errback=self.on_error, **kwargs)

    def parse_page(self, response: Response, source: str, depth: int) -> Iterator[Any]:
        """Yield the page if it is an article; follow its in-site links while under depth."""
        self.report_source(response)
        if response.status == NOT_MODIFIED:
            return  # nothing new since the last crawl
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("reprint/site/not_text")
            return
        if is_article_page(response):
            yield self.page_item(response, source)
        else:
            stats.inc_value("reprint/site/hubs")
        if depth >= self.max_depth:
            return
        host = urlsplit(response.url).netloc
        for link in self.link_extractor.extract_links(response):
            # same host and port: one publisher; the scheme too, as the link extractor
            # keeps ftp: and file: links (ftp://same.host/ has the page's netloc)
            if urlsplit(link.url).netloc != host or http_url(link.url, None) is None:
                continue
            if depth + 1 >= self.max_depth and is_hub_url(link.url):
                # a listing at the last level is a dead end: its links would not be followed
                stats.inc_value("reprint/site/leaf_hubs_skipped")
                continue
            request = self._follow(link.url, source, depth + 1)
            if request is not None:
                yield request
