"""crawler/gcfreeze.py: the objects alive at an engine's start are out of the garbage
collector's full passes until the last engine of the process stops (issue 10: those
passes were a crawl's largest loop lags). In-process, with the signals the engine sends."""

from __future__ import annotations

import gc

from scrapy import signals

from crawler.gcfreeze import FreezeStartupObjects

from .component_crawler import component_crawler, send_signal


def test_startup_objects_are_frozen_while_any_engine_runs() -> None:
    first, second = component_crawler(), component_crawler()
    # held, as the extension manager holds them: signals keep weak references
    extensions = [FreezeStartupObjects.from_crawler(crawler) for crawler in (first, second)]
    assert len(extensions) == 2
    assert gc.get_freeze_count() == 0
    send_signal(first, signals.engine_started)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules and classes of Scrapy, Twisted and the archive
    send_signal(second, signals.engine_started)
    send_signal(first, signals.engine_stopped)
    assert gc.get_freeze_count() >= frozen  # the other crawl of the process still runs
    send_signal(second, signals.engine_stopped)
    assert gc.get_freeze_count() == 0
    assert FreezeStartupObjects.running == 0
    gc.collect()
    assert gc.get_freeze_count() == 0  # a process that goes on collects as before


def test_the_spiders_opening_freezes_them_already() -> None:
    # the loop's lateness is measured from the spider's opening, before the engine starts
    crawler = component_crawler()
    extension = FreezeStartupObjects.from_crawler(crawler)
    assert gc.get_freeze_count() == 0
    send_signal(crawler, signals.spider_opened)
    assert gc.get_freeze_count() > 10_000
    send_signal(crawler, signals.engine_started)
    send_signal(crawler, signals.engine_stopped)
    assert extension is not None
    assert gc.get_freeze_count() == 0
