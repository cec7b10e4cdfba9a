"""crawler/switchinterval.py: the GIL's switch interval is short while any engine of the
process runs, and CPython's again after the last one stops (issue 10: the reactor waited
for the GIL behind the source parser). In-process, with the signals the engine sends."""

from __future__ import annotations

import sys

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.switchinterval import ReactorSwitchInterval

from .component_crawler import component_crawler, send_signal


def test_the_interval_is_short_while_any_engine_runs() -> None:
    before = sys.getswitchinterval()
    settings = {"REPRINT_SWITCH_INTERVAL": 0.001}
    first, second = component_crawler(settings), component_crawler(settings)
    # held, as the extension manager holds them: signals keep weak references
    extensions = [ReactorSwitchInterval.from_crawler(crawler) for crawler in (first, second)]
    assert len(extensions) == 2
    send_signal(first, signals.engine_started)
    assert sys.getswitchinterval() == pytest.approx(0.001)
    send_signal(second, signals.engine_started)
    send_signal(first, signals.engine_stopped)
    assert sys.getswitchinterval() == pytest.approx(0.001)  # the other crawl still runs
    send_signal(second, signals.engine_stopped)
    assert sys.getswitchinterval() == before
    assert ReactorSwitchInterval.running == 0


def test_zero_leaves_the_interval_alone() -> None:
    with pytest.raises(NotConfigured):
        ReactorSwitchInterval.from_crawler(component_crawler({"REPRINT_SWITCH_INTERVAL": 0}))


def test_the_crawl_settings_turn_it_on() -> None:
    from crawler.run import crawl_settings

    settings = crawl_settings()
    assert settings.getfloat("REPRINT_SWITCH_INTERVAL") == pytest.approx(0.001)
    assert "crawler.switchinterval.ReactorSwitchInterval" in settings.getdict("EXTENSIONS")
