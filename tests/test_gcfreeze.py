"""crawler/gcfreeze.py: the objects alive at an engine's start are out of the garbage
collector's full passes until the last engine of the process stops (issue 10: those
passes were a crawl's largest loop lags). In-process, with the signals the engine sends."""

from __future__ import annotations

import asyncio
import gc

from scrapy import signals

from crawler.gcfreeze import FreezeStartupObjects

from .component_crawler import component_crawler


def _send(crawler, signal) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(crawler.signals.send_catch_log_async(signal))


def test_startup_objects_are_frozen_while_any_engine_runs() -> None:
    first, second = component_crawler(), component_crawler()
    # held, as the extension manager holds them: signals keep weak references
    extensions = [FreezeStartupObjects.from_crawler(crawler) for crawler in (first, second)]
    assert len(extensions) == 2
    assert gc.get_freeze_count() == 0
    _send(first, signals.engine_started)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules and classes of Scrapy, Twisted and the archive
    _send(second, signals.engine_started)
    _send(first, signals.engine_stopped)
    assert gc.get_freeze_count() >= frozen  # the other crawl of the process still runs
    _send(second, signals.engine_stopped)
    assert gc.get_freeze_count() == 0
    assert FreezeStartupObjects.running == 0
    gc.collect()
    assert gc.get_freeze_count() == 0  # a process that goes on collects as before


def test_the_spiders_opening_freezes_them_already() -> None:
    # the loop's lateness is measured from the spider's opening, before the engine starts
    crawler = component_crawler()
    extension = FreezeStartupObjects.from_crawler(crawler)
    assert gc.get_freeze_count() == 0
    _send(crawler, signals.spider_opened)
    assert gc.get_freeze_count() > 10_000
    _send(crawler, signals.engine_started)
    _send(crawler, signals.engine_stopped)
    assert extension is not None
    assert gc.get_freeze_count() == 0
