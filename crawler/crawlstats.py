"""How a crawl's Scrapy stats read as the numbers people want: one table of them, drawn
the same way by the live progress display and the end-of-crawl summary (a row per
figure, a column per spider, so the labels are the same in both and the table fits an
80-column terminal whatever the labels)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rich.table import Table

Stats = dict[str, Any]

# Stats kept by crawler/extensions.py SourceReport: source documents (feeds, sitemaps,
# start pages) read and failed (each failure itself is on SpiderOutcome.source_failures:
# the stats are dumped to the log, where URLs would repeat every refusal once more)
SOURCES_READ = "reprint/sources/read"
SOURCES_FAILED = "reprint/sources/failed"


def stat_sum(stats: Stats, prefix: str) -> int:
    """Total of the integer counters whose key starts with ``prefix``."""
    return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))


@dataclass(frozen=True, slots=True)
class Figure:
    """One number of a crawl: its label, whether the live table shows it too, and how it
    is read from the stats."""

    label: str
    live: bool
    read: Callable[[Stats], int]


FIGURES: tuple[Figure, ...] = (
    Figure("sources read", True, lambda s: s.get(SOURCES_READ, 0)),
    Figure("sources failed", True, lambda s: s.get(SOURCES_FAILED, 0)),
    Figure("responses", True, lambda s: s.get("downloader/response_count", 0)),
    Figure("article pages fetched", True, lambda s: s.get("reprint/pages_fetched", 0)),
    Figure("new articles", True, lambda s: s.get("reprint/articles_stored", 0)),
    Figure("copies of stored articles", True, lambda s: s.get("reprint/copies_clustered", 0)),
    Figure("unchanged pages", True, lambda s: s.get("reprint/pages_unchanged", 0)),
    Figure("changed pages", False, lambda s: s.get("reprint/pages_changed", 0)),
    Figure(
        "not articles",
        True,
        lambda s: s.get("reprint/not_article", 0) + s.get("reprint/not_html", 0),
    ),
    Figure("duplicate URLs", False, lambda s: s.get("reprint/duplicate_urls", 0)),
    Figure("errors", True, lambda s: stat_sum(s, "reprint/errors/")),
    Figure("skipped (archived, robots, limits)", True, lambda s: stat_sum(s, "reprint/skipped/")),
)


def queued(stats: Stats) -> int:
    """Requests waiting in the scheduler."""
    return int(stats.get("scheduler/enqueued", 0)) - int(stats.get("scheduler/dequeued", 0))


def figures_table(
    title: str,
    columns: Iterable[tuple[str, Stats]],
    *,
    live: bool = False,
    first_rows: Iterable[tuple[str, Iterable[str]]] = (),
) -> Table:
    """The crawl's figures, a row each, for each (spider, stats) column.

    :param live: only the figures the live display shows
    :param first_rows: (label, a value per column) rows above the figures
    """
    chosen = list(columns)
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for name, _ in chosen:
        table.add_column(name, justify="right")
    for label, values in first_rows:
        table.add_row(label, *values)
    for figure in FIGURES:
        if figure.live or not live:
            table.add_row(figure.label, *(str(figure.read(stats)) for _, stats in chosen))
    return table


def problem_counts(all_stats: Iterable[Stats]) -> dict[str, int]:
    """Errors and skips by kind ("errors/dns", "skipped/robots_forbidden"), summed over
    every spider of the crawl."""
    counts: dict[str, int] = {}
    for stats in all_stats:
        for key, value in stats.items():
            if key.startswith(("reprint/errors/", "reprint/skipped/")) and isinstance(value, int):
                name = key.removeprefix("reprint/")
                counts[name] = counts.get(name, 0) + value
    return counts
