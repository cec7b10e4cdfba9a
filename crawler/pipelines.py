"""Item pipelines: thin wrappers that run archive/ functions inside a crawl.

ExtractPipeline -> DedupPipeline -> ArchivePipeline (priorities in crawler/settings.py).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from functools import partial
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from archive.db import is_archive_fault, open_archive, write_transaction
from archive.dedup import index_params
from archive.errors import NoArticleText, NotHtml
from archive.extract import extract_article
from archive.lock import crawl_lock
from archive.sitelearn import LearnedBoilerplate
from archive.sources import SourceFetch, record_source_fetch
from archive.store import SaveResult, finish_crawl, mark_interrupted, save_page, start_crawl
from archive.urls import normalize_url, site_of
from crawler.items import fetched_page
from crawler.signals import source_fetched

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider
    from sqlite_utils import Database

logger = logging.getLogger(__name__)


class NotAnArticle(DropItem):
    """HTML without an article (hub, gallery, too little text)."""


class NotHtmlPage(DropItem):
    """A body that is not an HTML document (binary, empty, oversized)."""


class ExtractionFailed(DropItem):
    """The extractor crashed on the page (a worker process died)."""


class DuplicatePage(DropItem):
    """A page already processed in this crawl under another requested URL."""


class _SharedPool:
    """One extraction pool per process, shared by the crawlers running in it."""

    def __init__(self) -> None:
        self.executor: Executor | None = None
        self.users = 0

    def acquire(self, workers: int) -> Executor:
        if self.executor is None:
            if workers > 0:
                # spawn: a forked child would inherit the reactor's state and threads
                context = multiprocessing.get_context("spawn")
                self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            else:
                self.executor = ThreadPoolExecutor(max_workers=1)
        self.users += 1
        return self.executor

    def replace_broken(self, workers: int) -> Executor:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=False)
        self.executor = None
        self.users -= 1
        return self.acquire(workers)

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0 and self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


_POOL = _SharedPool()


class ExtractPipeline:
    """Extract clean text and metadata in worker processes (archive.extract)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = crawler.settings.getint("REPRINT_EXTRACT_WORKERS")
        self.min_words = crawler.settings.getint("REPRINT_MIN_WORDS")
        self.executor: Executor | None = None
        # lines learned as each site's boilerplate, read from the archive (issue 4)
        self.boilerplate = LearnedBoilerplate(crawler.settings.get("ARCHIVE_PATH"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.executor = _POOL.acquire(self.workers)

    def close_spider(self) -> None:
        _POOL.release()
        self.executor = None
        self.boilerplate.close()

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url = adapter["final_url"]
        job = partial(
            extract_article,
            adapter["body"],
            url,
            content_type=adapter.get("content_type"),
            hints=adapter.get("hints"),
            min_words=self.min_words,
            site_boilerplate=self.boilerplate.for_site(site_of(url)),
        )
        try:
            extracted = await asyncio.get_running_loop().run_in_executor(self.executor, job)
        except NotHtml as exc:
            self.stats.inc_value("reprint/not_html")
            raise NotHtmlPage(str(exc)) from exc
        except NoArticleText as exc:
            self.stats.inc_value("reprint/not_article")
            raise NotAnArticle(str(exc)) from exc
        except BrokenProcessPool as exc:
            # a page killed its worker (e.g. a parser crash): keep crawling with a new pool
            self.stats.inc_value("reprint/errors/extractor_crashed")
            self.executor = _POOL.replace_broken(self.workers)
            raise ExtractionFailed(f"extractor crashed on {url}") from exc
        adapter["extracted"] = extracted
        self.stats.inc_value("reprint/extracted")
        for kind, count in extracted.removed.items():
            self.stats.inc_value(f"reprint/boilerplate_removed/{kind}", count)
        return item


class DedupPipeline:
    """Drop a page reached again in the same crawl under another URL (redirects)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        key = normalize_url(adapter["final_url"])
        if key in self.seen:
            self.stats.inc_value("reprint/duplicate_urls")
            raise DuplicatePage(f"already processed in this crawl: {key}")
        self.seen.add(key)
        return item


# Scrapy close reasons that mean the crawl did its work
_FINISHED_REASONS = ("finished", "closespider_")
# The close reason of a crawl stopped because the archive kept refusing writes.
ARCHIVE_WRITE_FAILED = "archive_write_failed"


class ArchivePipeline:
    """Store pages and articles in the SQLite archive, in batched transactions, and
    record the crawl in ``crawls``."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = settings.get("ARCHIVE_PATH")
        self.batch_items = settings.getint("REPRINT_COMMIT_ITEMS")
        self.batch_seconds = settings.getfloat("REPRINT_COMMIT_SECONDS")
        self.busy_timeout_ms = settings.getint("REPRINT_BUSY_TIMEOUT_MS")
        self.max_failures = max(1, settings.getint("REPRINT_STORE_MAX_FAILURES"))
        self.failed_flushes = 0  # in a row
        self.stopping = False
        self.db: Database | None = None
        self.crawl_id: int | None = None
        self.pending: list[Any] = []
        self.lock = ExitStack()
        self.pending_sources: list[SourceFetch] = []
        self.fetched_sources: list[SourceFetch] = []  # validators saved at a clean finish
        self.last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.source_fetched, signal=source_fetched)
        return pipeline

    def open_spider(self) -> None:
        # one crawl per archive at a time (shared by the spiders of one `reprint crawl`)
        self.lock.enter_context(crawl_lock(self.path))
        self.db = open_archive(self.path, busy_timeout_ms=self.busy_timeout_ms)
        # an index built with other MinHash code fails here, once, not on every page
        index_params(self.db)
        spider = self.crawler.spider
        assert spider is not None  # pipelines open with their spider
        with write_transaction(self.db):
            interrupted = mark_interrupted(self.db)
            self.crawl_id = start_crawl(self.db, spider.name, _spider_args(spider))
        if interrupted:
            logger.warning("marked %d earlier crawl(s) as interrupted", interrupted)
        self.stats.set_value("reprint/crawl_id", self.crawl_id)
        self.last_flush = time.monotonic()

    def process_item(self, item: Any) -> Any:
        self.pending.append(item)
        # after a failed write, wait the batch interval before trying again
        full = len(self.pending) >= self.batch_items and not self.failed_flushes
        if full or time.monotonic() - self.last_flush >= self.batch_seconds:
            self.flush()
        return item

    def source_fetched(self, fetch: SourceFetch) -> None:
        """A feed, sitemap or start page was fetched: record it with the next batch."""
        self.pending_sources.append(fetch)
        self.fetched_sources.append(fetch)

    def flush(self) -> None:
        """Write the pending pages in one transaction, each in its own savepoint.

        A page counts as stored only once its transaction is committed. When the archive
        itself fails (disk full, I/O error, a lock held past the busy timeout) nothing
        of the batch is dropped: it stays pending and the next flush tries again; after
        REPRINT_STORE_MAX_FAILURES failures in a row the crawl stops, so that it never
        goes on fetching what it cannot store.
        """
        assert self.db is not None
        self.last_flush = time.monotonic()
        if not self.pending and not self.pending_sources:
            return
        batch, sources = list(self.pending), list(self.pending_sources)
        try:
            with write_transaction(self.db):
                for fetch in sources:
                    record_source_fetch(self.db, fetch, validators=False)
                results = [self._save(item) for item in batch]
        except Exception as exc:
            if not is_archive_fault(exc):
                raise
            self._flush_failed(exc, len(batch))
            return
        del self.pending[: len(batch)]
        del self.pending_sources[: len(sources)]
        self.failed_flushes = 0
        for result in results:  # counted now that they are committed
            self._count(result)

    def _flush_failed(self, exc: Exception, pages: int) -> None:
        self.failed_flushes += 1
        self.stats.inc_value("reprint/store_retries")
        logger.error(
            "could not write %d page(s) to the archive (attempt %d of %d), kept to retry: %s",
            pages,
            self.failed_flushes,
            self.max_failures,
            exc,
        )
        if self.failed_flushes >= self.max_failures and not self.stopping:
            self.stopping = True
            engine = self.crawler.engine
            assert engine is not None
            logger.error("the archive keeps refusing writes: stopping the crawl")
            deferred_from_coro(engine.close_spider_async(reason=ARCHIVE_WRITE_FAILED))

    def _save(self, item: Any) -> SaveResult | None:
        """Store one page in its own savepoint; None when the page itself cannot be
        stored (archive faults propagate: they fail the whole batch)."""
        assert self.db is not None
        page = fetched_page(item)
        try:
            with self.db.atomic():
                return save_page(self.db, page, self.crawl_id)
        except Exception as exc:
            if is_archive_fault(exc):
                raise
            # one unstorable page must not cost the rest of the batch
            self.stats.inc_value("reprint/errors/store")
            logger.exception("could not store %s", page.url)
            return None

    def _count(self, result: SaveResult | None) -> None:
        if result is None:
            return
        self.stats.inc_value("reprint/pages_stored")
        if result.new_article:
            self.stats.inc_value("reprint/articles_stored")
        elif result.new_page or result.text_changed:
            self.stats.inc_value("reprint/copies_clustered")
        if not result.new_page:
            self.stats.inc_value(
                "reprint/pages_changed" if result.text_changed else "reprint/pages_unchanged"
            )

    def close_spider(self) -> None:
        self.flush()  # the last try; what it could not write is reported as lost
        if self.pending:
            self.stats.inc_value("reprint/errors/archive_write", len(self.pending))
            logger.error(
                "%d page(s) fetched but NOT stored: the archive refused the writes; "
                "the next crawl fetches them again",
                len(self.pending),
            )
            self.pending = []

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.db is None or self.crawl_id is None:
            return
        status = (
            "finished"
            if reason.startswith(_FINISHED_REASONS)
            else ("interrupted" if reason == "shutdown" else "failed")
        )
        stats = dict(self.stats.get_stats())
        stats["finish_reason"] = reason
        clean = status == "finished" and not any(key.startswith("reprint/errors/") for key in stats)
        try:
            with write_transaction(self.db):
                if clean:
                    # every page the sources listed is stored now: next time, ask only for
                    # sources that changed (conditional GET); after errors, ask again in
                    # full so the pages that failed are retried
                    for fetch in self.fetched_sources:
                        record_source_fetch(self.db, fetch, validators=True)
                finish_crawl(self.db, self.crawl_id, status, stats)
        except Exception as exc:
            if not is_archive_fault(exc):
                raise
            # the crawl stays 'running' in the archive; the next crawl marks it
            # interrupted, and no validator was saved, so it asks for every source again
            self.stats.inc_value("reprint/errors/archive_write")
            logger.error("could not record the end of crawl %s: %s", self.crawl_id, exc)
        finally:
            self.db.close()
            self.db = None
            self.lock.close()


def _spider_args(spider: Spider) -> dict[str, Any]:
    sources = [f"{s.kind}:{s.url}" for s in spider.sources()] if hasattr(spider, "sources") else []
    return {"sources": sources, "since": getattr(spider, "_since_arg", None)}
