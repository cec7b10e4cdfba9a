"""`reprint reextract` and `dedupe`: rework the archive in place under the crawl lock."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from archive.lock import open_writer
from crawler.cli.common import _open, db_option, err, out
from crawler.cli.output import json_text, plain

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlite_utils import Database


@contextmanager
def _maintenance(
    db_path: str, *, quiet: bool
) -> Iterator[tuple[Database, Callable[[str, int, int], None]]]:
    """The archive opened for writing under the crawl lock, with a progress reporter
    ``(phase, done, total)`` drawing bars on stderr. The archive must exist (--db is
    checked): a mistyped name is an error, not a new empty archive."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # an archive, not a mistyped name (writable opening and the lock file would create
    # one) nor an empty or foreign file
    _open(db_path).close()
    with (
        open_writer(db_path) as db,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=quiet,
        ) as bar,
    ):
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield db, progress


@click.command()
@db_option()
@click.option("--site", metavar="HOST", help="Only pages of this site (host, as in pages.site).")
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
        click.echo(json_text(data))
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
        out.print(Text.assemble(("kept as stored", "yellow"), ": ", plain(failure)))


@click.command()
@db_option()
# what the command does anyway; accepted so that older scripts keep working
@click.option("--rebuild", is_flag=True, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def dedupe(db_path: str, rebuild: bool, as_json: bool) -> None:
    """Cluster the stored pages into articles again from their clean texts (after the
    dedup parameters changed, or to check the archive): the near-duplicate index and
    every article's copies are recomputed."""
    from dataclasses import asdict

    from archive.dedup import rebuild_clusters

    with _maintenance(db_path, quiet=as_json) as (db, progress):  # no crawl clusters meanwhile
        summary = rebuild_clusters(db, lambda done, total: progress("reclustering", done, total))
    data = asdict(summary)
    if as_json:
        click.echo(json_text(data))
        return
    out.print(
        f"reclustered {data['pages']} pages in {data['seconds']:.1f} s: articles "
        f"{data['articles_before']} -> {data['articles_after']}, "
        f"{data['pages_moved']} pages moved"
    )
