"""Scrapy extensions of reprint: the live progress display, the report of each source
document's fate, and the --limit on stored articles."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.crawlstats import (
    SOURCES_FAILED,
    SOURCES_READ,
    figures_table,
    queued,
)
from crawler.signals import source_fetched

if TYPE_CHECKING:
    from rich.console import RenderableType
    from scrapy.crawler import Crawler

    from archive.sources import SourceFetch


class _ProgressBoard:
    """One live table for every crawler of the process (feeds, sitemaps and site run
    side by side under `reprint crawl`), under a line of the whole crawl's pace."""

    def __init__(self) -> None:
        self.crawlers: list[Crawler] = []
        self.live: Live | None = None
        self.started = time.monotonic()

    def render(self) -> RenderableType:
        elapsed = time.monotonic() - self.started
        columns = [
            (c.spider.name if c.spider is not None else "?", dict(c.stats.get_stats()))
            for c in self.crawlers
        ]
        responses = sum(stats.get("downloader/response_count", 0) for _, stats in columns)
        waiting = sum(queued(stats) for _, stats in columns)
        in_flight = sum(
            len(c.engine.downloader.active) for c in self.crawlers if c.engine is not None
        )
        minutes, seconds = divmod(int(elapsed), 60)
        pace = Text(
            f"reprint crawl · {minutes}:{seconds:02d} elapsed · "
            f"{responses / max(elapsed, 1e-3):.1f} pages/s · {waiting} queued · "
            f"{in_flight} in flight"
        )
        return Group(pace, figures_table("", columns, live=True))  # "": no title line

    def add(self, crawler: Crawler) -> None:
        self.crawlers.append(crawler)
        if self.live is None:
            self.started = time.monotonic()
            self.live = Live(
                get_renderable=self.render,
                console=Console(stderr=True, markup=False, emoji=False, highlight=False),
                refresh_per_second=4,
                transient=True,
            )
            self.live.start()

    def remove(self, crawler: Crawler) -> None:
        if self.crawlers == [crawler]:
            self.stop()  # before the last frame would show no spider at all
        if crawler in self.crawlers:
            self.crawlers.remove(crawler)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


_BOARD = _ProgressBoard()


def announce(message: str) -> None:
    """Print a line on stderr above the live table (or alone when there is none)."""
    console = _BOARD.live.console if _BOARD.live is not None else Console(stderr=True)
    console.print(Text(message), soft_wrap=True)


def stop_progress() -> None:
    """Take the live table down (a crawl stopped at once closes no spider to do it)."""
    _BOARD.stop()


class ProgressDisplay:
    """A live table of the crawl's figures (crawler/crawlstats.py) with its elapsed time,
    pace and queue (REPRINT_PROGRESS)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressDisplay:
        if not crawler.settings.getbool("REPRINT_PROGRESS"):
            raise NotConfigured  # silent: off is the normal case outside a terminal
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        _BOARD.add(self.crawler)

    def spider_closed(self) -> None:
        _BOARD.remove(self.crawler)


class SourceReport:
    """Count the source documents (feeds, sitemaps, start pages) read and failed, and
    keep each failure with its reason in words, for the summary's list of failed
    sources (stats SOURCES_READ, SOURCES_FAILED; :meth:`failures`).

    A source is dead when none of its documents could be read (a sitemap index with one
    bad child still gave the others)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.read: set[tuple[str, str]] = set()  # (kind, name) of sources read at least once
        self.failed: dict[str, SourceFetch] = {}  # by URL, the last failed fetch

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceReport:
        ext = cls(crawler)
        crawler.signals.connect(ext.source_fetched, signal=source_fetched)
        return ext

    def source_fetched(self, fetch: SourceFetch) -> None:
        if fetch.problem is None:
            self.stats.inc_value(SOURCES_READ)
            self.read.add((fetch.kind, fetch.name))
            self.failed.pop(fetch.url, None)
        else:
            self.stats.inc_value(SOURCES_FAILED)
            self.failed[fetch.url] = fetch

    def failures(self) -> list[dict[str, Any]]:
        """Each source document that failed: {url, kind, source, problem, dead}."""
        return [self._describe(fetch) for fetch in self.failed.values()]

    def _describe(self, fetch: SourceFetch) -> dict[str, Any]:
        return {
            "url": fetch.url,
            "kind": fetch.kind,
            "source": fetch.name,
            "problem": fetch.problem,
            "dead": (fetch.kind, fetch.name) not in self.read,
        }


ARTICLE_LIMIT_REASON = "closespider_articles"


class _LimitGroup:
    """The crawlers that share one --limit: those writing one archive at the same time
    (the spiders of one `reprint crawl`, which share its crawl lock too)."""

    def __init__(self) -> None:
        self.crawlers: list[Crawler] = []  # a closed one's articles still count
        self.open = 0  # its spiders still open; at 0 the crawl is over and the group goes
        self.closing: list[Crawler] = []  # told to close, each once

    def stored(self) -> int:
        return sum(c.stats.get_value("reprint/articles_stored", 0) for c in self.crawlers)


# the groups of the crawls running in this process, by archive; a group lives only while
# one of its spiders is open, so a later crawl in the same process starts at zero
_GROUPS: dict[Path, _LimitGroup] = {}


class ArticleLimit:
    """Stop every spider of the crawl once REPRINT_ARTICLE_LIMIT new articles are
    stored between them (`reprint crawl --limit N`); pages in flight are still stored.

    The close reason is ``closespider_articles``: a finished crawl, but one that did not
    archive all its sources listed, so their validators are not saved (the next crawl
    reads them in full)."""

    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.limit = limit
        self.key = Path(crawler.settings.get("ARCHIVE_PATH") or "").resolve()
        self.group: _LimitGroup | None = None  # joined when the spider opens

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleLimit:
        limit = crawler.settings.getint("REPRINT_ARTICLE_LIMIT")
        if limit <= 0:
            raise NotConfigured
        ext = cls(crawler, limit)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.check, signal=signals.item_scraped)
        crawler.signals.connect(ext.check, signal=signals.spider_idle)
        return ext

    def spider_opened(self) -> None:
        # on opening, not on creation: a crawler whose spider never opened never closes
        # it either, and would keep its group forever
        self.group = _GROUPS.setdefault(self.key, _LimitGroup())
        self.group.crawlers.append(self.crawler)
        self.group.open += 1

    def spider_closed(self) -> None:
        if self.group is None:
            return
        self.group.open -= 1
        if self.group.open == 0:
            del _GROUPS[self.key]

    def check(self) -> None:
        group = self.group
        if group is None or group.stored() < self.limit:
            return
        for crawler in group.crawlers:
            engine = crawler.engine
            if engine is not None and engine.running and crawler not in group.closing:
                group.closing.append(crawler)
                deferred_from_coro(engine.close_spider_async(reason=ARTICLE_LIMIT_REASON))
