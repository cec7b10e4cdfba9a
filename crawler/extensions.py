"""Scrapy extensions of reprint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

# (column title, how to read it from a crawler's stats)
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("fetched", lambda s: s.get("downloader/response_count", 0)),
    ("pages", lambda s: s.get("reprint/pages_fetched", 0)),
    ("articles", lambda s: s.get("reprint/articles_stored", 0)),
    ("copies", lambda s: s.get("reprint/copies_clustered", 0)),
    ("unchanged", lambda s: s.get("reprint/pages_unchanged", 0)),
    ("not articles", lambda s: s.get("reprint/not_article", 0) + s.get("reprint/not_html", 0)),
    ("errors", lambda s: error_count(s)),
)


def error_count(stats: dict[str, Any]) -> int:
    """Total of the ``reprint/errors/*`` counters."""
    return sum(v for k, v in stats.items() if k.startswith("reprint/errors/"))


class _ProgressBoard:
    """One live table for every crawler of the process (feeds, sitemaps and site run
    side by side under `reprint crawl`)."""

    def __init__(self) -> None:
        self.crawlers: list[Crawler] = []
        self.live: Live | None = None

    def render(self) -> Table:
        table = Table(title="reprint crawl", title_justify="left")
        table.add_column("spider")
        for title, _ in COLUMNS:
            table.add_column(title, justify="right")
        for crawler in self.crawlers:
            stats = dict(crawler.stats.get_stats())
            name = crawler.spider.name if getattr(crawler, "spider", None) else "?"
            table.add_row(name, *(str(read(stats)) for _, read in COLUMNS))
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
