"""Downloader middlewares of reprint."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

RETRY_AFTER_STATUSES = frozenset({429, 503})


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
