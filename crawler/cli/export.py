"""`reprint export`: stories for other tools."""

from __future__ import annotations

import sys

import click

from archive.export import FORMATS
from crawler.cli.common import DATE, POSITIVE_INT, FilePath, _open, db_option
from crawler.cli.errors import CommandError
from crawler.cli.output import plain


@click.command(name="export")
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
@click.option("--since", type=DATE, help="Only stories published on/after this date.")
@click.option("--site", metavar="HOST", help="Only stories whose original is on this host.")
@click.option("--query", help="Only stories matching this search (FTS5 syntax).")
@click.option(
    "--after",
    metavar="CURSOR",
    help="Only what changed since the export that printed this cursor (deletions included).",
)
@click.option("--limit", type=POSITIVE_INT, help="At most this many stories.")
@click.option(
    "--out",
    default="-",
    show_default=True,
    type=FilePath(dir_okay=False, allow_dash=True),
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
    from archive.export import Selection, export, export_to_file

    selection = Selection(since=since, site=site, query=query, after=after, limit=limit)
    db = _open(db_path)
    try:
        if out == "-":
            stream = sys.stdout.buffer
            if fmt in ("parquet", "warc") and stream.isatty():
                raise CommandError(
                    f"not writing binary {fmt} to a terminal: give --out FILE or pipe it"
                )
            try:
                result = export(db, fmt, stream, selection)
            except BrokenPipeError:  # `| head`: the reader has all it wants
                sys.stderr.close()
                sys.exit(0)
        else:
            result = export_to_file(db, fmt, out, selection)
    finally:
        db.close()
    unit = "responses" if fmt == "warc" else "stories"
    click.echo(f"exported {result.records} {unit} as {fmt} to {plain(out)}", err=True)
    click.echo(f"cursor: {result.cursor}", err=True)
