"""JSON Lines: one export record (archive/export/records.py) per line."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from archive.export.records import JSON_OBJECT_SQL
from archive.export.selection import Selection, write_lines

if TYPE_CHECKING:
    from sqlite_utils import Database


def write(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """One JSON object per line, built by SQLite's json_object (C speed, UTF-8 as is)."""
    return write_lines(db, selection, upto, JSON_OBJECT_SQL, "\n", out)
