"""Item pipelines: thin wrappers that run archive/ functions inside a crawl.

ExtractPipeline -> DedupPipeline -> ArchivePipeline (priorities in crawler/settings.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from archive.crawls import finish_crawl, mark_interrupted, start_crawl
from archive.db import close_writer, is_archive_fault, open_archive, write_transaction
from archive.dedup import index_params
from archive.errors import NoArticleText, NotHtml, PageRefused, TooManyElements
from archive.failures import PageFailure, record_page_failures
from archive.lock import crawl_lock
from archive.prepare import extract_and_prepare
from archive.sitelearn import LearnedBoilerplate
from archive.sources import SourceFetch, record_source_fetch
from archive.store import SaveResult, save_page_alone
from archive.urls import normalize_url, site_of
from crawler.budget import SOURCE_CAP_STAT
from crawler.extractpool import POOL, ExtractionCrashed, ExtractionTimedOut
from crawler.items import fetched_page
from crawler.signals import source_fetched

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider
    from sqlite_utils import Database

logger = logging.getLogger(__name__)
T = TypeVar("T")


class NotAnArticle(DropItem):
    """HTML without an article (hub, gallery, too little text)."""


class NotHtmlPage(DropItem):
    """A body that is not an HTML document (binary, empty, oversized)."""


class FailedPage(DropItem):
    """A page that could not be archived for a cause worth a look (recorded in
    ``page_failures``, unlike pages that are simply not articles)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # the page_failures reason, and the stat's last part


class ExtractionFailed(FailedPage):
    """The extractor crashed on the page (its worker process died each time it was
    tried) or took longer than REPRINT_EXTRACT_TIMEOUT."""


class PageTooComplex(FailedPage):
    """A page of more elements than MAX_HTML_ELEMENTS, refused before extraction."""


class DuplicatePage(DropItem):
    """A page already processed in this crawl under another requested URL."""


