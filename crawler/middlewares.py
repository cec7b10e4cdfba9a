"""Downloader middlewares of reprint."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = frozenset({429, 503})
# Scrapy reads a meta refresh from the first 4096 characters of a page: at most 16 KB of
# UTF-8 (4 bytes a character at worst).
META_REFRESH_HEAD_BYTES = 4 * 4096


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Read a Retry-After header: delta-seconds or an HTTP date; None when unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Wait as long as a 429/503 response's Retry-After asks before Scrapy's
    RetryMiddleware retries the request (Scrapy itself retries at once).

    Ordered after RetryMiddleware (a higher number), so its process_response runs first.
    A wait longer than REPRINT_RETRY_AFTER_MAX is not honoured: the request is left to the
    normal retry policy and counted in ``reprint/retry_after/too_long``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.max_wait = crawler.settings.getfloat("REPRINT_RETRY_AFTER_MAX")
        self.default_wait = crawler.settings.getfloat("REPRINT_RETRY_AFTER_DEFAULT")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in RETRY_AFTER_STATUSES:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        wait = self.default_wait if wait is None else wait
        if wait > self.max_wait:
            self.stats.inc_value("reprint/retry_after/too_long")
            logger.warning(
                "%s asks to retry after %.0f s; not waiting that long", request.url, wait
            )
            return response
        self.stats.inc_value("reprint/retry_after/waited")
        logger.info(
            "%s answered %d; waiting %.1f s (Retry-After)", request.url, response.status, wait
        )
        await asyncio.sleep(wait)
        return response


class MetaRefreshHeadMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, without decoding the bodies that have none.

    Scrapy decodes a page's whole body (``response.text``) to look for a refresh in its
    first 4096 characters: ~0.6 ms of the crawl's main thread for a 190 KB article, 8% of
    it (bench/throughput.py), while the pages are parsed in the extraction workers. A
    page whose head bytes do not contain "refresh" in any letter case has none; a head
    with NUL bytes (UTF-16/32) is checked the full way.
    """

    # the superclass still accepts the deprecated spider argument; Scrapy 2.14+ never
    # passes it
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        head = response.body[:META_REFRESH_HEAD_BYTES]
        if b"\x00" not in head and b"refresh" not in head.lower():
            return response
        return super().process_response(request, response)
