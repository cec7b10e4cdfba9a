"""The item pipelines in-process: a crawler without an engine, hand-built page items, real
extraction (in a thread: REPRINT_EXTRACT_WORKERS=0) and a real SQLite archive."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from scrapy import signals

from archive.sources import SourceFetch
from crawler.budget import SOURCE_CAP_STAT
from crawler.items import PageItem
from crawler.pipelines import (
    ArchivePipeline,
    DedupPipeline,
    DuplicatePage,
    ExtractPipeline,
    NotAnArticle,
    PageTooComplex,
)
from crawler.signals import source_fetched

from .archive_builder import CONTENT_TYPE, LIGHTHOUSE, STORY, TOUR, page_html
from .component_crawler import component_crawler

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler

STORY_URL = "https://tidings.example/tv/glasshouse"
HUB = b"<html><head><title>TV</title></head><body><p>Latest TV news.</p></body></html>"
# one element more than archive.settings.MAX_HTML_ELEMENTS allows
TOO_MANY_ELEMENTS = b"<html><body>" + b"<i>x</i>" * 50_001 + b"</body></html>"


def _crawler(tmp_path: Path, **settings: Any) -> Crawler:
    return component_crawler(
        {"ARCHIVE_PATH": str(tmp_path / "archive.db"), "REPRINT_EXTRACT_WORKERS": 0, **settings}
    )


def _item(url: str, body: bytes, final_url: str | None = None) -> PageItem:
    return PageItem(
        url=url, final_url=final_url or url, status=200, body=body, content_type=CONTENT_TYPE
    )


async def _extracted(crawler: Crawler, *items: PageItem) -> list[PageItem | Exception]:
    """Each item through ExtractPipeline: the item, or the DropItem it raised."""
    pipeline = ExtractPipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        results: list[PageItem | Exception] = []
        for item in items:
            try:
                results.append(await pipeline.process_item(item))
            except Exception as exc:
                results.append(exc)
        return results
    finally:
        await pipeline.close_spider()


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "archive.db") as db:
        return db.execute(sql).fetchall()


def test_extract_pipeline_extracts_an_article(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    html = page_html("Glasshouse Bay renewed", STORY)
    [item] = asyncio.run(_extracted(crawler, _item(STORY_URL, html)))
    assert isinstance(item, PageItem) and item.extracted is not None
    assert item.extracted.title == "Glasshouse Bay renewed"
    assert "third season" in item.extracted.text
    assert item.prepared is not None and item.prepared.url_key == STORY_URL
    assert crawler.stats.get_value("reprint/extracted") == 1


def test_extract_pipeline_drops_what_is_not_an_article(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    hub, big = asyncio.run(
        _extracted(
            crawler,
            _item("https://tidings.example/tv/", HUB),
            _item("https://tidings.example/huge", TOO_MANY_ELEMENTS),
        )
    )
    assert isinstance(hub, NotAnArticle)
    assert isinstance(big, PageTooComplex) and big.reason == "too_many_elements"
    stats = crawler.stats.get_stats()
    assert stats["reprint/not_article"] == 1
    assert stats["reprint/skipped/too_many_elements"] == 1
    assert "reprint/extracted" not in stats


def test_dedup_pipeline_drops_a_page_reached_again_under_another_url(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    html = page_html("Glasshouse Bay renewed", STORY)
    # two links redirecting to the same story, the second with a tracking parameter
    first, second = asyncio.run(
        _extracted(
            crawler,
            _item("https://tidings.example/r/1", html, final_url=STORY_URL),
            _item("https://tidings.example/r/2", html, final_url=STORY_URL + "?utm_source=x"),
        )
    )
    dedup = DedupPipeline.from_crawler(crawler)
    assert dedup.process_item(first) is first
    with pytest.raises(DuplicatePage):
        dedup.process_item(second)
    assert crawler.stats.get_value("reprint/duplicate_urls") == 1


def test_dedup_pipeline_keeps_different_pages(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    dedup = DedupPipeline.from_crawler(crawler)
    for url in (STORY_URL, "https://tidings.example/film/lighthouse"):
        dedup.process_item(_item(url, b""))
    assert crawler.stats.get_value("reprint/duplicate_urls") is None


async def _close(crawler: Crawler, pipeline: ArchivePipeline, reason: str = "finished") -> None:
    """What the engine does at the end of a crawl: close the pipeline, then the signal."""
    await pipeline.close_spider()
    await crawler.signals.send_catch_log_async(
        signals.spider_closed, spider=crawler.spider, reason=reason
    )


def test_archive_pipeline_counts_a_page_once_its_batch_is_committed(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path, REPRINT_COMMIT_ITEMS=2, REPRINT_COMMIT_SECONDS=3600)
    pages = [
        _item(STORY_URL, page_html("Glasshouse Bay renewed", STORY)),
        _item("https://tidings.example/film/lighthouse", page_html("Lighthouse", LIGHTHOUSE)),
        _item("https://popdesk.example/music/vance-tour", page_html("Vance tour", TOUR)),
    ]

    async def crawl() -> None:
        items = [i for i in await _extracted(crawler, *pages) if isinstance(i, PageItem)]
        pipeline = ArchivePipeline.from_crawler(crawler)
        await pipeline.open_spider()
        await pipeline.process_item(items[0])
        # the batch (2 pages) is not full: nothing written, nothing counted
        assert _rows(tmp_path, "SELECT count(*) FROM pages") == [(0,)]
        assert crawler.stats.get_value("reprint/pages_stored") is None
        for item in items[1:]:
            await pipeline.process_item(item)
        await _close(crawler, pipeline)

    asyncio.run(crawl())
    stats = crawler.stats.get_stats()
    assert stats["reprint/pages_stored"] == 3
    assert stats["reprint/articles_stored"] == 3
    assert _rows(tmp_path, "SELECT count(*) FROM pages") == [(3,)]
    [(crawl_id, status)] = _rows(tmp_path, "SELECT id, status FROM crawls")
    assert (crawl_id, status) == (stats["reprint/crawl_id"], "finished")


def test_archive_pipeline_records_failed_pages(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    big = _item("https://tidings.example/huge", TOO_MANY_ELEMENTS)

    async def crawl() -> None:
        pipeline = ArchivePipeline.from_crawler(crawler)
        await pipeline.open_spider()
        [dropped, hub] = await _extracted(crawler, big, _item("https://tidings.example/", HUB))
        for item, exception in ((big, dropped), (_item("https://tidings.example/", HUB), hub)):
            # as Scrapy's scraper does when a pipeline raises DropItem
            await crawler.signals.send_catch_log_async(
                signals.item_dropped,
                item=item,
                response=None,
                exception=exception,
                spider=crawler.spider,
            )
        await _close(crawler, pipeline)

    asyncio.run(crawl())
    # the page too big to extract is worth a look; the hub is simply not an article
    assert _rows(tmp_path, "SELECT url, reason FROM page_failures") == [
        ("https://tidings.example/huge", "too_many_elements")
    ]
    assert _rows(tmp_path, "SELECT count(*) FROM pages") == [(0,)]


@pytest.mark.parametrize(
    ("stat", "reason", "etag"),
    [
        (None, "finished", '"v1"'),
        (SOURCE_CAP_STAT, "finished", None),  # a source over its budget: pages left out
        (None, "closespider_articles", None),  # --limit reached
    ],
)
def test_archive_pipeline_saves_validators_only_after_a_complete_crawl(
    tmp_path: Path, stat: str | None, reason: str, etag: str | None
) -> None:
    crawler = _crawler(tmp_path)
    feed = SourceFetch("https://tidings.example/feed.xml", "feed", "tidings", 200, etag='"v1"')

    async def crawl() -> None:
        pipeline = ArchivePipeline.from_crawler(crawler)
        await pipeline.open_spider()
        await crawler.signals.send_catch_log_async(source_fetched, fetch=feed)
        if stat:
            crawler.stats.inc_value(stat)
        await _close(crawler, pipeline, reason)

    asyncio.run(crawl())
    assert _rows(tmp_path, "SELECT url, etag FROM sources") == [(feed.url, etag)]
    assert _rows(tmp_path, "SELECT status FROM crawls") == [("finished",)]


def test_archive_pipeline_records_a_page_the_archive_refuses_and_stores_the_rest(
    tmp_path: Path,
) -> None:
    crawler = _crawler(tmp_path)
    pages = [
        _item(STORY_URL, page_html("Glasshouse Bay renewed", STORY)),
        _item("https://tidings.example/film/lighthouse", page_html("Lighthouse", LIGHTHOUSE)),
    ]

    async def crawl() -> None:
        good, poison = await _extracted(crawler, *pages)
        assert isinstance(poison, PageItem)
        # a lone surrogate: the page row cannot be written, the file is fine
        poison.extracted = replace(poison.extracted, text="broken \ud800 text")
        pipeline = ArchivePipeline.from_crawler(crawler)
        await pipeline.open_spider()
        for item in (poison, good):
            await pipeline.process_item(item)
        await _close(crawler, pipeline)

    asyncio.run(crawl())
    stats = crawler.stats.get_stats()
    assert (stats["reprint/pages_stored"], stats["reprint/errors/store"]) == (1, 1)
    assert _rows(tmp_path, "SELECT url FROM pages") == [(STORY_URL,)]
    [(url, reason, detail)] = _rows(tmp_path, "SELECT url, reason, detail FROM page_failures")
    assert (url, reason) == ("https://tidings.example/film/lighthouse", "store")
    assert detail.startswith("UnicodeEncodeError: ")
