"""Keep the garbage collector's full passes short during a crawl.

A full (generation 2) collection walks every tracked object the process holds, and the
crawl's main process holds over a million from its start alone: the modules, classes and
settings of Scrapy, Twisted, lxml and the archive. Each such pass stopped the reactor for
67-88 ms, twice in a 1000-page crawl, the largest loop lags measured (issue 10; stat
``reprint/loop_lag_max_ms``). Those objects live as long as the process, so scanning them
finds nothing: ``gc.freeze()`` once the engine has started moves them out of the
collector's sight, and full passes then took 4-15 ms (loop lag max 135 -> 52 ms on the
1000-page benchmark web). What a full pass finds alive during the crawl is frozen after
it too: a 20,000-page crawl queues its requests at once, and full passes over them took
up to 219 ms (39 of them, 3.3 s in all); with the survivors frozen, at most 30 ms (0.3 s).
Frozen objects are still freed when their last reference goes; only garbage in reference
cycles among them waits for the end of the crawl. Everything is handed back
(``gc.unfreeze()``) when the engine stops, so a process that goes on after its crawl
(tests, a notebook) collects as before.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class FreezeStartupObjects:
    """Freeze the objects alive when an engine starts; unfreeze them when the last
    engine of the process stops (the crawlers of one ``reprint crawl`` share it)."""

    # engines of this process between their start and stop: the collector is the
    # process's, so is this count
    running = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FreezeStartupObjects:
        ext = cls()
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_started(self) -> None:
        FreezeStartupObjects.running += 1
        gc.freeze()
        if _freeze_survivors not in gc.callbacks:
            gc.callbacks.append(_freeze_survivors)

    def engine_stopped(self) -> None:
        FreezeStartupObjects.running -= 1
        if FreezeStartupObjects.running <= 0:
            FreezeStartupObjects.running = 0
            if _freeze_survivors in gc.callbacks:
                gc.callbacks.remove(_freeze_survivors)
            gc.unfreeze()


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    # what survives a full pass is long-lived too (the scheduler's queue of requests above
    # all: a 20,000-page crawl queues them all at once): out of the next full pass's sight
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()
