"""`reprint export`: stories for other tools."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import click

from archive.export import FORMATS
from crawler.cli.common import DATE, POSITIVE_INT, FilePath, _open, db_option
from crawler.cli.errors import CommandError
from crawler.cli.output import plain

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
    :raises CommandError: the target is not a regular file (exit status 1, as
        every other file the export cannot write)
    """
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(mode), "a special file")
        raise CommandError(
            f"cannot write {target}: it is {kind}, not a regular file; not replacing it"
        )


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
    from archive.export import Selection, export

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
                raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from exc
            finally:
                partial.unlink(missing_ok=True)
    finally:
        db.close()
    unit = "responses" if fmt == "warc" else "stories"
    click.echo(f"exported {result.records} {unit} as {fmt} to {plain(out)}", err=True)
    click.echo(f"cursor: {result.cursor}", err=True)
