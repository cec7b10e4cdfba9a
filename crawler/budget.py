"""Bounded work per source: at most REPRINT_SOURCE_MAX_REQUESTS fetches a crawl for what
one source lists (its articles, the child sitemaps of an index, a site's pages).

Why: one source must not hold the crawl, and with it the archive's write lock that every
other scheduled source waits for, for hours. A 100k-item feed or a 50k-child sitemap
index is legal and served by real sites; without a cap a single such source turns an
hourly crawl into a day-long one.

Why a downloader middleware: it runs after ArchivedPagesMiddleware (120), so pages already
archived never count. A source larger than the cap is taken in slices: each crawl fetches
up to the cap of what is new, and the next crawl goes on from there. A capped crawl is not
clean (crawler.pipelines.INCOMPLETE_STATS): the source's ETag is not saved, so the next
crawl is not answered 304 and sees the rest.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

from crawler.spiders.base import SOURCE_META

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# The stat a request over its source's budget is counted under (by the spider's errback,
# from the IgnoreRequest reason below).
SOURCE_CAP_REASON = "source request cap"
SOURCE_CAP_STAT = "reprint/skipped/source_request_cap"


class SourceBudgetMiddleware:
    """Refuse a source's requests beyond its budget for this crawl, counting them."""

    def __init__(self, crawler: Crawler) -> None:
        self.limit = crawler.settings.getint("REPRINT_SOURCE_MAX_REQUESTS")
        self.spent: dict[str, int] = {}
        self.capped: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if self.limit <= 0 or request.meta.get(SOURCE_META) is not None:
            return  # no cap, or the source document itself (always fetched)
        source = (request.cb_kwargs or {}).get("source")
        if not isinstance(source, str):
            return  # robots.txt and other requests of no source
        spent = self.spent.get(source, 0)
        if spent < self.limit:
            self.spent[source] = spent + 1
            return
        if source not in self.capped:
            self.capped.add(source)
            logger.warning(
                "source %s: %d requests this crawl, its cap (REPRINT_SOURCE_MAX_REQUESTS); "
                "the rest waits for the next crawl",
                source,
                self.limit,
            )
        raise IgnoreRequest(SOURCE_CAP_REASON)
