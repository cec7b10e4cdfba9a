"""`reprint demo`: crawl the embedded demo web and show the result."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from archive.read import most_copied
from archive.search import search
from crawler.cli.common import DEMO_DB, _open, db_option, err, out
from crawler.cli.crawl import _exit_code, _run
from crawler.cli.read import _highlight


@click.command()
@db_option(DEMO_DB, existing=False)
@click.option(
    "--keep/--fresh",
    default=True,
    show_default=True,
    help="Crawl the demo web again into the existing demo archive (a re-crawl adds "
    "nothing: the demo web has not changed), or delete it and start afresh.",
)
@click.option(
    "--serve",
    "serve_web",
    is_flag=True,
    help="Only serve the demo web, until Ctrl-C, and print the command that crawls it.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO).")
def demo(db_path: str, keep: bool, serve_web: bool, verbose: bool) -> None:
    """Offline demo: serve the embedded demo web (three fictional publishers,
    glossmag.example and two syndicators, on 127.0.0.1), crawl it, show the result."""
    from crawler.demo import DEMO_WEB_SETTING, demo_sources, serve_demo_web
    from crawler.extractpool import warm_up

    if serve_web:
        _serve_demo_web(db_path)
        return
    warm_up()  # the workers' imports run beside the crawl's own start-up
    path = Path(db_path)
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif path.is_file():
        _note_foreign_sites(db_path)
    with serve_demo_web() as web:
        sources = demo_sources(web)
        out.print(f"demo web: {', '.join(web.hosts.values())} (served on {web.proxy_url})")
        # the fixture web answers at once: no throttling or delay needed
        # section pages link straight to the stories: one level of links is the whole site
        overrides = {
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "REPRINT_SITE_DEPTH": 1,
            DEMO_WEB_SETTING: web.proxy_url,
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
    out.print(f"\nbrowse it: reprint serve --db {db_path}   (then open http://127.0.0.1:8001/)")
    sys.exit(_exit_code(outcomes))


def _note_foreign_sites(db_path: str) -> None:
    """Say so when the archive the demo crawls again holds other sites' pages (an archive
    of an older demo, whose web was served on 127.0.0.1 ports): the stories would be
    counted twice; --fresh starts over."""
    from crawler.netpolicy import is_demo_host

    db = _open(db_path)
    try:
        sites = [r[0] for r in db.execute("SELECT DISTINCT site FROM pages").fetchall()]
    finally:
        db.close()
    others = [site for site in sites if not is_demo_host(site)]
    if others:
        err.print(
            f"note: {db_path} also holds pages of {len(others)} other site(s) "
            f"({', '.join(others[:3])}); `reprint demo --fresh` starts a new demo archive"
        )


def _serve_demo_web(db_path: str) -> None:
    """Serve the demo web until Ctrl-C/SIGTERM, printing the crawl command that reaches it."""
    import shlex
    import signal
    import threading

    from crawler.demo import DEMO_WEB_SETTING, demo_sources, serve_demo_web
    from crawler.demo.server import STOP_POLL_S

    stop = threading.Event()
    # explicit handlers: a process started in the background by a non-interactive shell
    # inherits SIGINT as ignored, and Ctrl-C/kill must still stop it cleanly
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with serve_demo_web() as web:
        words = ["reprint", "crawl", "--db", db_path, "-s", f"{DEMO_WEB_SETTING}={web.proxy_url}"]
        # the demo web answers at once: no need to pace the crawl as for real sites
        words += ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]
        for source in demo_sources(web):
            if source.kind in ("feed", "sitemap"):  # the site crawl needs depth settings
                words += [f"--{source.kind}", source.url]
        out.print(f"demo web: {', '.join(web.hosts.values())} (served on {web.proxy_url})")
        out.print("crawl it (from another terminal):")
        out.print("  " + shlex.join(words))
        out.print("Serving; press Ctrl-C to stop.")
        sys.stdout.flush()
        while not stop.wait(timeout=STOP_POLL_S):  # a wait without timeout misses signals
            pass
    out.print()  # leave the prompt on a fresh line
