"""Exports of the archive for downstream tools: JSONL, CSV, Parquet, WARC and Atom.

- :mod:`archive.export.selection`: which articles (filters, one snapshot, cursors);
- :mod:`archive.export.records`: the record schema, one article with every place it ran;
- :mod:`archive.export.formats`: the format registry and :func:`export`;
- :mod:`archive.export.outfile`: an export written safely to a file;
- one module per format: ``jsonl``, ``csv``, ``parquet``, ``warc``, ``atom``.
"""

from __future__ import annotations

from archive.export.atom import atom_feed
from archive.export.formats import FORMATS, WRITERS, ExportResult, export
from archive.export.outfile import export_to_file
from archive.export.records import FIELD_NAMES, FIELDS, SCHEMA_VERSION, iter_records
from archive.export.selection import (
    ArchiveOutdated,
    BadCursor,
    Selection,
    current_cursor,
    parse_cursor,
)

__all__ = [
    "FIELDS",
    "FIELD_NAMES",
    "FORMATS",
    "SCHEMA_VERSION",
    "WRITERS",
    "ArchiveOutdated",
    "BadCursor",
    "ExportResult",
    "Selection",
    "atom_feed",
    "current_cursor",
    "export",
    "export_to_file",
    "iter_records",
    "parse_cursor",
]
