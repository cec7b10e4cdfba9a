"""Pictures of the archive: articles per day per site, and syndication fan-out, as SVG.

Hand-written SVG (no plotting library): two bar charts need ~150 lines, start in
milliseconds and render in any browser, in datasette's stats page and in a README.
The counts come from covering indexes (archive/db.py m005), so a million-article archive
is charted without reading its texts.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from archive.db import ARTICLE_DAY_SQL
from archive.settings import CHART_DAYS, CHART_TOP_SITES

if TYPE_CHECKING:
    from sqlite_utils import Database

# Tableau 10: distinguishable colours, also for most colour-blind readers; grey is "other".
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
)
OTHER_COLOUR = "#bab0ac"
OTHER = "other sites"
# Fan-out buckets: how many places a story ran in.
FANOUT_BUCKETS = ((1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 9), (10, 19), (20, None))
WIDTH = 960
FONT = "font-family='system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif'"


@dataclass(slots=True)
class ChartData:
    """What the charts show."""

    days: list[str] = field(default_factory=list)  # ISO dates, oldest first
    sites: list[str] = field(default_factory=list)  # stacking order, OTHER last if present
    per_day: dict[str, dict[str, int]] = field(default_factory=dict)  # site -> day -> count
    fanout: list[tuple[str, int]] = field(default_factory=list)  # bucket label -> stories


def chart_data(
    db: Database,
    *,
    days: int = CHART_DAYS,
    top_sites: int = CHART_TOP_SITES,
    today: date | None = None,
) -> ChartData:
    """Count articles per day per site over the last ``days`` days that have articles, and
    stories per number of places they ran.

    :param db: the archive
    :param days: how many days the per-day chart covers, ending at the latest article
    :param top_sites: sites drawn separately; the rest are summed as "other sites"
    :param today: dates after this are ignored (publishers' future-dated pages)
    """
    today = today or datetime.now(UTC).date()
    latest = db.execute(
        f"SELECT max({ARTICLE_DAY_SQL}) FROM articles WHERE {ARTICLE_DAY_SQL} <= ?",
        [today.isoformat()],
    ).fetchone()[0]
    data = ChartData()
    if latest:
        end = date.fromisoformat(latest)
        start = end - timedelta(days=days - 1)
        data.days = [(start + timedelta(days=i)).isoformat() for i in range(days)]
        rows = db.execute(
            f"SELECT {ARTICLE_DAY_SQL} AS day, site, count(*) FROM articles"
            f" WHERE {ARTICLE_DAY_SQL} BETWEEN ? AND ? GROUP BY day, site",
            [start.isoformat(), end.isoformat()],
        ).fetchall()
        totals: dict[str, int] = {}
        for _day, site, count in rows:
            totals[site or "?"] = totals.get(site or "?", 0) + count
        ranked = sorted(totals, key=lambda s: (-totals[s], s))
        kept = set(ranked[:top_sites])
        data.sites = ranked[:top_sites] + ([OTHER] if len(ranked) > top_sites else [])
        for day, site, count in rows:
            name = (site or "?") if (site or "?") in kept else OTHER
            per_site = data.per_day.setdefault(name, {})
            per_site[day] = per_site.get(day, 0) + count
    counts = dict(db.execute("SELECT copies, count(*) FROM articles GROUP BY copies").fetchall())
    for low, high in FANOUT_BUCKETS:
        label = str(low) if low == high else (f"{low}-{high}" if high else f"{low}+")
        total = sum(
            n
            for copies, n in counts.items()
            if copies and copies >= low and (high is None or copies <= high)
        )
        data.fanout.append((label, total))
    return data


def _nice_max(value: int) -> tuple[int, int]:
    """An axis maximum >= value on a 1/2/5 step, and that step (about 4 gridlines)."""
    if value <= 0:
        return 1, 1
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def _text(
    x: float, y: float, value: str, *, size: int = 12, anchor: str = "start", **attrs: str
) -> str:
    extra = "".join(f" {k.replace('_', '-')}='{v}'" for k, v in attrs.items())
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' {FONT}{extra}>"
        f"{html.escape(value)}</text>"
    )


def _axes(
    left: float, top: float, width: float, height: float, top_value: int, step: int
) -> list[str]:
    parts = []
    for value in range(0, top_value + 1, step):
        y = top + height - height * value / top_value
        parts.append(
            f"<line x1='{left}' x2='{left + width}' y1='{y:.1f}' y2='{y:.1f}' stroke='#e5e5e5'/>"
        )
        parts.append(_text(left - 6, y + 4, f"{value:,}", size=11, anchor="end", fill="#555"))
    return parts


def _per_day_chart(data: ChartData, top: float) -> tuple[list[str], float]:
    left, width, height = 60.0, WIDTH - 60 - 190, 260.0
    parts = [_text(left, top + 16, "Articles per day per site", size=16, font_weight="600")]
    top += 34
    if not data.days:
        parts.append(_text(left, top + 20, "No articles yet.", fill="#555"))
        return parts, top + 40
    totals = [sum(data.per_day.get(s, {}).get(d, 0) for s in data.sites) for d in data.days]
    top_value, step = _nice_max(max(totals))
    parts += _axes(left, top, width, height, top_value, step)
    slot = width / len(data.days)
    bar = max(1.0, slot * 0.8)
    colours = {
        s: (OTHER_COLOUR if s == OTHER else PALETTE[i % len(PALETTE)])
        for i, s in enumerate(data.sites)
    }
    for i, day in enumerate(data.days):
        y = top + height
        x = left + i * slot + (slot - bar) / 2
        for site in data.sites:
            count = data.per_day.get(site, {}).get(day, 0)
            if not count:
                continue
            h = height * count / top_value
            y -= h
            parts.append(
                f"<rect x='{x:.1f}' y='{y:.1f}' width='{bar:.1f}' height='{h:.1f}' "
                f"fill='{colours[site]}'><title>{html.escape(site)} {day}: {count:,}</title></rect>"
            )
        if i % max(1, len(data.days) // 8) == 0:
            parts.append(
                _text(
                    x + bar / 2, top + height + 16, day[5:], size=11, anchor="middle", fill="#555"
                )
            )
    for i, site in enumerate(data.sites):
        y = top + 8 + i * 20
        parts.append(
            f"<rect x='{left + width + 20}' y='{y}' width='12' height='12' fill='{colours[site]}'/>"
        )
        parts.append(_text(left + width + 38, y + 11, site, size=12))
    return parts, top + height + 40


def _fanout_chart(data: ChartData, top: float) -> tuple[list[str], float]:
    left, width, height = 60.0, WIDTH - 60 - 190, 200.0
    parts = [
        _text(
            left,
            top + 16,
            "Syndication fan-out: stories by number of places they ran",
            size=16,
            font_weight="600",
        )
    ]
    top += 34
    top_value, step = _nice_max(max((n for _, n in data.fanout), default=0))
    parts += _axes(left, top, width, height, top_value, step)
    slot = width / max(1, len(data.fanout))
    total = sum(n for _, n in data.fanout) or 1
    for i, (label, count) in enumerate(data.fanout):
        h = height * count / top_value
        x = left + i * slot + slot * 0.15
        parts.append(
            f"<rect x='{x:.1f}' y='{top + height - h:.1f}' width='{slot * 0.7:.1f}' "
            f"height='{h:.1f}' fill='{PALETTE[0] if label == '1' else PALETTE[1]}'>"
            f"<title>{label} places: {count:,} stories</title></rect>"
        )
        parts.append(
            _text(
                x + slot * 0.35,
                top + height - h - 5,
                f"{count:,} ({100 * count / total:.0f}%)",
                size=11,
                anchor="middle",
            )
        )
        parts.append(_text(x + slot * 0.35, top + height + 16, label, size=12, anchor="middle"))
    parts.append(
        _text(
            left + width / 2,
            top + height + 34,
            "places a story ran in (1 = not syndicated)",
            size=12,
            anchor="middle",
            fill="#555",
        )
    )
    return parts, top + height + 50


def render_svg(data: ChartData) -> str:
    """Both charts, stacked, as one standalone SVG document."""
    parts, y = _per_day_chart(data, 10)
    more, y = _fanout_chart(data, y)
    body = "\n".join(parts + more)
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{y:.0f}' "
        f"viewBox='0 0 {WIDTH} {y:.0f}' role='img' aria-label='reprint archive charts'>\n"
        f"<rect width='100%' height='100%' fill='white'/>\n{body}\n</svg>\n"
    )
