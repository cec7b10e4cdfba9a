"""`reprint crawl` and `reprint write`: run the spiders, print what they did."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from archive.db import open_archive
from archive.errors import ArchiveError
from archive.lock import crawl_lock
from archive.read import archive_totals
from crawler.cli.common import (
    EXIT_ARCHIVE_ERROR,
    EXIT_CRAWL_FAILED,
    EXIT_NOTHING_FETCHED,
    EXIT_OK,
    STORAGE_FAILURE_STATS,
    _open,
    db_option,
    err,
    out,
)
from crawler.crawlstats import FIGURES

if TYPE_CHECKING:
    from crawler.run import SpiderOutcome
    from crawler.sources import Source


@click.command()
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False),
    help="Sources file (default: sources.toml, unless ad-hoc sources are given).",
)
@click.option("--feed", multiple=True, help="Crawl this RSS/Atom feed (repeatable).")
@click.option("--sitemap", multiple=True, help="Crawl this sitemap or robots.txt (repeatable).")
@click.option("--site", multiple=True, help="Crawl this site from this page (repeatable).")
@click.option(
    "--allow-host",
    multiple=True,
    metavar="HOST",
    help="Allow requests to this loopback/private host (refused by default).",
)
@db_option()
@click.option("--since", help="Sitemaps: only pages dated on/after this ISO date.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Fetch archived pages again (conditionally: If-None-Match/-Modified-Since).",
)
@click.option("--wait", is_flag=True, help="If another crawl holds the archive, wait for it.")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Be a worker of a distributed crawl: share the queue in Redis and push "
    "pages there for `reprint write` (redis://host:6379/0, unix:///path).",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy/reprint setting (repeatable).",
)
@click.option(
    "--stats-json",
    type=click.Path(dir_okay=False),
    help="Write each spider's final stats to this JSON file.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO).")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress table (default: when stderr is a terminal).",
)
def crawl(
    sources_path: str | None,
    feed: tuple[str, ...],
    sitemap: tuple[str, ...],
    site: tuple[str, ...],
    allow_host: tuple[str, ...],
    db_path: str,
    since: str | None,
    refresh: bool,
    wait: bool,
    redis_url: str | None,
    settings: tuple[str, ...],
    stats_json: str | None,
    verbose: bool,
    progress: bool | None,
) -> None:
    """Crawl the configured sources into the archive.

    Exit status: 0 done, 1 a spider did not finish, 3 archive error (including any
    fetched page that could not be stored), 4 nothing could be fetched.
    """
    from crawler.sources import SourcesError, adhoc_sources, load_sources

    try:
        chosen = adhoc_sources(feed, sitemap, site)
        if sources_path or not chosen:
            chosen = load_sources(sources_path or "sources.toml") + chosen
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    overrides = _parse_settings(settings)
    if redis_url:
        from crawler.distributed import redis_settings

        _check_redis(redis_url)
        overrides = {**redis_settings(redis_url), **overrides}
    if allow_host:
        overrides["REPRINT_ALLOW_HOSTS"] = [*_allowed_in(overrides), *allow_host]
    outcomes = _run(
        chosen,
        db_path,
        overrides,
        since=since,
        verbose=verbose,
        progress=progress,
        stats_json=stats_json,
        wait=wait,
        refresh=refresh,
    )
    sys.exit(_exit_code(outcomes, distributed=bool(redis_url)))


def _check_redis(url: str) -> None:
    """Fail with a clear message when the Redis of a distributed crawl is unreachable."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {url}: {exc}") from exc
    finally:
        client.close()


def _allowed_in(overrides: dict[str, Any]) -> list[str]:
    given = overrides.get("REPRINT_ALLOW_HOSTS", "")
    return [h for h in given.split(",") if h] if isinstance(given, str) else list(given)


def _parse_settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--set")
        overrides[name.strip()] = value
    return overrides


