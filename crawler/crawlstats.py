"""How a crawl's Scrapy stats read as the numbers people want: one table of them, shared
by the live progress display and the end-of-crawl summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Stats = dict[str, Any]


def stat_sum(stats: Stats, prefix: str) -> int:
    """Total of the integer counters whose key starts with ``prefix``."""
    return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))


@dataclass(frozen=True, slots=True)
class Figure:
    """One number of a crawl: its label in the summary, its short label in the live
    table (None: not shown there), and how it is read from the stats."""

    label: str
    short: str | None
    read: Callable[[Stats], int]


FIGURES: tuple[Figure, ...] = (
    Figure("responses", "fetched", lambda s: s.get("downloader/response_count", 0)),
    Figure("article pages fetched", "pages", lambda s: s.get("reprint/pages_fetched", 0)),
    Figure("new articles", "articles", lambda s: s.get("reprint/articles_stored", 0)),
    Figure("copies of stored articles", "copies", lambda s: s.get("reprint/copies_clustered", 0)),
    Figure("unchanged pages", "unchanged", lambda s: s.get("reprint/pages_unchanged", 0)),
    Figure("changed pages", None, lambda s: s.get("reprint/pages_changed", 0)),
    Figure(
        "not articles",
        "not articles",
        lambda s: s.get("reprint/not_article", 0) + s.get("reprint/not_html", 0),
    ),
    Figure("duplicate URLs", None, lambda s: s.get("reprint/duplicate_urls", 0)),
    Figure("errors", "errors", lambda s: stat_sum(s, "reprint/errors/")),
    Figure(
        "skipped (archived, robots, limits)", "skipped", lambda s: stat_sum(s, "reprint/skipped/")
    ),
)
