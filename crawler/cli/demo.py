"""`reprint demo`: crawl the embedded fixture web and show the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table
from rich.text import Text

from archive.read import most_copied
from archive.search import search
from crawler.cli.common import (
    DEMO_DB,
    DEMO_HOST,
    _open,
    db_option,
    out,
)
from crawler.cli.crawl import _exit_code, _run
from crawler.cli.read import _highlight

if TYPE_CHECKING:
    pass


@click.command()
@db_option(DEMO_DB, existing=False)
@click.option("--keep", is_flag=True, help="Keep an existing demo archive (crawl it again).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO).")
def demo(db_path: str, keep: bool, verbose: bool) -> None:
    """Offline demo: serve the embedded fixture web on 127.0.0.1, crawl it, show the result."""
    from crawler.demo import demo_sources, serve_demo_web

    path = Path(db_path)
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    with serve_demo_web() as web:
        sources = demo_sources(web)
        out.print(f"demo web: {', '.join(f'{n} {u}' for n, u in web.bases.items())}")
        # the fixture web answers at once: no throttling or delay needed
        # section pages link straight to the stories: one level of links is the whole site
        overrides = {
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "REPRINT_SITE_DEPTH": 1,
            "REPRINT_ALLOW_HOSTS": [DEMO_HOST],  # the demo web is served on loopback
        }
        outcomes = _run(
            sources, db_path, overrides, since=None, verbose=verbose, progress=None, stats_json=None
        )
    db = _open(db_path)
    table = Table(title="stories seen in more than one place", title_justify="left")
    for column in ("id", "copies", "title", "seen on"):
        table.add_column(column)
    for row in most_copied(db, limit=20):
        if row["copies"] > 1:
            table.add_row(str(row["id"]), str(row["copies"]), row["title"] or "", row["seen_on"])
    out.print(table)
    query = "season"
    hits = search(db, query, limit=3)
    db.close()
    out.print(f"\nsample search: reprint search {query!r} --db {db_path}")
    for hit in hits:
        out.print(
            Text.assemble(f"  [{hit.id}] ", (hit.title or "", "bold"), f" ({hit.copies} copies)")
        )
        out.print(Text("    ").append(_highlight(hit.snippet)))
    sys.exit(_exit_code(outcomes))
