"""Keep the garbage collector's full passes short during a crawl.

A full (generation 2) collection walks every tracked object the process holds, and the
crawl's main process holds over a million from its start alone: the modules, classes and
settings of Scrapy, Twisted, lxml and the archive. Each such pass stopped the reactor for
67-88 ms, twice in a 1000-page crawl, the largest loop lags measured (issue 10; stat
``reprint/loop_lag_max_ms``). Those objects live as long as the process, so scanning them
finds nothing: ``gc.freeze()`` once the engine has started moves them out of the
collector's sight, and full passes then took 4-15 ms (loop lag max 135 -> 52 ms on the
1000-page benchmark web). They are frozen when the spider opens too: the loop's lateness
is measured from then, and a full pass over the ~100,000 objects of the crawl's setup
could still fall before the engine's start (60-70 ms, in 5,000-page crawls logged with
``gc.callbacks``: the largest lag of one of them). They are handed back
(``gc.unfreeze()``) when the engine stops, so a process that goes on after its crawl
(tests, a notebook) collects as before.

Tried and left out: freezing what each full pass finds alive during the crawl too. A
20,000-page crawl queues its requests at once, and full passes over them took up to
219 ms; with survivors frozen, 30 ms. But garbage in reference cycles among frozen
objects (Twisted's failures and deferreds) then waits for the end of the crawl: the main
process grew to 294 MB against 260, and a crawl of hours would keep growing. What those
passes scan is the queued requests themselves (~13 tracked objects each: 200,000 at a
pass of a 20,000-page crawl), so the fix is fewer requests queued at once, not freezing;
BENCHMARKS.md (issue 10, third round) has the measurements and what was tried.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Self

from scrapy import signals

from crawler.processwide import WhileEnginesRun

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class FreezeStartupObjects(WhileEnginesRun):
    """Freeze the objects alive when an engine starts; unfreeze them when the last
    engine of the process stops (the crawlers of one ``reprint crawl`` share it)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = super().from_crawler(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self) -> None:
        gc.freeze()

    def started(self, *, first: bool) -> None:
        gc.freeze()

    def last_stopped(self) -> None:
        gc.unfreeze()
