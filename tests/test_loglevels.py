"""crawler/loglevels.py: while an engine runs, the root and Scrapy loggers build no
record below the lowest level a root handler writes, and whatever a handler writes is
still written; their levels come back after the last engine stops. In-process, with the
signals the engine sends."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from scrapy import signals

from crawler.loglevels import SkipUnwrittenRecords

from .component_crawler import component_crawler, send_signal

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class _Kept(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def own_root_handlers() -> Iterator[list[logging.Handler]]:
    """The root logger's handlers, replaced by the test's own in the block, and the
    levels as Scrapy's logging setup leaves them (root NOTSET, Scrapy's logger DEBUG);
    entered once the crawlers exist (creating one sets up Scrapy's logging)."""
    scrapy = logging.getLogger("scrapy")
    saved = logging.root.handlers[:], logging.root.level, scrapy.level
    logging.root.handlers = []
    logging.root.setLevel(logging.NOTSET)
    scrapy.setLevel(logging.DEBUG)
    try:
        yield logging.root.handlers
    finally:
        logging.root.handlers, root_level, scrapy_level = saved
        logging.root.setLevel(root_level)
        scrapy.setLevel(scrapy_level)


def test_records_below_every_handler_are_not_built_while_an_engine_runs() -> None:
    first, second = component_crawler(), component_crawler()
    extensions = [SkipUnwrittenRecords.from_crawler(c) for c in (first, second)]
    assert len(extensions) == 2  # held, as the extension manager holds them
    with own_root_handlers() as handlers:
        _check_two_engines(first, second, handlers)


def _check_two_engines(first: Crawler, second: Crawler, handlers: list[logging.Handler]) -> None:
    warnings = _Kept(logging.WARNING)
    handlers.append(warnings)
    before = {name: logging.getLogger(name).level for name in ("", "scrapy")}
    send_signal(first, signals.engine_started)
    engine = logging.getLogger("scrapy.core.engine")
    ours = logging.getLogger("crawler.pipelines")
    assert not engine.isEnabledFor(logging.DEBUG) and not ours.isEnabledFor(logging.INFO)
    engine.warning("kept")
    ours.error("kept too")
    assert [r.getMessage() for r in warnings.records] == ["kept", "kept too"]

    # a second crawler's handler that writes INFO gets what it writes
    infos = _Kept(logging.INFO)
    handlers.append(infos)
    send_signal(second, signals.engine_started)
    ours.info("for the second")
    assert [r.getMessage() for r in infos.records] == ["for the second"]
    assert not engine.isEnabledFor(logging.DEBUG)

    send_signal(first, signals.engine_stopped)
    send_signal(second, signals.engine_stopped)
    assert {name: logging.getLogger(name).level for name in before} == before
    assert SkipUnwrittenRecords.running == 0


def test_a_handler_that_writes_everything_keeps_everything() -> None:
    crawler = component_crawler()
    extension = SkipUnwrittenRecords.from_crawler(crawler)
    everything = _Kept(logging.NOTSET)
    with own_root_handlers() as handlers:
        handlers.append(everything)
        send_signal(crawler, signals.engine_started)
        logging.getLogger("scrapy.core.scraper").debug("Scraped from a page")
        send_signal(crawler, signals.engine_stopped)
    assert extension is not None
    scrapy_records = [r for r in everything.records if r.name.startswith("scrapy.")]
    assert [r.getMessage() for r in scrapy_records] == ["Scraped from a page"]


def test_the_crawl_settings_turn_it_on() -> None:
    from crawler.run import crawl_settings

    assert "crawler.loglevels.SkipUnwrittenRecords" in crawl_settings().getdict("EXTENSIONS")
