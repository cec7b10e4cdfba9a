"""Incremental crawls: fetch only what the archive does not have, or what changed.

- A page already archived (by its URL after normalisation, or the URL first asked for it)
  is not requested again, unless REPRINT_REFRESH is on; then it is requested
  conditionally with the ETag/Last-Modified stored for it.
- Source documents (feeds, sitemaps) are always requested, conditionally when the
  archive holds validators for them (archive/sources.py stores those only after a clean
  crawl).
A 304 Not Modified answer reaches the spider, which treats it as "nothing new".
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from scrapy import signals
from scrapy.exceptions import IgnoreRequest

from archive.db import open_archive
from archive.errors import ArchiveNotFound
from archive.sources import source_validators
from archive.urls import normalize_url
from crawler.spiders.base import NOT_MODIFIED, SOURCE_META

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from sqlite_utils import Database

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ArchivedPagesMiddleware:
    """Skip archived pages; make conditional requests for sources (and for pages with
    REPRINT_REFRESH)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.path = Path(crawler.settings.get("ARCHIVE_PATH"))
        self.refresh = crawler.settings.getbool("REPRINT_REFRESH")
        self._db: Database | None = None
        # The lookups run on a thread of their own, which owns the read-only connection:
        # a lookup waits on the disk, and on the reactor that wait held every download
        # and callback (up to 345 ms at once in a 20,000-page crawl, while the archive's
        # writer and the web server kept the disk busy; issue 10).
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reprint-lookup")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivedPagesMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def _archive(self) -> Database | None:
        # opened on first use: ArchivePipeline creates the file when the spider opens
        if self._db is None:
            try:
                self._db = open_archive(self.path, readonly=True)
            except ArchiveNotFound:
                return None
        return self._db

    async def _on_reader(self, lookup: Callable[[str], T], url: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader, lookup, url)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            return  # Scrapy's own robots.txt request
        if request.meta.get(SOURCE_META) is not None:
            if self.refresh:
                return  # refreshing: list every page the source has, changed or not
            validators = await self._on_reader(self._source_validators, request.url)
            if validators is not None:
                self._conditional(request, *validators)
            return
        row = await self._on_reader(self._archived, request.url)
        if row is None:
            return
        if not self.refresh:
            self.stats.inc_value("reprint/skipped/already_archived")
            raise IgnoreRequest("already archived")
        self._conditional(request, row[0], row[1])

    def _source_validators(self, url: str) -> tuple[str | None, str | None] | None:
        db = self._archive()
        return None if db is None else source_validators(db, url)

    def _archived(self, url: str) -> tuple[str | None, str | None] | None:
        db = self._archive()
        if db is None:
            return None
        try:
            return db.execute(
                "SELECT etag, last_modified FROM pages WHERE url = ? OR requested_url = ? LIMIT 1",
                [normalize_url(url), url],
            ).fetchone()
        except sqlite3.OperationalError as exc:
            # a reader never blocks the crawl: at worst the page is fetched again
            logger.warning("archive lookup failed for %s: %s", url, exc)
            return None

    def _conditional(self, request: Request, etag: str | None, last_modified: str | None) -> None:
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        if etag or last_modified:
            allowed = request.meta.setdefault("handle_httpstatus_list", [])
            if NOT_MODIFIED not in allowed:
                allowed.append(NOT_MODIFIED)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == NOT_MODIFIED:
            kind = "sources" if request.meta.get(SOURCE_META) is not None else "pages"
            self.stats.inc_value(f"reprint/{kind}/not_modified")
        return response

    async def close(self) -> None:
        """Close the read-only archive connection on the thread that opened it, then let
        that thread end. Awaited, not waited for: a lookup still in flight may be waiting
        on the disk, and the reactor goes on meanwhile."""
        await asyncio.wrap_future(self._reader.submit(self._close))
        self._reader.shutdown(wait=False)

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
