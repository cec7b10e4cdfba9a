"""Run the spiders over a list of sources in one Scrapy process (used by `reprint crawl`
and `reprint demo`; `scrapy crawl NAME` runs one spider the usual way)."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from crawler.sources import SOURCE_KINDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler

    from crawler.sources import Source
    from crawler.spiders.base import SourceSpider


def spider_for(kind: str) -> type[SourceSpider]:
    """The spider class that crawls sources of ``kind`` (crawler.sources.SOURCE_KINDS)."""
    path = next(k.spider for k in SOURCE_KINDS if k.name == kind)
    spidercls: type[SourceSpider] = load_object(path)
    return spidercls


@dataclass(slots=True)
class SpiderOutcome:
    """How one spider's crawl ended."""

    spider: str
    reason: str
    stats: dict[str, Any]
    # each source document that failed (crawler/extensions.py SourceReport.failures)
    source_failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.reason == "finished" or self.reason.startswith("closespider_")


def crawl_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """crawler/settings.py with ``overrides`` on top (command-line priority)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(overrides or {}, priority="cmdline")
    _without_switched_off(settings, "EXTENSIONS")
    return settings


def _without_switched_off(settings: Settings, name: str) -> None:
    """Take the components ``name`` switches off (None) out of it and of its base list.

    Scrapy imports every class a component setting names, one set to None too (to resolve
    its import path): Scrapy 2.19's RemoteControl, off in crawler/settings.py, cost each
    crawl's start-up ~100 ms importing aiohttp (python -X importtime), on the way to its
    first page. Left out of both lists, it is neither imported nor enabled.
    """
    given = settings.getdict(name)
    off = {path for path, order in given.items() if order is None}
    if not off:
        return
    base = f"{name}_BASE"
    settings.set(
        base,
        {path: order for path, order in settings.getdict(base).items() if path not in off},
        priority=settings.getpriority(base) or "default",
    )
    settings.set(
        name,
        {path: order for path, order in given.items() if path not in off},
        priority=settings.getpriority(name) or "project",
    )


def _set_event_loop(settings: Settings) -> None:
    """Make the loop ASYNCIO_EVENT_LOOP names the current one before Scrapy installs the
    reactor.

    Scrapy asks asyncio for the current loop first, which creates a default one, then
    replaces it with a new loop of the named class and leaves the first unclosed (a
    ResourceWarning at exit). Given a current loop of the named class, it uses that.
    """
    path = settings.get("ASYNCIO_EVENT_LOOP")
    if path and "twisted.internet.reactor" not in sys.modules:
        asyncio.set_event_loop(load_object(path)())


class _InterruptibleProcess(AsyncCrawlerProcess):
    """Scrapy's process, telling ``on_interrupt`` of each SIGINT/SIGTERM it handles (the
    first: a graceful stop after the pages in flight; the second: stop now)."""

    def __init__(self, settings: Settings, on_interrupt: Callable[[int], None] | None) -> None:
        super().__init__(settings)
        self.on_interrupt = on_interrupt
        self.interrupts = 0

    def _notify(self) -> None:
        from twisted.internet import reactor

        self.interrupts += 1
        if self.on_interrupt is not None:  # out of the signal handler, on the reactor
            reactor.callFromThread(self.on_interrupt, self.interrupts)

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self._notify()
        super()._signal_shutdown(signum, frame)

    def _signal_kill(self, signum: int, frame: Any) -> None:
        self._notify()
        super()._signal_kill(signum, frame)


class OneLineErrors(logging.Filter):
    """Log records with a traceback as one line (the exception's message) instead: a DNS
    failure of a robots.txt is an outcome of a crawl, not a bug to debug. `--verbose`
    keeps the tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error, message = record.exc_info[1], record.getMessage()
            record.msg = message if str(error) in message else f"{message}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def _one_line_errors() -> None:
    """Filter Scrapy's log handler with :class:`OneLineErrors`. Each crawler installs a
    new root handler when it applies its settings, so this runs when an engine starts,
    after its crawler did."""
    for handler in logging.root.handlers:
        if not any(isinstance(f, OneLineErrors) for f in handler.filters):
            handler.addFilter(OneLineErrors())


def _source_failures(crawler: Crawler) -> list[dict[str, Any]]:
    from crawler.extensions import SourceReport

    if getattr(crawler, "extensions", None) is None:  # never started
        return []
    report = crawler.get_extension(SourceReport)
    return report.failures() if report is not None else []


def run_crawl(
    sources: list[Source],
    overrides: dict[str, Any] | None = None,
    since: str | None = None,
    *,
    on_interrupt: Callable[[int], None] | None = None,
    tracebacks: bool = True,
) -> list[SpiderOutcome]:
    """Crawl ``sources`` (each kind by its spider, side by side) into the archive.

    :param sources: what to crawl
    :param overrides: Scrapy settings over crawler/settings.py (ARCHIVE_PATH, ...)
    :param since: sitemaps: only pages dated on or after this ISO date
    :param on_interrupt: called with 1 at the first Ctrl-C (SIGINT or SIGTERM: the crawl
        stops after the pages in flight), 2 at the second (it stops at once)
    :param tracebacks: log errors with their tracebacks (else one line each)
    """
    settings = crawl_settings(overrides)
    _set_event_loop(settings)
    process = _InterruptibleProcess(settings, on_interrupt)
    crawlers = []
    for kind in (k.name for k in SOURCE_KINDS):
        chosen = [s for s in sources if s.kind == kind]
        if not chosen:
            continue
        crawler = process.create_crawler(spider_for(kind))
        kwargs: dict[str, Any] = {"sources": chosen}
        if kind == "sitemap" and since:
            kwargs["since"] = since
        if not tracebacks:
            crawler.signals.connect(_one_line_errors, signal=signals.engine_started)
        process.crawl(crawler, **kwargs)
        crawlers.append(crawler)
    if crawlers:
        process.start()
    # a spider stopped at once (second Ctrl-C) records no finish reason
    unfinished = "interrupted" if process.interrupts else "not started"
    return [
        SpiderOutcome(
            spider=crawler.spidercls.name,
            reason=str(crawler.stats.get_value("finish_reason", unfinished)),
            stats=dict(crawler.stats.get_stats()),
            source_failures=_source_failures(crawler),
        )
        for crawler in crawlers
    ]
