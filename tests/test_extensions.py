"""reprint's Scrapy extensions in-process: enabled on a crawler without an engine and
driven by the signals the engine sends (the article limit, which stops an engine, by a
crawl run in-process)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler

from archive.sources import SourceFetch
from crawler.crawlstats import SOURCES_FAILED, SOURCES_READ
from crawler.extensions import (
    ARTICLE_LIMIT_REASON,
    ArticleLimit,
    ProgressDisplay,
    SourceReport,
    announce,
)
from crawler.looplag import MAX_STAT, P99_STAT, LoopLagMonitor
from crawler.signals import source_fetched

from .component_crawler import component_crawler, reprint_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from scrapy.crawler import Crawler

FEED = "https://tidings.example/feed.xml"
SITEMAP = "https://popdesk.example/sitemap.xml"
CHILD = "https://popdesk.example/sitemap-2.xml"


def _with(extension: type, **settings: Any) -> Crawler:
    """A crawler with ``extension`` enabled (Scrapy builds it, or leaves it out when it
    raises NotConfigured)."""
    path = f"{extension.__module__}.{extension.__name__}"
    return component_crawler({"EXTENSIONS": {path: 0}, **settings})


# --- SourceReport ---


def test_source_report_counts_and_describes_failed_sources() -> None:
    crawler = _with(SourceReport)
    report = crawler.get_extension(SourceReport)
    fetches = [
        SourceFetch(FEED, "feed", "tidings", 503, problem="HTTP 503"),
        SourceFetch(FEED, "feed", "tidings", 200),  # read on its retry: no failure left
        SourceFetch(SITEMAP, "sitemap", "popdesk", 200),
        SourceFetch(CHILD, "sitemap", "popdesk", 404, problem="HTTP 404"),
        SourceFetch("https://gone.example/rss", "feed", "gone", 0, problem="DNS lookup failed"),
    ]
    for fetch in fetches:
        crawler.signals.send_catch_log(source_fetched, fetch=fetch)
    assert crawler.stats.get_value(SOURCES_READ) == 2
    assert crawler.stats.get_value(SOURCES_FAILED) == 3
    # a sitemap index with one bad child still gave the others: its source is not dead
    assert sorted(report.failures(), key=lambda f: f["url"]) == [
        {
            "url": "https://gone.example/rss",
            "kind": "feed",
            "source": "gone",
            "problem": "DNS lookup failed",
            "dead": True,
        },
        {
            "url": CHILD,
            "kind": "sitemap",
            "source": "popdesk",
            "problem": "HTTP 404",
            "dead": False,
        },
    ]


# --- ArticleLimit ---


class _StoresArticles(Spider):
    """A spider that stores ``articles`` articles (as ArchivePipeline counts them), then
    waits for the spiders it runs beside to do the same (``together``), and fetches
    nothing."""

    name = "stores"
    articles = 0
    together: asyncio.Barrier | None = None

    async def start(self) -> AsyncIterator[Any]:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("reprint/articles_stored", self.articles)
        if self.together is not None:
            await self.together.wait()
        return
        yield


def _limited_crawler(tmp_path: Path, limit: int) -> Crawler:
    """A crawler of :class:`_StoresArticles` under ``--limit``, for a real engine on
    asyncio in this process."""
    settings = {
        **reprint_settings(),
        "TWISTED_REACTOR_ENABLED": False,
        "ARCHIVE_PATH": str(tmp_path / "archive.db"),
        "ITEM_PIPELINES": {},  # the spider counts its articles itself
        "EXTENSIONS_BASE": {},
        "EXTENSIONS": {"crawler.extensions.ArticleLimit": 0},
        "REPRINT_ARTICLE_LIMIT": limit,
        "LOG_LEVEL": "WARNING",
    }
    return get_crawler(_StoresArticles, settings)


async def _crawl(crawler: Crawler, **kwargs: Any) -> str:
    """Run the crawl; its close reason."""
    reasons: list[str] = []

    def closed(reason: str) -> None:
        reasons.append(reason)

    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
    await crawler.crawl_async(**kwargs)
    [reason] = reasons
    return reason


def test_the_article_limit_is_off_by_default() -> None:
    assert _with(ArticleLimit).get_extension(ArticleLimit) is None


def test_the_article_limit_stops_the_crawl_once_reached(tmp_path: Path) -> None:
    crawler = _limited_crawler(tmp_path, limit=2)
    assert asyncio.run(_crawl(crawler, articles=2)) == ARTICLE_LIMIT_REASON


def test_the_spiders_of_one_crawl_share_the_limit(tmp_path: Path) -> None:
    async def crawl() -> list[str]:
        together = asyncio.Barrier(2)
        crawlers = [_limited_crawler(tmp_path, limit=2) for _ in range(2)]
        return await asyncio.gather(*(_crawl(c, articles=1, together=together) for c in crawlers))

    # one article each: neither alone reaches the limit, the two together do
    assert asyncio.run(crawl()) == [ARTICLE_LIMIT_REASON, ARTICLE_LIMIT_REASON]


def test_a_later_crawl_in_the_same_process_starts_its_count_at_zero(tmp_path: Path) -> None:
    # the crawlers under a limit were a module-level list never emptied: a second crawl in
    # one process (a test run, an embedding application) counted the first one's articles
    # and stopped at once
    first = _limited_crawler(tmp_path, limit=2)
    assert asyncio.run(_crawl(first, articles=2)) == ARTICLE_LIMIT_REASON
    second = _limited_crawler(tmp_path, limit=2)
    assert asyncio.run(_crawl(second, articles=1)) == "finished"


# --- LoopLagMonitor ---


def test_loop_lag_is_the_time_the_loop_was_kept_from_its_timer() -> None:
    crawler = _with(LoopLagMonitor, REPRINT_LOOP_LAG_INTERVAL=0.005)

    async def crawl() -> None:
        await crawler.signals.send_catch_log_async(signals.spider_opened, spider=crawler.spider)
        time.sleep(0.06)  # a callback holding the loop: the timer due in 5 ms waits
        await asyncio.sleep(0.02)  # the late tick runs
        await crawler.signals.send_catch_log_async(
            signals.spider_closed, spider=crawler.spider, reason="finished"
        )

    asyncio.run(crawl())
    # at least 60 ms held minus the 5 ms the tick was not yet due
    assert crawler.stats.get_value(MAX_STAT) >= 55
    assert crawler.stats.get_value(P99_STAT) >= 1


def test_loop_lag_is_not_measured_without_a_running_loop() -> None:
    crawler = _with(LoopLagMonitor)
    crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason="finished")
    assert crawler.stats.get_stats() == {}


def test_loop_lag_can_be_turned_off() -> None:
    crawler = _with(LoopLagMonitor, REPRINT_LOOP_LAG_INTERVAL=0)
    assert crawler.get_extension(LoopLagMonitor) is None


# --- ProgressDisplay ---


def test_the_progress_display_is_off_unless_asked_for() -> None:
    assert _with(ProgressDisplay).get_extension(ProgressDisplay) is None


def test_lines_are_announced_above_the_progress_display(capsys: pytest.CaptureFixture) -> None:
    crawler = _with(ProgressDisplay, REPRINT_PROGRESS=True)
    crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
    announce("first Ctrl-C: stopping after the pages in flight")
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason="finished")
    announce("crawl stopped")
    err = capsys.readouterr().err
    assert "first Ctrl-C: stopping after the pages in flight" in err
    assert "crawl stopped" in err