class ExtractPipeline:
    """Extract clean text and metadata in worker processes (archive.extract)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        workers = crawler.settings.get("REPRINT_EXTRACT_WORKERS")
        self.workers = None if workers in (None, "", "auto") else int(workers)
        self.timeout = crawler.settings.getfloat("REPRINT_EXTRACT_TIMEOUT") or None
        self.niceness = crawler.settings.getint("REPRINT_EXTRACT_NICENESS")
        self.min_words = crawler.settings.getint("REPRINT_MIN_WORDS")
        # lines learned as each site's boilerplate, read from the archive (issue 4)
        self.boilerplate = LearnedBoilerplate(crawler.settings.get("ARCHIVE_PATH"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        POOL.acquire(self.workers, niceness=self.niceness)

    async def close_spider(self) -> None:
        await POOL.release()
        self.boilerplate.close()

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url = adapter["final_url"]
        job = partial(
            extract_and_prepare,
            adapter["body"],
            url,
            content_type=adapter.get("content_type"),
            hints=adapter.get("hints"),
            min_words=self.min_words,
            site_boilerplate=self.boilerplate.for_site(site_of(url)),
        )
        try:
            extracted, prepared = await POOL.run(job, timeout=self.timeout)
        except TooManyElements as exc:
            # refused before trafilatura's quadratic passes; counted apart from not_html so
            # the summary shows pages skipped for their size
            self.stats.inc_value("reprint/skipped/too_many_elements")
            logger.warning("not extracted: %s", exc)
            raise PageTooComplex(str(exc), "too_many_elements") from exc
        except NotHtml as exc:
            self.stats.inc_value("reprint/not_html")
            raise NotHtmlPage(str(exc)) from exc
        except NoArticleText as exc:
            self.stats.inc_value("reprint/not_article")
            raise NotAnArticle(str(exc)) from exc
        except ExtractionCrashed as exc:
            # the page kills its worker (e.g. a parser crash); the crawl goes on
            self.stats.inc_value("reprint/errors/extractor_crashed")
            raise ExtractionFailed(f"{exc}: {url}", "extractor_crashed") from exc
        except ExtractionTimedOut as exc:
            self.stats.inc_value("reprint/errors/extract_timeout")
            raise ExtractionFailed(f"{exc}: {url}", "extract_timeout") from exc
        adapter["extracted"] = extracted
        adapter["prepared"] = prepared
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
        prepared = adapter.get("prepared")
        key = prepared.url_key if prepared else normalize_url(adapter["final_url"])
        if key in self.seen:
            self.stats.inc_value("reprint/duplicate_urls")
            raise DuplicatePage(f"already processed in this crawl: {key}")
        self.seen.add(key)
        return item


# Scrapy close reasons that mean the crawl did its work
_FINISHED_REASONS = ("finished", "closespider_")
# Stat prefixes that mean some page a source listed was not stored this crawl: the sources'
# validators are not saved then, so the next crawl is not answered 304 and sees them again.
INCOMPLETE_STATS = ("reprint/errors/", SOURCE_CAP_STAT)
# The close reason of a crawl stopped because the archive kept refusing writes.
ARCHIVE_WRITE_FAILED = "archive_write_failed"


class ArchivePipeline:
    """Store pages and articles in the SQLite archive, in batched transactions, and
    record the crawl in ``crawls``.

    All SQL runs on one writer thread that owns the connection (issue 10): a batch's
    transaction used to hold the reactor for 0.7-1 s, so no download moved meanwhile.
    sqlite3 releases the GIL while SQLite works, and pages arrive with everything else
    computed (archive/prepare.py), so the writer costs the reactor little. Items pass on
    at once; counts of stored pages move only when their batch is committed.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = settings.get("ARCHIVE_PATH")
        self.batch_items = settings.getint("REPRINT_COMMIT_ITEMS")
        self.batch_seconds = settings.getfloat("REPRINT_COMMIT_SECONDS")
        self.busy_timeout_ms = settings.getint("REPRINT_BUSY_TIMEOUT_MS")
        self.cache_mb = settings.getint("REPRINT_WRITER_CACHE_MB")
        self.max_failures = max(1, settings.getint("REPRINT_STORE_MAX_FAILURES"))
        self.max_queued = max(1, settings.getint("REPRINT_WRITER_QUEUED_BATCHES"))
        self.failed_flushes = 0  # in a row
        self.stopping = False
        self.db: Database | None = None
        self.crawl_id: int | None = None
        self.pending: list[Any] = []
        self.lock = ExitStack()
        self.pending_sources: list[SourceFetch] = []
        self.pending_failures: list[PageFailure] = []
        self.fetched_sources: list[SourceFetch] = []  # validators saved at a clean finish
        self.last_flush = time.monotonic()
        self.writer: ThreadPoolExecutor | None = None
        self.writes: set[asyncio.Future[None]] = set()  # flushes queued or running

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.source_fetched, signal=source_fetched)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    async def _on_writer(self, job: Callable[..., T], *args: Any) -> T:
        assert self.writer is not None
        return await asyncio.get_running_loop().run_in_executor(self.writer, job, *args)

    async def open_spider(self) -> None:
        # one crawl per archive at a time (shared by the spiders of one `reprint crawl`)
        self.lock.enter_context(crawl_lock(self.path))
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reprint-writer")
        spider = self.crawler.spider
        assert spider is not None  # pipelines open with their spider
        try:
            interrupted = await self._on_writer(self._open, spider.name, _spider_args(spider))
        except BaseException:
            self._close_writer()
            raise
        if interrupted:
            logger.warning("marked %d earlier crawl(s) as interrupted", interrupted)
        self.stats.set_value("reprint/crawl_id", self.crawl_id)
        self.last_flush = time.monotonic()

    def _open(self, spider_name: str, args: dict[str, Any]) -> int:
        """On the writer thread: open the archive and record the crawl's start."""
        self.db = open_archive(
            self.path, busy_timeout_ms=self.busy_timeout_ms, cache_mb=self.cache_mb
        )
        # an index built with other MinHash code fails here, once, not on every page
        index_params(self.db)
        with write_transaction(self.db):
            interrupted = mark_interrupted(self.db)
            self.crawl_id = start_crawl(self.db, spider_name, args)
        return interrupted

    async def process_item(self, item: Any) -> Any:
        self.pending.append(item)
        # after a failed write, wait the batch interval before trying again
        full = len(self.pending) >= self.batch_items and not self.failed_flushes
        if full or time.monotonic() - self.last_flush >= self.batch_seconds:
            self._start_flush()
            # back-pressure: when the writer falls behind, pages wait here, not in memory
            while len(self.writes) > self.max_queued:
                await asyncio.wait(set(self.writes), return_when=asyncio.FIRST_COMPLETED)
        return item

    def source_fetched(self, fetch: SourceFetch) -> None:
        """A feed, sitemap or start page was fetched: record it with the next batch."""
        self.pending_sources.append(fetch)
        self.fetched_sources.append(fetch)

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        """A page an earlier pipeline gave up on: recorded with the next batch when its
        cause is worth a look."""
        if isinstance(exception, FailedPage):
            adapter = ItemAdapter(item)
            url = adapter.get("final_url") or adapter.get("url") or "?"
            self.pending_failures.append(PageFailure(url, exception.reason, str(exception)))

    def _start_flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.pending and not self.pending_sources and not self.pending_failures:
            return
        write = asyncio.ensure_future(self.flush())
        self.writes.add(write)
        write.add_done_callback(self.writes.discard)

    async def flush(self) -> None:
        """Write the pending pages in one transaction, each in its own savepoint.

        A page counts as stored only once its transaction is committed. When the archive
        itself fails (disk full, I/O error, a lock held past the busy timeout) nothing
        of the batch is dropped: it goes back to the pending pages and a later flush
        tries again; after REPRINT_STORE_MAX_FAILURES failures in a row the crawl stops,
        so that it never goes on fetching what it cannot store.
        """
        batch, self.pending = self.pending, []
        sources, self.pending_sources = self.pending_sources, []
        failures, self.pending_failures = self.pending_failures, []
        if not batch and not sources and not failures:
            return
        try:
            results = await self._on_writer(self._write, batch, sources, failures)
        except Exception as exc:
            if not is_archive_fault(exc):
                # a bug, not the archive: the batch cannot be written, and says so
                logger.exception("could not write %d page(s) to the archive", len(batch))
                self.stats.inc_value("reprint/errors/archive_write", len(batch))
                return
            self.pending[:0] = batch
            self.pending_sources[:0] = sources
            self.pending_failures[:0] = failures
            self._flush_failed(exc, len(batch))
            return
        self.failed_flushes = 0
        for result in results:  # counted now that they are committed
            self._count(result)

    def _write(
        self, batch: list[Any], sources: list[SourceFetch], failures: list[PageFailure]
    ) -> list[SaveResult | None]:
        """On the writer thread: one transaction for the batch."""
        assert self.db is not None
        with write_transaction(self.db):
            for fetch in sources:
                record_source_fetch(self.db, fetch, validators=False)
            refused: list[PageFailure] = []  # kept apart: a retried batch starts anew
            results = [self._save(item, refused) for item in batch]
            record_page_failures(self.db, self.crawl_id, [*failures, *refused])
            return results

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

    def _save(self, item: Any, failures: list[PageFailure]) -> SaveResult | None:
        """Store one page in its own savepoint; None when the page itself cannot be
        stored, which is added to ``failures`` (archive faults propagate: they fail the
        whole batch)."""
        assert self.db is not None
        page = fetched_page(item)
        try:
            return save_page_alone(self.db, page, self.crawl_id)
        except PageRefused as exc:
            logger.exception("could not store %s", page.url)
            failures.append(PageFailure(page.url, "store", str(exc)))
            return None

    def _count(self, result: SaveResult | None) -> None:
        if result is None:
            self.stats.inc_value("reprint/errors/store")
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

    async def close_spider(self) -> None:
        while self.writes:  # flushes started before the last item
            await asyncio.wait(set(self.writes))
        await self.flush()  # the last try; what it could not write is reported as lost
        if self.pending:
            self.stats.inc_value("reprint/errors/archive_write", len(self.pending))
            logger.error(
                "%d page(s) fetched but NOT stored: the archive refused the writes; "
                "the next crawl fetches them again",
                len(self.pending),
            )
            self.pending = []

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writer is None:
            return
        status = (
            "finished"
            if reason.startswith(_FINISHED_REASONS)
            else ("interrupted" if reason == "shutdown" else "failed")
        )
        stats = dict(self.stats.get_stats())
        stats["finish_reason"] = reason
        # only a crawl that ran to its end stored everything its sources listed: one closed
        # early (CLOSESPIDER_TIMEOUT, --limit) is recorded finished but saves no validator
        clean = reason == "finished" and not any(key.startswith(INCOMPLETE_STATS) for key in stats)
        try:
            await self._on_writer(self._finish, status, stats, clean)
        except Exception as exc:
            if not is_archive_fault(exc):
                raise
            # the crawl stays 'running' in the archive; the next crawl marks it
            # interrupted, and no validator was saved, so it asks for every source again
            self.stats.inc_value("reprint/errors/archive_write")
            logger.error("could not record the end of crawl %s: %s", self.crawl_id, exc)
        finally:
            await self._on_writer(self._close_db)
            self._close_writer()

    def _finish(self, status: str, stats: dict[str, Any], clean: bool) -> None:
        """On the writer thread: record the end of the crawl."""
        if self.db is None or self.crawl_id is None:
            return
        with write_transaction(self.db):
            if clean:
                # every page the sources listed is stored now: next time, ask only for
                # sources that changed (conditional GET); after errors, ask again in
                # full so the pages that failed are retried
                for fetch in self.fetched_sources:
                    record_source_fetch(self.db, fetch, validators=True)
            finish_crawl(self.db, self.crawl_id, status, stats)

    def _close_db(self) -> None:
        if self.db is not None:
            close_writer(self.db)  # the archive file alone holds the crawl, readers or not
            self.db = None

    def _close_writer(self) -> None:
        if self.writer is not None:
            self.writer.shutdown(wait=True)
            self.writer = None
        self.lock.close()


def _spider_args(spider: Spider) -> dict[str, Any]:
    sources = [f"{s.kind}:{s.url}" for s in spider.sources()] if hasattr(spider, "sources") else []
    return {"sources": sources, "since": getattr(spider, "_since_arg", None)}
