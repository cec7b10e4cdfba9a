"""The `reprint` command: thin click commands over archive/ (and crawler/run for crawls).

Scrapy is imported only by `crawl` and `demo`, so `search`, `show` and `stats` start fast.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from archive.db import open_archive
from archive.errors import ArchiveError
from archive.export import FORMATS
from archive.lock import crawl_lock
from archive.read import ArticleNotFound, archive_totals, get_article, most_copied
from archive.search import HIGHLIGHT_END, HIGHLIGHT_START, search
from archive.settings import SEARCH_DEFAULT_LIMIT, SERVE_DEFAULT_PORT
from crawler.crawlstats import FIGURES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlite_utils import Database

    from crawler.run import SpiderOutcome
    from crawler.sources import Source

# Exit codes (click itself uses 2 for usage errors)
EXIT_OK = 0
EXIT_CRAWL_FAILED = 1  # a spider stopped before finishing (crash, shutdown, interrupted)
EXIT_ARCHIVE_ERROR = 3  # the archive could not be opened or written (locked, missing)
EXIT_NOTHING_FETCHED = 4  # every source failed: nothing could be downloaded
# stats that count pages fetched but not stored (crawler/pipelines.py ArchivePipeline)
STORAGE_FAILURE_STATS = ("reprint/errors/archive_write", "reprint/errors/store")

DEFAULT_DB = "archive.db"
DEMO_DB = "demo.db"
DEMO_HOST = "127.0.0.1"

# soft_wrap: lines piped to other tools are not cut at 80 columns
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _open(db_path: str, readonly: bool = True):
    try:
        return open_archive(db_path, readonly=readonly)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


def db_option(default: str = DEFAULT_DB) -> Any:
    return click.option(
        "--db",
        "db_path",
        default=default,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The archive (SQLite file).",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reprint")
def cli() -> None:
    """reprint: crawl syndicated entertainment news and keep one clean copy of each story,
    with every place it was seen, in a searchable SQLite archive."""


@cli.command()
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


def _highlight(snippet: str) -> Text:
    text = Text()
    rest = snippet
    while HIGHLIGHT_START in rest:
        before, _, after = rest.partition(HIGHLIGHT_START)
        match, _, rest = after.partition(HIGHLIGHT_END)
        text.append(before.replace("\n", " "))
        text.append(match, style="bold yellow")
    text.append(rest.replace("\n", " "))
    return text


@cli.command(name="search")
@click.argument("query")
@db_option()
@click.option("--limit", default=SEARCH_DEFAULT_LIMIT, show_default=True, type=click.IntRange(1))
@click.option("--site", help="Only articles from this site (host, e.g. glossmag.example).")
@click.option("--since", help="Only articles published on/after this ISO date.")
@click.option("--literal", is_flag=True, help="Search the words as typed (no FTS5 operators).")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
def search_command(
    query: str,
    db_path: str,
    limit: int,
    site: str | None,
    since: str | None,
    literal: bool,
    as_json: bool,
) -> None:
    """Full-text search of the articles (FTS5 syntax: words, "phrases", OR, NOT, prefix*)."""
    db = _open(db_path)
    try:
        hits = search(db, query, limit=limit, site=site, since=since, literal=literal)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        out.print(f"no articles match {query!r}")
        return
    for hit in hits:
        out.print(
            Text.assemble(
                (f"[{hit.id}] ", "dim"),
                (hit.title or "(untitled)", "bold"),
                f"  {hit.site} · {hit.published or '?'} · "
                f"{hit.copies} cop{'y' if hit.copies == 1 else 'ies'}",
            )
        )
        out.print(_highlight(hit.snippet))
        out.print()


@cli.command()
@click.argument("article_id", type=int)
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
@click.option("--no-text", is_flag=True, help="Omit the article text.")
def show(article_id: int, db_path: str, as_json: bool, no_text: bool) -> None:
    """Show one article with every copy of it (the representative first)."""
    db = _open(db_path)
    try:
        article = get_article(db, article_id)
    except ArticleNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()
    if no_text:
        article.pop("text")
    if as_json:
        click.echo(json.dumps(article, ensure_ascii=False, indent=2))
        return
    out.print(Text(article["title"] or "(untitled)", style="bold"))
    for label in ("author", "published", "site", "canonical_url", "language", "image"):
        if article.get(label):
            out.print(f"{label}: {article[label]}")
    if article["tags"]:
        out.print("tags: " + ", ".join(article["tags"]))
    out.print(f"words: {article['word_count']}  copies: {article['copies']}")
    if not no_text:
        out.print()
        out.print(article["text"])
    out.print()
    out.print(Text(f"copies ({len(article['pages'])}, * the representative):", style="bold"))
    for page in article["pages"]:
        mark = "*" if page["id"] == article["representative_page_id"] else " "
        out.print(
            Text.assemble(
                f"{mark} [{page['id']}] ",
                (page["site_name"] or page["site"], "bold"),
                f"  {page['title'] or ''}  (similarity {page['similarity'] or 0:.2f})",
            )
        )
        out.print(f"    {page['url']}")


@cli.command()
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Print the totals as JSON.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE.svg",
    help="Also draw articles per day per site and syndication fan-out to this SVG file.",
)
def stats(db_path: str, as_json: bool, plot: str | None) -> None:
    """Totals of the archive: articles, copies, sites, storage, recent crawls."""
    db = _open(db_path)
    if plot:
        from archive.charts import chart_data, render_svg

        Path(plot).write_text(render_svg(chart_data(db)), encoding="utf-8")
    totals = archive_totals(db)
    top = most_copied(db, limit=5)
    db.close()
    if as_json:
        click.echo(json.dumps({**totals, "most_copied": top}, indent=2))
        return
    out.print(f"articles: {totals['articles']} ({totals['syndicated_articles']} syndicated)")
    out.print(f"pages: {totals['pages']} on {totals['sites']} sites")
    ratio = totals["raw_bytes"] / max(totals["raw_compressed_bytes"], 1)
    out.print(
        f"raw HTML: {totals['raw_bodies']} bodies, {totals['raw_bytes']:,} bytes "
        f"stored in {totals['raw_compressed_bytes']:,} ({ratio:.1f}x)"
    )
    sites = Table(title="pages per site", title_justify="left")
    sites.add_column("site")
    sites.add_column("pages", justify="right")
    for name, count in totals["pages_per_site"].items():
        sites.add_row(name, str(count))
    out.print(sites)
    copied = Table(title="most copied stories", title_justify="left")
    for column in ("id", "copies", "title"):
        copied.add_column(column)
    for row in top:
        copied.add_row(str(row["id"]), str(row["copies"]), row["title"] or "")
    out.print(copied)
    crawls = Table(title="recent crawls", title_justify="left")
    for column in ("id", "spider", "started", "finished", "status"):
        crawls.add_column(column)
    for row in totals["recent_crawls"]:
        crawls.add_row(
            *(str(row[c] or "") for c in ("id", "spider", "started", "finished", "status"))
        )
    out.print(crawls)
    if plot:
        out.print(f"charts: {plot}")


@cli.command()
@click.option(
    "--every",
    "interval",
    required=True,
    metavar="INTERVAL",
    help="How often: 15m, 30m, 1h, 2h30m...",
)
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False),
    help="Sources file for the scheduled crawls (default: sources.toml).",
)
@db_option()
@click.option(
    "--format", "fmt", type=click.Choice(["systemd", "cron"]), default="systemd", show_default=True
)
@click.option(
    "--install",
    is_flag=True,
    help="Write the systemd units to ~/.config/systemd/user (or --unit-dir).",
)
@click.option(
    "--unit-dir",
    type=click.Path(file_okay=False),
    help="Where --install writes the units (e.g. /etc/systemd/system).",
)
def schedule(
    interval: str,
    sources_path: str | None,
    db_path: str,
    fmt: str,
    install: bool,
    unit_dir: str | None,
) -> None:
    """Print (or install) a systemd timer or a cron line running `reprint crawl` regularly.

    Runs never overlap: the timer counts from the end of the last run, and a crawl that
    finds another one running on the archive exits with status 3.
    """
    import shutil

    from crawler.schedule import CrawlJob, ScheduleError, cron_line, parse_interval, systemd_units

    try:
        seconds = parse_interval(interval)
    except ScheduleError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    workdir = Path.cwd()
    executable = shutil.which("reprint") or str(Path(sys.executable).parent / "reprint")
    command = [executable, "crawl", "--db", str((workdir / db_path).resolve()), "--no-progress"]
    if sources_path:
        command += ["--sources", str((workdir / sources_path).resolve())]
    job = CrawlJob(workdir=workdir, command=command)
    if fmt == "cron":
        try:
            click.echo(cron_line(job, seconds))
        except ScheduleError as exc:
            raise click.ClickException(str(exc)) from exc
        return
    units = systemd_units(job, seconds)
    if not install:
        for name, text in units.items():
            click.echo(f"# {name}\n{text}")
        return
    target = Path(unit_dir) if unit_dir else Path.home() / ".config" / "systemd" / "user"
    target.mkdir(parents=True, exist_ok=True)
    for name, text in units.items():
        (target / name).write_text(text)
        click.echo(f"wrote {target / name}")
    user = "" if unit_dir else " --user"
    click.echo(
        f"now run: systemctl{user} daemon-reload && "
        f"systemctl{user} enable --now reprint-crawl.timer"
    )


@cli.command()
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
        f"{summary.copies} copies, {summary.unreadable} unreadable and "
        f"{summary.unstorable} unstorable (kept in Redis)"
    )


@contextmanager
def _maintenance(
    db_path: str, *, quiet: bool
) -> Iterator[tuple[Database, Callable[[str, int, int], None]]]:
    """The archive opened for writing under the crawl lock, with a progress reporter
    ``(phase, done, total)`` drawing bars on stderr; archive errors exit with status 3."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    try:
        with crawl_lock(db_path):
            db = _open(db_path, readonly=False)
            try:
                with Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=err,
                    transient=True,
                    disable=quiet,
                ) as bar:
                    tasks: dict[str, Any] = {}

                    def progress(phase: str, done: int, total: int) -> None:
                        if phase not in tasks:
                            tasks[phase] = bar.add_task(phase, total=total)
                        bar.update(tasks[phase], completed=done, total=total)

                    yield db, progress
            finally:
                db.close()
    except ArchiveError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_ARCHIVE_ERROR)


