"""The export formats, one writer module each, and :func:`export`, which runs one.

Every export reads one consistent snapshot (a single read transaction) and streams: rows
go from SQLite to the output in chunks of :data:`~archive.settings.EXPORT_CHUNK_ROWS`,
so memory stays flat however large the archive is.

To add a format: write ``archive/export/NAME.py`` with a ``write(db, selection, upto,
out) -> int`` function and list it in :data:`WRITERS`; the CLI's ``--format`` choices and
the API read this table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from archive.export import atom, csv, jsonl, parquet, warc
from archive.export.selection import Selection, snapshot

if TYPE_CHECKING:
    from sqlite_utils import Database

# A writer: the selected articles of the snapshot ``upto`` to ``out``; returns the count.
Writer = Callable[["Database", Selection, int, BinaryIO], int]

WRITERS: dict[str, Writer] = {
    "jsonl": jsonl.write,
    "csv": csv.write,
    "parquet": parquet.write,
    "warc": warc.write,
    "atom": atom.write,
}
FORMATS = tuple(WRITERS)
SCAN_CACHE_SIZE = -2000  # SQLite's default page cache: 2000 KiB


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote, and the cursor to pass as ``after`` next time."""

    format: str
    records: int
    cursor: str


@contextmanager
def _scan_cache(db: Database) -> Iterator[None]:
    # An export reads each page once: the big page cache of read-only connections
    # (settings.READ_CACHE_KIB, for searches) would only fill up, ~60 MB more per export.
    previous = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {SCAN_CACHE_SIZE}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {previous}")


def export(
    db: Database, fmt: str, out: BinaryIO, selection: Selection | None = None
) -> ExportResult:
    """Write the selected articles to ``out`` in one format; return the count and cursor.

    :param db: the archive (read-only is enough)
    :param fmt: one of :data:`FORMATS`
    :param out: a binary stream (a file, ``sys.stdout.buffer``); need not be seekable
    :param selection: filters (default: every live article)
    :raises ValueError: unknown format
    :raises BadQuery: invalid FTS5 query in the selection
    :raises BadCursor: a cursor this archive did not hand out
    :raises ArchiveOutdated: the archive has no change log yet
    """
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    selection = selection or Selection()
    with _scan_cache(db), snapshot(db) as upto:
        records = WRITERS[fmt](db, selection, upto, out)
    out.flush()
    return ExportResult(format=fmt, records=records, cursor=str(upto))
