"""The ``feeds`` spider: RSS, Atom and JSON feeds, then the articles they list; a homepage
given as a feed is read for the feeds it names (``<link rel="alternate">``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request

from crawler.feedparse import FeedError, discover_feeds, parse_feed
from crawler.spiders.base import NOT_MODIFIED, SOURCE_META, SourceSpider, parse_off_reactor

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy.http import Response

    from crawler.feedparse import FeedEntry


logger = logging.getLogger(__name__)

# Request.meta key of a feed found by autodiscovery on the source's page
DISCOVERED_META = "reprint_discovered_feed"


class FeedsSpider(SourceSpider):
    """Fetch each feed and every article it lists; the feed's title, date and author
    become hints for pages that do not state them."""

    name = "feeds"
    source_kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources():
            yield self.source_request(
                source,
                callback=self.parse_feed,
                cb_kwargs={"source": source.name},
                meta={"download_maxsize": self.settings.getint("REPRINT_FEED_MAXSIZE")},
            )

    async def parse_feed(self, response: Response, source: str) -> AsyncIterator[Request]:
        """Parse a feed and request its articles; on an HTML page given as the source
        (a homepage), follow the feeds it names instead (autodiscovery).

        The feed is parsed in a thread and its requests handed over in runs, so a feed of
        thousands of entries does not hold the reactor (400 ms for 2,500, issue 10)."""
        if response.status == NOT_MODIFIED:
            self.report_source(response)
            return  # nothing new since the last crawl
        stats = self.crawler.stats
        try:
            content_type = response.headers.get("Content-Type")
            feed = await parse_off_reactor(
                parse_feed,
                response.body,
                response.url,
                content_type.decode("latin-1") if content_type else None,
            )
        except FeedError as exc:
            discovered = (
                [] if DISCOVERED_META in response.meta else self._discover(response, source)
            )
            if discovered:
                # Not reported: its validators would make the next crawl's request for
                # the page a 304, and the feeds it names would never be asked for again.
                # The feeds themselves are reported, by their URLs.
                for request in discovered:
                    yield request
                return
            stats.inc_value("reprint/feeds/invalid")
            logger.warning("invalid feed %s: %s", response.url, exc)
            problem = str(exc).removesuffix(f" at {response.url}")
            if problem == "not a feed: <html> root":
                problem = "not a feed: a page naming no feed"
            self.report_source(response, problem=problem)
            return
        self.report_source(response)
        stats.inc_value("reprint/feeds/parsed")
        if feed.recovered:
            stats.inc_value("reprint/feeds/recovered")
            logger.warning(
                "malformed feed %s: recovered %d entries", response.url, len(feed.entries)
            )
        stats.inc_value(f"reprint/feeds/{feed.kind}")
        stats.inc_value("reprint/feeds/entries", len(feed.entries))
        async for request in self.hand_over(self._article_requests(feed.entries, source)):
            yield request

    def _article_requests(self, entries: Iterable[FeedEntry], source: str) -> Iterator[Request]:
        # What is held back is kept as plain tuples of strings, which the garbage collector
        # stops tracking: 20,000 entry objects were scanned on every full pass (issue 10).
        rows = tuple((e.url, e.title, e.published, e.author, e.tags) for e in entries)
        del entries
        for url, title, published, author, tags in rows:
            hints = {"title": title, "published": published, "author": author, "tags": list(tags)}
            yield self.article_request(url, source, hints)

    def _discover(self, response: Response, source_name: str) -> list[Request]:
        """Requests for the feeds an HTML source page names (none for other bodies)."""
        source = response.meta.get(SOURCE_META)
        if source is None or response.body.lstrip()[:1] != b"<":
            return []
        urls = discover_feeds(response.body, response.url)
        most = self.settings.getint("REPRINT_FEED_DISCOVERY_MAX")
        if len(urls) > most:
            self.crawler.stats.inc_value("reprint/feeds/discovered_over_cap", len(urls) - most)
            urls = urls[:most]
        self.crawler.stats.inc_value("reprint/feeds/discovered", len(urls))
        if urls:
            logger.info("%s is a page naming feeds: %s", response.url, ", ".join(urls))
        return [
            self.source_request(
                source,
                url,
                callback=self.parse_feed,
                cb_kwargs={"source": source_name},
                # a discovered "feed" that is a page again is not followed further
                meta={
                    DISCOVERED_META: True,
                    "download_maxsize": self.settings.getint("REPRINT_FEED_MAXSIZE"),
                },
            )
            for url in urls
        ]
