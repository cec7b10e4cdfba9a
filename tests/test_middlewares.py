"""Downloader middlewares of reprint, in-process on hand-built requests and responses
(a crawler without an engine: tests/component_crawler.py)."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import TYPE_CHECKING

import pytest
from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

from archive.db import open_archive
from archive.sources import SourceFetch, record_source_fetch
from crawler.budget import SOURCE_CAP_REASON, SourceBudgetMiddleware
from crawler.incremental import ArchivedPagesMiddleware
from crawler.middlewares import MetaRefreshHeadMiddleware, RetryAfterMiddleware
from crawler.netguard import PrivateAddressGuardMiddleware
from crawler.run import crawl_settings
from crawler.sources import Source
from crawler.spiders.base import SOURCE_META

from .archive_builder import ORIGINAL, build_archive
from .component_crawler import component_crawler

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.statscollectors import StatsCollector

URL = "https://tidings.example/tv/story"
ARTICLE = b"<p>" + b"Glasshouse Bay is back for a third season. " * 4000 + b"</p>"


def _middleware() -> MetaRefreshHeadMiddleware:
    return MetaRefreshHeadMiddleware.from_crawler(component_crawler())


def _response(head: str, encoding: str = "utf-8") -> HtmlResponse:
    html = f"<html><head>{head}</head><body>".encode(encoding) + ARTICLE
    return HtmlResponse(URL, body=html, encoding=encoding)


def test_the_crawl_uses_it_in_place_of_scrapys() -> None:
    middlewares = crawl_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["crawler.middlewares.MetaRefreshHeadMiddleware"] == 580


@pytest.mark.parametrize(
    "head",
    [
        '<meta http-equiv="refresh" content="0; url=https://tidings.example/amp/story">',
        '<META HTTP-EQUIV="Refresh" CONTENT="0;URL=https://tidings.example/amp/story">',
    ],
)
def test_a_meta_refresh_still_redirects(head: str) -> None:
    result = _middleware().process_response(Request(URL), _response(head))
    assert isinstance(result, Request) and result.url == "https://tidings.example/amp/story"


def test_a_utf16_page_is_checked_the_full_way() -> None:
    head = '<meta http-equiv="refresh" content="0; url=https://tidings.example/amp/story">'
    result = _middleware().process_response(Request(URL), _response(head, "utf-16"))
    # (Scrapy's own parsing appends the encoded BOM to the URL: its behaviour, kept)
    assert isinstance(result, Request)
    assert result.url.startswith("https://tidings.example/amp/story")


def test_a_page_without_refresh_passes_as_is() -> None:
    # look-alikes: the word in the text and a refresh-less meta tag
    response = _response('<meta name="description" content="A fresh start">')
    assert _middleware().process_response(Request(URL), response) is response


# --- PrivateAddressGuardMiddleware (crawler/netguard.py) ---


def _guard(allow: list[str] | None = None) -> PrivateAddressGuardMiddleware:
    crawler = component_crawler({"REPRINT_ALLOW_HOSTS": allow or []})
    return PrivateAddressGuardMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://10.0.0.7/admin", "--allow-host 10.0.0.7"),
        ("http://[::1]:8080/", "--allow-host ::1"),
        ("http://localhost/", "a local name"),
        ("file:///etc/passwd", "file scheme"),
        ("ftp://tidings.example/pub", "ftp scheme"),
    ],
)
def test_the_guard_refuses_what_is_not_the_public_web(url: str, says: str) -> None:
    with pytest.raises(IgnoreRequest, match=re.escape(says)):
        asyncio.run(_guard().process_request(Request(url)))


def test_the_guard_passes_a_public_address_and_an_allowed_private_one() -> None:
    # IP literals: judged as written, nothing is resolved
    assert asyncio.run(_guard().process_request(Request("http://93.184.215.14/story"))) is None
    allowed = _guard(["10.0.0.7"])
    assert asyncio.run(allowed.process_request(Request("http://10.0.0.7/story"))) is None
    with pytest.raises(IgnoreRequest):  # the allowance is for that address only
        asyncio.run(allowed.process_request(Request("http://10.0.0.8/story")))


# --- ArchivedPagesMiddleware (crawler/incremental.py) ---

FEED = Source(name="tidings", kind="feed", url="https://tidings.example/feed.xml")


@pytest.fixture
def archived(tmp_path: Path) -> Path:
    """An archive holding a few pages and the validators of one feed."""
    path = tmp_path / "archive.db"
    build_archive(path)
    db = open_archive(path)
    record_source_fetch(
        db, SourceFetch(FEED.url, "feed", "tidings", 200, etag='"v7"', last_modified="Mon")
    )
    db.close()
    return path


def _incremental(
    path: Path, refresh: bool = False
) -> tuple[ArchivedPagesMiddleware, StatsCollector]:
    crawler = component_crawler({"ARCHIVE_PATH": str(path), "REPRINT_REFRESH": refresh})
    return ArchivedPagesMiddleware.from_crawler(crawler), crawler.stats


def test_an_archived_page_is_not_requested_again(archived: Path) -> None:
    middleware, stats = _incremental(archived)
    with pytest.raises(IgnoreRequest, match="already archived"):
        asyncio.run(middleware.process_request(Request(ORIGINAL)))
    with pytest.raises(IgnoreRequest):  # the same page, under its tracking-tagged URL
        asyncio.run(middleware.process_request(Request(ORIGINAL + "?utm_source=feed")))
    assert (
        asyncio.run(middleware.process_request(Request("https://tidings.example/tv/new"))) is None
    )
    assert stats.get_value("reprint/skipped/already_archived") == 2


def test_a_source_is_asked_for_conditionally(archived: Path) -> None:
    middleware, stats = _incremental(archived)
    request = Request(FEED.url, meta={SOURCE_META: FEED})
    assert asyncio.run(middleware.process_request(request)) is None
    assert request.headers["If-None-Match"] == b'"v7"'
    assert request.headers["If-Modified-Since"] == b"Mon"
    assert 304 in request.meta["handle_httpstatus_list"]
    middleware.process_response(request, Response(FEED.url, status=304))
    assert stats.get_value("reprint/sources/not_modified") == 1


def test_a_refresh_asks_again_for_archived_pages_and_sources_in_full(archived: Path) -> None:
    middleware, stats = _incremental(archived, refresh=True)
    assert asyncio.run(middleware.process_request(Request(ORIGINAL))) is None
    source = Request(FEED.url, meta={SOURCE_META: FEED})
    assert asyncio.run(middleware.process_request(source)) is None
    assert b"If-None-Match" not in source.headers
    assert stats.get_stats() == {}


def test_without_an_archive_every_request_passes(tmp_path: Path) -> None:
    middleware, _ = _incremental(tmp_path / "none-yet.db")
    assert asyncio.run(middleware.process_request(Request(ORIGINAL))) is None
    assert (
        asyncio.run(middleware.process_request(Request(FEED.url, meta={SOURCE_META: FEED}))) is None
    )


def test_a_lookup_waiting_on_the_disk_does_not_hold_the_event_loop(archived: Path) -> None:
    middleware, _ = _incremental(archived)
    disk = threading.Event()
    middleware._reader.submit(disk.wait)  # the lookup thread is stuck, as on a stalled disk

    async def crawl_on() -> None:
        lookup = asyncio.ensure_future(middleware.process_request(Request(ORIGINAL)))
        for _ in range(5):  # other callbacks keep running meanwhile
            await asyncio.sleep(0)
        assert not lookup.done()
        disk.set()
        with pytest.raises(IgnoreRequest, match="already archived"):
            await lookup

    asyncio.run(crawl_on())


def test_the_archive_and_its_lookup_thread_are_closed_with_the_spider(archived: Path) -> None:
    crawler = component_crawler({"ARCHIVE_PATH": str(archived)})
    middleware = ArchivedPagesMiddleware.from_crawler(crawler)

    def lookup_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("reprint-lookup")}

    async def crawl_then_close() -> None:
        others = lookup_threads()  # other tests' middlewares, never closed
        with pytest.raises(IgnoreRequest):
            await middleware.process_request(Request(ORIGINAL))
        mine = lookup_threads() - others
        assert mine  # the lookup ran on a thread of the middleware's own
        await crawler.signals.send_catch_log_async(
            signals.spider_closed, spider=crawler.spider, reason="finished"
        )
        for thread in mine:
            thread.join(timeout=10)  # ends once the executor is shut down and idle
        assert middleware._db is None  # the connection was closed on its thread
        assert not any(thread.is_alive() for thread in mine)

    asyncio.run(crawl_then_close())


# --- SourceBudgetMiddleware (crawler/budget.py) ---


def _page_of(source: str, n: int) -> Request:
    return Request(f"https://tidings.example/story/{n}", cb_kwargs={"source": source})


def test_a_source_gets_its_budget_and_no_more() -> None:
    middleware = SourceBudgetMiddleware.from_crawler(
        component_crawler({"REPRINT_SOURCE_MAX_REQUESTS": 2})
    )
    for n in range(2):
        assert middleware.process_request(_page_of(FEED.url, n)) is None
    with pytest.raises(IgnoreRequest, match=SOURCE_CAP_REASON):
        middleware.process_request(_page_of(FEED.url, 2))
    # another source has its own budget; the source document and requests of no source
    # (robots.txt) are never counted
    assert middleware.process_request(_page_of("https://popdesk.example/feed", 3)) is None
    assert middleware.process_request(Request(FEED.url, meta={SOURCE_META: FEED})) is None
    assert middleware.process_request(Request("https://tidings.example/robots.txt")) is None


def test_a_budget_of_zero_is_no_cap() -> None:
    middleware = SourceBudgetMiddleware.from_crawler(
        component_crawler({"REPRINT_SOURCE_MAX_REQUESTS": 0})
    )
    for n in range(5):
        assert middleware.process_request(_page_of(FEED.url, n)) is None


# --- RetryAfterMiddleware (crawler/middlewares.py) ---


def _retry_after(max_wait: float = 60.0) -> tuple[RetryAfterMiddleware, StatsCollector]:
    crawler = component_crawler(
        {"REPRINT_RETRY_AFTER_MAX": max_wait, "REPRINT_RETRY_AFTER_DEFAULT": 0}
    )
    return RetryAfterMiddleware.from_crawler(crawler), crawler.stats


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_within_the_limit_is_waited_for(status: int) -> None:
    middleware, stats = _retry_after()
    response = Response(URL, status=status, headers={"Retry-After": "0"})
    assert asyncio.run(middleware.process_response(Request(URL), response)) is response
    assert stats.get_stats() == {"reprint/retry_after/waited": 1}


def test_a_retry_after_past_the_limit_is_left_to_the_retry_policy() -> None:
    middleware, stats = _retry_after(max_wait=60)
    response = Response(URL, status=503, headers={"Retry-After": "3600"})
    assert asyncio.run(middleware.process_response(Request(URL), response)) is response
    assert stats.get_stats() == {"reprint/retry_after/too_long": 1}


def test_other_answers_pass_without_waiting() -> None:
    middleware, stats = _retry_after()
    response = Response(URL, status=500, headers={"Retry-After": "0"})
    assert asyncio.run(middleware.process_response(Request(URL), response)) is response
    assert stats.get_stats() == {}


def test_the_middlewares_of_a_crawl_outside_the_demo_warn_of_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the demo's middleware is off in every other crawl: that is no warning (it once
    # printed "Disabled ... no demo web" at the top of every crawl)
    from scrapy.core.downloader.middleware import DownloaderMiddlewareManager

    crawler = component_crawler({"ARCHIVE_PATH": ""})
    with caplog.at_level(logging.WARNING):
        manager = DownloaderMiddlewareManager.from_crawler(crawler)
    assert [record.getMessage() for record in caplog.records] == []
    assert not any(type(mw).__name__ == "DemoWebMiddleware" for mw in manager.middlewares)