def _run(
    sources: list[Source],
    db_path: str,
    overrides: dict[str, Any],
    *,
    since: str | None,
    verbose: bool,
    progress: bool | None,
    stats_json: str | None,
    wait: bool = False,
    refresh: bool = False,
) -> list[SpiderOutcome]:
    from crawler.run import run_crawl

    if not sources:
        raise click.ClickException(
            "no sources to crawl: give --feed/--sitemap/--site or a "
            "sources file with [[source]] entries"
        )
    lock = ExitStack()
    distributed = bool(overrides.get("REPRINT_REDIS_URL"))
    try:  # fail early and clearly on an unusable or busy archive, before any fetching
        if not distributed:  # workers of a distributed crawl write to Redis, not here
            on_wait = lambda message: err.print(message + "…")  # noqa: E731
            lock.enter_context(crawl_lock(db_path, wait=wait, on_wait=on_wait))
            open_archive(db_path).close()
    except ArchiveError as exc:
        lock.close()
        err.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_ARCHIVE_ERROR)
    settings = {
        "ARCHIVE_PATH": str(db_path),
        "LOG_LEVEL": "INFO" if verbose else "WARNING",
        "REPRINT_PROGRESS": sys.stderr.isatty() if progress is None else progress,
        "REPRINT_REFRESH": refresh,
        **overrides,
    }
    with lock:
        outcomes = run_crawl(sources, settings, since=since)
    if stats_json:
        Path(stats_json).write_text(
            json.dumps(
                {o.spider: {**o.stats, "finish_reason": o.reason} for o in outcomes},
                default=str,
                indent=2,
            )
        )
    _print_summary(outcomes, None if distributed else db_path)
    return outcomes


def _exit_code(outcomes: list[SpiderOutcome], *, distributed: bool = False) -> int:
    # a page fetched but not stored is the one failure an archiver must never hide
    if any(o.stats.get(key) for o in outcomes for key in STORAGE_FAILURE_STATS):
        return EXIT_ARCHIVE_ERROR
    if any(not o.finished for o in outcomes):
        return EXIT_CRAWL_FAILED
    # a worker of a distributed crawl may find every request taken by other workers:
    # fetching nothing is then no fault
    if (
        outcomes
        and not distributed
        and all(o.stats.get("downloader/response_count", 0) == 0 for o in outcomes)
    ):
        return EXIT_NOTHING_FETCHED
    return EXIT_OK


def _print_summary(outcomes: list[SpiderOutcome], db_path: str | None) -> None:
    table = Table(title="crawl summary", title_justify="left")
    table.add_column("")
    for o in outcomes:
        table.add_column(o.spider, justify="right")
    table.add_row("finish", *(o.reason for o in outcomes))
    for figure in FIGURES:
        table.add_row(figure.label, *(str(figure.read(o.stats)) for o in outcomes))
    out.print(table)
    problems: dict[str, int] = {}
    for o in outcomes:
        for key, value in o.stats.items():
            if key.startswith(("reprint/errors/", "reprint/skipped/")) and isinstance(value, int):
                problems[key.removeprefix("reprint/")] = problems.get(key, 0) + value
    if problems:
        out.print("problems: " + ", ".join(f"{k} {v}" for k, v in sorted(problems.items())))
    lost = sum(o.stats.get(key, 0) for o in outcomes for key in STORAGE_FAILURE_STATS)
    if lost:
        err.print(
            f"[red]error:[/] {lost} fetched page(s) were NOT stored (the archive refused the "
            "writes, see the log); the next crawl fetches them again"
        )
    if db_path is None:
        queued = sum(o.stats.get("reprint/pages_queued", 0) for o in outcomes)
        out.print(f"{queued} pages queued in Redis for `reprint write`")
        return
    db = _open(db_path)
    totals = archive_totals(db)
    db.close()
    out.print(
        f"archive {db_path}: {totals['articles']} articles "
        f"({totals['syndicated_articles']} seen in more than one place) from "
        f"{totals['pages']} pages on {totals['sites']} sites"
    )


@click.command()
@click.option(
    "--redis",
    "redis_url",
    required=True,
    metavar="URL",
    help="The Redis the crawl workers push pages to.",
)
@db_option()
@click.option("--until-empty", is_flag=True, help="Stop when the queue is empty.")
def write(redis_url: str, db_path: str, until_empty: bool) -> None:
    """Store the pages that distributed crawl workers (`reprint crawl --redis`) queued.

    Run one writer per archive, on the archive's machine; it waits for pages until
    stopped (Ctrl-C, SIGTERM), or with --until-empty until the queue is drained.
    """
    import redis

    from crawler.redis_writer import write_from_redis

    _check_redis(redis_url)
    server = redis.Redis.from_url(redis_url)

    def report(summary: Any) -> None:
        err.print(
            f"stored {summary.pages} pages ({summary.new_articles} new articles, "
            f"{summary.copies} copies)"
        )

    try:
        summary = write_from_redis(server, db_path, until_empty=until_empty, on_batch=report)
    except ArchiveError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_ARCHIVE_ERROR)
    except KeyboardInterrupt:
        err.print("stopped")
        return
    finally:
        server.close()
    out.print(
        f"stored {summary.pages} pages: {summary.new_articles} new articles, "
        f"{summary.copies} copies, {summary.unreadable} unreadable (kept in Redis)"
    )
