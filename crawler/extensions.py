"""Scrapy extensions of reprint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.crawlstats import FIGURES

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class _ProgressBoard:
    """One live table for every crawler of the process (feeds, sitemaps and site run
    side by side under `reprint crawl`)."""

    def __init__(self) -> None:
        self.crawlers: list[Crawler] = []
        self.live: Live | None = None

    def render(self) -> Table:
        table = Table(title="reprint crawl", title_justify="left")
        table.add_column("spider")
        for figure in LIVE_FIGURES:
            table.add_column(figure.short or figure.label, justify="right")
        for crawler in self.crawlers:
            stats = dict(crawler.stats.get_stats())
            name = crawler.spider.name if crawler.spider is not None else "?"
            table.add_row(name, *(str(figure.read(stats)) for figure in LIVE_FIGURES))
        return table

    def add(self, crawler: Crawler) -> None:
        self.crawlers.append(crawler)
        if self.live is None:
            self.live = Live(
                get_renderable=self.render,
                console=Console(stderr=True),
                refresh_per_second=4,
                transient=True,
            )
            self.live.start()

    def remove(self, crawler: Crawler) -> None:
        if crawler in self.crawlers:
            self.crawlers.remove(crawler)
        if not self.crawlers and self.live is not None:
            self.live.stop()
            self.live = None


_BOARD = _ProgressBoard()
LIVE_FIGURES = tuple(figure for figure in FIGURES if figure.short)


class ProgressDisplay:
    """A live table of pages fetched, articles stored, copies and errors (REPRINT_PROGRESS)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressDisplay:
        if not crawler.settings.getbool("REPRINT_PROGRESS"):
            raise NotConfigured  # silent: off is the normal case outside a terminal
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        _BOARD.add(self.crawler)

    def spider_closed(self) -> None:
        _BOARD.remove(self.crawler)
