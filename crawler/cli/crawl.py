"""`reprint crawl` and `reprint write`: run the spiders, print what they did."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from archive.db import open_archive
from archive.lock import crawl_lock
from archive.read import archive_totals
from archive.urls import site_of
from crawler.cli.common import (
    DATE,
    POSITIVE_INT,
    STORAGE_FAILURE_STATS,
    FilePath,
    _open,
    db_option,
    err,
    out,
)
from crawler.cli.errors import CommandError, Exit
from crawler.cli.output import error_line, plain
from crawler.crawlstats import figures_table, problem_counts
from crawler.errors import ConfigError
from crawler.sources import SOURCE_KINDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.run import SpiderOutcome
    from crawler.sources import Source

INTERRUPT_MESSAGE = (
    "stopping after the pages in flight; Ctrl-C again to stop now; the next run resumes"
)
STOP_NOW_MESSAGE = "stopping now; the next run resumes"


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One repeatable URL option per kind of source (crawler.sources.SOURCE_KINDS), each
    passed to the command under the kind's name."""
    for kind in reversed(SOURCE_KINDS):
        command = click.option(
            kind.option, kind.name, multiple=True, metavar="URL", help=kind.help
        )(command)
    return command


@click.command()
@click.option(
    "--sources",
    "sources_path",
    type=FilePath(dir_okay=False),
    help="Sources file (default: sources.toml, unless ad-hoc sources are given).",
)
@source_options
@click.option(
    "--site",
    "site_filter",
    multiple=True,
    metavar="HOST",
    help="Only the sources on this site (host, e.g. glossmag.example; repeatable).",
)
@click.option(
    "--allow-host",
    multiple=True,
    metavar="HOST",
    help="Allow requests to this loopback/private host (refused by default).",
)
@db_option(existing=False)
@click.option("--since", type=DATE, help="Sitemaps: only pages dated on/after this date.")
@click.option(
    "--limit",
    type=POSITIVE_INT,
    help="Stop once this many new articles are stored (to try a source cheaply).",
)
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
    type=FilePath(dir_okay=False),
    help="Write each spider's final stats to this JSON file.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO), with error tracebacks."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress table (default: when stderr is a terminal).",
)
def crawl(
    sources_path: str | None,
    site_filter: tuple[str, ...],
    allow_host: tuple[str, ...],
    db_path: str,
    since: str | None,
    limit: int | None,
    refresh: bool,
    wait: bool,
    redis_url: str | None,
    settings: tuple[str, ...],
    stats_json: str | None,
    verbose: bool,
    progress: bool | None,
    **urls_by_kind: tuple[str, ...],
) -> None:
    """Crawl the configured sources into the archive.

    Prints a live table while it runs (elapsed time, pages/s, queue, sources read and
    failed), then a summary with one line per failed source. Ctrl-C stops after the
    pages in flight, a second Ctrl-C at once; the next run resumes. Exit status (see the
    README): 0 done, 3 archive error (any fetched page not stored included), 4 nothing
    could be fetched, 5 a source failed, 6 a spider did not finish, 130 interrupted.
    """
    from crawler.extractpool import warm_up
    from crawler.sources import adhoc_sources, load_sources

    warm_up()  # the workers' imports run beside the crawl's own start-up
    chosen = adhoc_sources(urls_by_kind)
    if sources_path is not None or not chosen:
        chosen = load_sources("sources.toml" if sources_path is None else sources_path) + chosen
    chosen = _on_sites(chosen, site_filter)
    overrides = _parse_settings(settings)
    if redis_url:
        from crawler.distributed import redis_settings

        _check_redis(redis_url)
        overrides = {**redis_settings(redis_url), **overrides}
    if allow_host:
        overrides["REPRINT_ALLOW_HOSTS"] = [*_allowed_in(overrides), *allow_host]
    if limit:
        overrides["REPRINT_ARTICLE_LIMIT"] = limit
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


def _on_sites(sources: list[Source], sites: tuple[str, ...]) -> list[Source]:
    """The sources on one of ``sites`` (all of them when none is given)."""
    if not sites:
        return sources
    wanted = {site.strip().lower().removeprefix("www.") for site in sites}
    chosen = [s for s in sources if site_of(s.url) in wanted]
    if not chosen:
        raise ConfigError(f"no source on {', '.join(sorted(wanted))}")
    return chosen


def _check_redis(url: str) -> None:
    """Fail with a clear message when the Redis of a distributed crawl is unreachable."""
    import redis

    try:
        client = redis.Redis.from_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--redis") from exc
    try:
        client.ping()
    except redis.RedisError as exc:
        raise CommandError(f"cannot reach Redis at {url}: {exc}") from exc
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
    _check_setting_types(overrides)
    return overrides


_KINDS = {bool: "true or false", int: "a number", float: "a number"}


