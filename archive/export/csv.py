"""CSV (RFC 4180): one export record per line, built by SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from archive.export.records import FIELD_NAMES, FIELDS, Field
from archive.export.selection import Selection, write_lines

if TYPE_CHECKING:
    from sqlite_utils import Database


def _csv_sql(field: Field) -> str:
    if field.kind == "int":
        return f"coalesce(CAST({field.sql} AS TEXT), '')"
    if field.kind == "bool":
        return f"CASE WHEN {field.sql} THEN 'true' ELSE 'false' END"
    # every text field quoted, quotes doubled (RFC 4180); NULL as an empty, unquoted field
    quoted = f"""'"' || replace({field.sql}, '"', '""') || '"'"""
    return f"CASE WHEN ({field.sql}) IS NULL THEN '' ELSE {quoted} END"


# One CSV line per row, built by SQLite: Python's csv module scans every character of
# the text in the interpreter's loop and ran at a third of the speed (bench/scale.py).
CSV_LINE_SQL = " || ',' || ".join(_csv_sql(f) for f in FIELDS)
CSV_HEADER = ",".join(FIELD_NAMES) + "\r\n"


def write(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """RFC 4180 CSV (UTF-8, CRLF) with a header row; tags and places as JSON text,
    booleans true/false, null as an empty field."""
    out.write(CSV_HEADER.encode())
    return write_lines(db, selection, upto, CSV_LINE_SQL, "\r\n", out)
