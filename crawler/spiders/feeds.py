"""The ``feeds`` spider: RSS and Atom feeds, then the articles they list."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request

from crawler.feedparse import FeedError, parse_feed
from crawler.spiders.base import NOT_MODIFIED, SourceSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.http import Response


logger = logging.getLogger(__name__)


class FeedsSpider(SourceSpider):
    """Fetch each feed and every article it lists; the feed's title, date and author
    become hints for pages that do not state them."""

    name = "feeds"
    source_kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources():
            yield self.source_request(
                source, callback=self.parse_feed, cb_kwargs={"source": source.name}
            )

    def parse_feed(self, response: Response, source: str) -> Iterator[Request]:
        """Parse a feed and request its articles."""
        self.report_source(response)
        if response.status == NOT_MODIFIED:
            return  # nothing new since the last crawl
        stats = self.crawler.stats
        try:
            content_type = response.headers.get("Content-Type")
            feed = parse_feed(
                response.body,
                response.url,
                content_type.decode("latin-1") if content_type else None,
            )
        except FeedError as exc:
            stats.inc_value("reprint/feeds/invalid")
            logger.warning("invalid feed %s: %s", response.url, exc)
            return
        stats.inc_value("reprint/feeds/parsed")
        if feed.recovered:
            stats.inc_value("reprint/feeds/recovered")
            logger.warning(
                "malformed feed %s: recovered %d entries", response.url, len(feed.entries)
            )
        stats.inc_value("reprint/feeds/entries", len(feed.entries))
        for entry in feed.entries:
            hints = {
                "title": entry.title,
                "published": entry.published,
                "author": entry.author,
                "tags": list(entry.tags),
            }
            yield self.article_request(entry.url, source, hints)