def _check_setting_types(overrides: dict[str, Any]) -> None:
    """Refuse a --set value that the setting's type cannot read (a number, a flag), here
    in one line rather than as a traceback when Scrapy reads it mid-start."""
    from scrapy.settings import BaseSettings

    from crawler.run import crawl_settings

    defaults = crawl_settings()
    for name, value in overrides.items():
        default = defaults.get(name)
        given = BaseSettings({name: value})
        # a number either way: Scrapy's own defaults are often ints read as floats
        # (DOWNLOAD_DELAY = 0, given as 0.5)
        readers = {bool: given.getbool, int: given.getfloat, float: given.getfloat}
        read = readers.get(type(default))
        if read is None:
            continue
        try:
            read(name)
        except ValueError as exc:
            raise click.BadParameter(
                f"{name} takes {_KINDS[type(default)]}, got {value!r}", param_hint="--set"
            ) from exc


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
    """Run the crawl under the archive's lock and print its summary; the outcome of each
    spider. A Ctrl-C ends the command with status 130."""
    from crawler.extensions import announce, stop_progress
    from crawler.run import run_crawl

    if not sources:
        raise ConfigError(
            "no sources to crawl: give --feed/--sitemap/--crawl-site or a "
            "sources file with [[source]] entries"
        )
    lock = ExitStack()
    distributed = bool(overrides.get("REPRINT_REDIS_URL"))
    try:  # fail early and clearly on an unusable or busy archive, before any fetching
        if not distributed:  # workers of a distributed crawl write to Redis, not here
            on_wait = lambda message: err.print(message + "…")  # noqa: E731
            lock.enter_context(crawl_lock(db_path, wait=wait, on_wait=on_wait))
            open_archive(db_path).close()
    except BaseException:
        lock.close()
        raise
    settings = {
        "ARCHIVE_PATH": str(db_path),
        "LOG_LEVEL": "INFO" if verbose else "WARNING",
        "REPRINT_PROGRESS": sys.stderr.isatty() if progress is None else progress,
        "REPRINT_REFRESH": refresh,
        **overrides,
    }
    interrupts: list[int] = []

    def on_interrupt(count: int) -> None:
        interrupts.append(count)
        announce(INTERRUPT_MESSAGE if count == 1 else STOP_NOW_MESSAGE)

    with lock:
        try:
            outcomes = run_crawl(
                sources, settings, since=since, on_interrupt=on_interrupt, tracebacks=verbose
            )
        finally:
            stop_progress()
    if stats_json:
        Path(stats_json).write_text(
            json.dumps(
                {
                    o.spider: {
                        **o.stats,
                        "finish_reason": o.reason,
                        "source_failures": o.source_failures,
                    }
                    for o in outcomes
                },
                default=str,
                indent=2,
            )
        )
    _print_summary(outcomes, None if distributed else db_path)
    if interrupts:
        sys.exit(Exit.INTERRUPTED)
    return outcomes


def _exit_code(outcomes: list[SpiderOutcome], *, distributed: bool = False) -> int:
    # a page fetched but not stored is the one failure an archiver must never hide
    if any(o.stats.get(key) for o in outcomes for key in STORAGE_FAILURE_STATS):
        return Exit.ARCHIVE
    if any(not o.finished for o in outcomes):
        return Exit.UNFINISHED
    # a worker of a distributed crawl may find every request taken by other workers:
    # fetching nothing is then no fault
    if (
        outcomes
        and not distributed
        and all(o.stats.get("downloader/response_count", 0) == 0 for o in outcomes)
    ):
        return Exit.NOTHING_FETCHED
    if any(failure["dead"] for o in outcomes for failure in o.source_failures):
        return Exit.SOURCE_FAILED
    return Exit.OK


def _print_summary(outcomes: list[SpiderOutcome], db_path: str | None) -> None:
    out.print(
        figures_table(
            "crawl summary",
            [(o.spider, o.stats) for o in outcomes],
            first_rows=[("finish", [o.reason for o in outcomes])],
        )
    )
    problems = problem_counts(o.stats for o in outcomes)
    if problems:
        out.print("problems: " + ", ".join(f"{k} {v}" for k, v in sorted(problems.items())))
    for failure in (failure for o in outcomes for failure in o.source_failures):
        state = "failed" if failure["dead"] else "partly failed"
        err.print(
            Text.assemble(
                (f"{failure['kind']} {state}", "red" if failure["dead"] else "yellow"),
                f": {plain(failure['url'])}: {plain(failure['problem'])}",
            )
        )
    lost = sum(o.stats.get(key, 0) for o in outcomes for key in STORAGE_FAILURE_STATS)
    if lost:
        err.print(
            error_line(
                f"{lost} fetched page(s) were NOT stored (the archive refused the "
                "writes, see the log); the next crawl fetches them again"
            )
        )
    if db_path is None:
        queued = sum(o.stats.get("reprint/pages_queued", 0) for o in outcomes)
        out.print(f"{queued} pages queued in Redis for `reprint write`")
        return
    db = _open(db_path)
    totals = archive_totals(db)
    db.close()
    out.print(
        f"archive {plain(db_path)}: {totals['articles']} articles "
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
@db_option(existing=False)
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
    except KeyboardInterrupt:
        err.print("stopped")
        return
    finally:
        server.close()
    out.print(
        f"stored {summary.pages} pages: {summary.new_articles} new articles, "
        f"{summary.copies} copies, {summary.unreadable} unreadable and "
        f"{summary.unstorable} unstorable (kept in Redis)"
    )