@cli.command()
@db_option()
@click.option("--site", help="Only pages of this site (host, as in pages.site).")
@click.option(
    "--no-relearn",
    is_flag=True,
    help="Use the boilerplate lines learned so far instead of learning them again.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def reextract(db_path: str, site: str | None, no_relearn: bool, as_json: bool) -> None:
    """Extract and clean every stored page again from its raw HTML, updating pages,
    articles and their clustering in place (after the extractor improved)."""
    from archive.reextract import reextract as reextract_archive

    # a crawl and a re-extraction must not interleave
    with _maintenance(db_path, quiet=as_json) as (db, progress):
        summary = reextract_archive(db, site=site, progress=progress, relearn=not no_relearn)
    data = summary.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out.print(
        f"re-extracted {data['pages']} pages in {data['seconds']:.1f} s: "
        f"{data['text_changed']} texts changed, {data['metadata_changed']} metadata "
        f"changed, {data['unchanged']} unchanged, {data['moved']} moved to another article"
    )
    out.print(
        f"articles: {data['articles_before']} -> {data['articles_after']}; "
        f"words: {data['words_before']} -> {data['words_after']}"
    )
    if data["removed"]:
        out.print(
            "boilerplate removed: "
            + ", ".join(f"{kind} {count}" for kind, count in sorted(data["removed"].items()))
        )
    for failure in data["failed"]:
        out.print(f"[yellow]kept as stored[/]: {failure}")


@cli.command()
@db_option()
@click.option(
    "--rebuild",
    is_flag=True,
    required=True,
    help="Recompute the near-duplicate index and every article's copies.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def dedupe(db_path: str, rebuild: bool, as_json: bool) -> None:
    """Cluster the stored pages into articles again from their clean texts (after the
    dedup parameters changed, or to check the archive)."""
    from dataclasses import asdict

    from archive.dedup import rebuild_clusters

    with _maintenance(db_path, quiet=as_json) as (db, progress):  # no crawl clusters meanwhile
        summary = rebuild_clusters(db, lambda done, total: progress("reclustering", done, total))
    data = asdict(summary)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    out.print(
        f"reclustered {data['pages']} pages in {data['seconds']:.1f} s: articles "
        f"{data['articles_before']} -> {data['articles_after']}, "
        f"{data['pages_moved']} pages moved"
    )


# Exit codes of `reprint extract`
EXIT_NO_ARTICLE = 1
EXIT_UNREADABLE = 2
_GZIP_MAGIC = b"\x1f\x8b"


def _read_input(
    source: BinaryIO | None, url: str | None, allow_host: tuple[str, ...] = ()
) -> tuple[bytes, str | None, str | None]:
    """The document to extract: (body, content type, URL), from a file, stdin or --url.

    :param source: the file given, or None for stdin / --url
    :param url: --url: fetched when no file is given
    :param allow_host: --allow-host: hosts the fetch may reach though not public
    """
    from crawler.fetch_one import BadURL, FetchError, RefusedHost, fetch_page

    if source is None and url:
        try:
            fetched = fetch_page(url, allowed=allow_host)
        except BadURL as exc:
            _fail(EXIT_UNREADABLE, f"bad URL {exc}")
        except RefusedHost as exc:
            _fail(EXIT_UNREADABLE, f"refused {exc}")
        except FetchError as exc:
            _fail(EXIT_UNREADABLE, f"cannot fetch {exc}")
        return fetched.body, fetched.content_type, fetched.url
    name = getattr(source, "name", "stdin")
    try:
        body = (source or sys.stdin.buffer).read()
    except OSError as exc:
        _fail(EXIT_UNREADABLE, f"cannot read {name}: {exc.strerror or exc}")
    if body.startswith(_GZIP_MAGIC):
        import gzip
        import zlib

        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            _fail(EXIT_UNREADABLE, f"cannot read {name}: bad gzip data ({exc})")
    return body, None, url


def _learned_lines(
    archive_path: str, url: str | None, body: bytes, content_type: str | None
) -> frozenset[str]:
    """The boilerplate an archive learned for the page's site: the site of --url, else of
    the page's own canonical URL (found by a first extraction)."""
    from archive.errors import ExtractionError
    from archive.extract import extract_article
    from archive.sitelearn import learned_lines
    from archive.urls import site_of

    db = _open(archive_path)
    try:
        site = site_of(url) if url else None
        if site is None:
            try:
                canonical = extract_article(body, None, content_type=content_type).canonical_url
            except ExtractionError:
                return frozenset()  # the real extraction below reports it
            site = site_of(canonical) if canonical else None
        return learned_lines(db, site) if site else frozenset()
    finally:
        db.close()


def _fail(code: int, message: str) -> NoReturn:
    click.echo(f"reprint extract: {message}", err=True)
    sys.exit(code)


@cli.command()
@click.argument("source", required=False, metavar="[FILE|-]", type=click.File("rb"))
@click.option("--url", help="The page's address (site, links, canonical); alone: fetch it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Clean text, or one JSON object with all metadata.",
)
@click.option(
    "--site-context",
    "site_context",
    type=click.Path(dir_okay=False),
    help="An archive whose learned boilerplate of the page's site applies too.",
)
@click.option(
    "--allow-host",
    multiple=True,
    metavar="HOST",
    help="With --url: allow fetching from this loopback/private host (refused by default).",
)
def extract(
    source: BinaryIO | None,
    url: str | None,
    fmt: str,
    site_context: str | None,
    allow_host: tuple[str, ...],
) -> None:
    """Extract the clean article text and metadata of one HTML page, exactly as crawls do.

    Reads FILE, or standard input ("-" or no FILE), gzip accepted, any encoding; with
    --url and no FILE, fetches that page under the crawl's network policy: http(s) only,
    no loopback/private/link-local address (on any redirect hop either) unless allowed
    with --allow-host, DOWNLOAD_TIMEOUT seconds for the whole fetch, no proxy.
    Exit status: 0 article printed, 1 the page has no article, 2 the input could not be
    read or is not HTML (a malformed, refused or unfetchable URL included).
    """
    from archive.errors import NoArticleText, NotHtml
    from archive.extract import extract_article

    if source is None and url is None and sys.stdin.isatty():
        raise click.UsageError("give a FILE, - for standard input, or --url")
    body, content_type, page_url = _read_input(source, url, allow_host)
    learned: frozenset[str] = frozenset()
    if site_context:
        learned = _learned_lines(site_context, page_url, body, content_type)
    try:
        extracted = extract_article(
            body, page_url, content_type=content_type, site_boilerplate=learned
        )
    except NotHtml as exc:
        _fail(EXIT_UNREADABLE, str(exc))
    except NoArticleText as exc:
        _fail(EXIT_NO_ARTICLE, str(exc))
    if fmt == "json":
        click.echo(extracted.to_json())
    else:
        click.echo(extracted.text)


@cli.command()
@db_option(DEMO_DB)
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


def _iso_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected an ISO date such as 2025-06-01, got {value!r}") from exc
    return value


@cli.command(name="serve")
@db_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=SERVE_DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port; the address is printed).",
)
@click.option(
    "--immutable",
    is_flag=True,
    help="The archive will not change while served (no crawl running): faster counts.",
)
def serve_command(db_path: str, host: str, port: int, immutable: bool) -> None:
    """Browse, search and query the archive in datasette, read-only, with the Atom feed
    of stories (/-/reprint/feed.atom) and charts (/-/reprint/stats)."""
    from archive.web.server import AddressUnavailable, serve

    _open(db_path).close()  # a missing or unreadable archive is an error, not an empty site

    def ready(url: str) -> None:
        click.echo(f"Serving {db_path} (read-only) at {url}", err=False)
        sys.stdout.flush()

    try:
        serve(Path(db_path), host=host, port=port, immutable=immutable, ready=ready)
    except AddressUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


