"""Hand the GIL back to the reactor sooner while a crawl runs.

The crawl's main process runs Python threads beside the reactor: the feed and sitemap
parser (crawler/spiders/base.py), the archive's writer, the lookups. When one of them is
busy in Python code, the reactor waits for the GIL each time it takes it back, after every
socket read and every turn of its loop, and CPython makes a waiting thread wait a whole
switch interval (5 ms by default) before the running one must let go. A reactor turn takes
the GIL back several times, so those waits add up: while the 8 feeds of a 20,000-page
crawl were parsed, its loop ran 80-124 ms late (issue 10). With a 1 ms interval the
waits are a fifth as long: that crawl's largest loop lag went 124 -> 55 ms (p99 12 -> 11),
and 1000-page crawls ran at the same speed and CPU (three paired runs).

The interval is the process's: it is set when the first engine starts and put back when
the last one stops (crawler/processwide.py).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from crawler.processwide import WhileEnginesRun

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ReactorSwitchInterval(WhileEnginesRun):
    """Set ``sys.setswitchinterval`` to REPRINT_SWITCH_INTERVAL for the crawl (0: leave
    CPython's)."""

    # the interval before the first engine started
    saved: float | None = None

    def __init__(self, interval: float) -> None:
        self.interval = interval

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReactorSwitchInterval:
        interval = crawler.settings.getfloat("REPRINT_SWITCH_INTERVAL")
        if interval <= 0:
            raise NotConfigured("REPRINT_SWITCH_INTERVAL is 0")
        ext = cls(interval)
        ext.connect(crawler)
        return ext

    def started(self, *, first: bool) -> None:
        if first:
            ReactorSwitchInterval.saved = sys.getswitchinterval()
        sys.setswitchinterval(self.interval)

    def last_stopped(self) -> None:
        if ReactorSwitchInterval.saved is not None:
            sys.setswitchinterval(ReactorSwitchInterval.saved)
            ReactorSwitchInterval.saved = None
