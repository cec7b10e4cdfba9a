"""Event-loop lag of a crawl: how late the reactor runs a callback it scheduled.

Everything a crawl does in its main process (downloads, parsing feeds, the pipelines'
SQLite writes and dedup) shares one asyncio loop; while one callback runs, every other
waits. A timer due every REPRINT_LOOP_LAG_INTERVAL seconds measures that wait: its
lateness is the time the loop spent on something else. The largest lateness is stat
``reprint/loop_lag_max_ms``; ``reprint/loop_lag_p99_ms`` is its 99th percentile over
the crawl (bench/throughput.py reports both).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Lateness histogram: 1 ms buckets up to 10 s (a later tick lands in the last bucket);
# bounded memory for crawls of any length, exact enough for a p99 read in milliseconds.
_BUCKET_MS = 1.0
_BUCKETS = 10_000
# The p99 is recomputed this often (in ticks), not on every tick: a histogram walk of
# 10k buckets is cheap, but not 100 times a second.
_P99_EVERY_TICKS = 500
MAX_STAT = "reprint/loop_lag_max_ms"
P99_STAT = "reprint/loop_lag_p99_ms"
LOOP_STAT = "reprint/event_loop"


class LoopLagMonitor:
    """Record the reactor's largest and 99th-percentile callback lateness in the stats.

    :param stats: the crawl's stats collector
    :param interval: seconds between timer ticks (REPRINT_LOOP_LAG_INTERVAL)
    """

    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.histogram = [0] * _BUCKETS
        self.ticks = 0
        self.max_ms = 0.0
        self.due = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.call: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoopLagMonitor:
        interval = crawler.settings.getfloat("REPRINT_LOOP_LAG_INTERVAL")
        if interval <= 0:
            raise NotConfigured("REPRINT_LOOP_LAG_INTERVAL is 0")
        assert crawler.stats is not None  # set by the time extensions are built
        ext = cls(crawler.stats, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        try:
            # TWISTED_REACTOR is asyncio's: its loop runs every callback of the crawl
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.warning("loop lag not measured: the reactor does not run an asyncio loop")
            return
        # which loop the lag is of (ASYNCIO_EVENT_LOOP: uvloop's where it is installed)
        kind = type(self.loop)
        self.stats.set_value(LOOP_STAT, f"{kind.__module__}.{kind.__qualname__}")
        self._schedule()

    def _schedule(self) -> None:
        assert self.loop is not None
        self.due = time.monotonic() + self.interval
        self.call = self.loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        lag_ms = max(0.0, (time.monotonic() - self.due) * 1000.0)
        self.histogram[min(int(lag_ms / _BUCKET_MS), _BUCKETS - 1)] += 1
        self.ticks += 1
        if lag_ms > self.max_ms:
            self.max_ms = lag_ms
            # kept current in the stats, so whoever reads them at close (the archive's
            # crawl record) sees it whatever the order of the spider_closed handlers
            self.stats.set_value(MAX_STAT, round(lag_ms, 1))
        if self.ticks % _P99_EVERY_TICKS == 0:
            self.stats.set_value(P99_STAT, self.p99_ms())
        self._schedule()

    def p99_ms(self) -> float:
        """The 99th percentile of the lateness so far, in ms (the upper edge of its bucket)."""
        if not self.ticks:
            return 0.0
        rank = self.ticks * 0.99
        seen = 0
        for bucket, count in enumerate(self.histogram):
            seen += count
            if seen >= rank:
                return (bucket + 1) * _BUCKET_MS
        return _BUCKETS * _BUCKET_MS

    def spider_closed(self) -> None:
        if self.loop is None:
            return
        if self.call is not None:
            self.call.cancel()
        self.call = None
        self.stats.set_value(MAX_STAT, round(self.max_ms, 1))
        self.stats.set_value(P99_STAT, self.p99_ms())