# What a file type is called in the refusal; anything else that is not a regular file
# is "a special file".
_FILE_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def _refuse_special_target(target: Path) -> None:
    """Refuse an export file name that exists and is not a regular file.

    The export is renamed over its target when complete: over a device (``/dev/null`` as
    root), a FIFO, a socket or a symbolic link that would replace the node itself (or the
    link rather than the file it names), never what the user meant. lstat, so a link is
    seen as a link, whatever it points to.

    :param target: the ``--out`` path
    :raises click.ClickException: the target is not a regular file (exit status 1, as
        every other file the export cannot write)
    """
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(mode), "a special file")
        raise click.ClickException(
            f"cannot write {target}: it is {kind}, not a regular file; not replacing it"
        )


@cli.command(name="export")
@db_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl/csv/parquet: one record per story; warc: every stored response; "
    "atom: a feed with one entry per story.",
)
@click.option("--since", callback=_iso_date, help="Only stories published on/after this date.")
@click.option("--site", help="Only stories whose original is on this host.")
@click.option("--query", help="Only stories matching this search (FTS5 syntax).")
@click.option(
    "--after",
    metavar="CURSOR",
    help="Only what changed since the export that printed this cursor (deletions included).",
)
@click.option("--limit", type=click.IntRange(1), help="At most this many stories.")
@click.option(
    "--out",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Output file; - for standard output.",
)
def export_command(
    db_path: str,
    fmt: str,
    since: str | None,
    site: str | None,
    query: str | None,
    after: str | None,
    limit: int | None,
    out: str,
) -> None:
    """Export stories for other tools, streaming. Prints the cursor for --after on stderr.

    Records (jsonl, csv, parquet) follow the schema in the README ("Exporting"); a file is
    written under a temporary name and renamed when complete.
    """
    from archive.export import Selection, export

    selection = Selection(since=since, site=site, query=query, after=after, limit=limit)
    db = _open(db_path)
    try:
        if out == "-":
            stream = sys.stdout.buffer
            if fmt in ("parquet", "warc") and stream.isatty():
                raise click.ClickException(
                    f"not writing binary {fmt} to a terminal: give --out FILE or pipe it"
                )
            try:
                result = export(db, fmt, stream, selection)
            except BrokenPipeError:  # `| head`: the reader has all it wants
                sys.stderr.close()
                sys.exit(0)
        else:
            target = Path(out)
            partial = target.with_name(f".{target.name}.partial")
            _refuse_special_target(target)  # before a byte is written
            try:
                # a fresh file of our own: a stale partial left where the export goes
                # (a link, a FIFO) is removed rather than written through
                partial.unlink(missing_ok=True)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                with os.fdopen(os.open(partial, flags, 0o666), "wb") as stream:
                    result = export(db, fmt, stream, selection)
                _refuse_special_target(target)  # it may have changed during a long export
                partial.replace(target)
            except OSError as exc:
                raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from exc
            finally:
                partial.unlink(missing_ok=True)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()
    unit = "responses" if fmt == "warc" else "stories"
    click.echo(f"exported {result.records} {unit} as {fmt} to {out}", err=True)
    click.echo(f"cursor: {result.cursor}", err=True)


def main() -> None:
    """Entry point for `python -m crawler.cli`."""
    logging.captureWarnings(True)
    cli()


if __name__ == "__main__":
    main()
