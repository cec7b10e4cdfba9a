"""Exports of the archive for downstream tools: JSONL, CSV, Parquet and WARC.

Every export reads one consistent snapshot (a single read transaction) and streams: rows
go from SQLite to the output in chunks of :data:`~archive.settings.EXPORT_CHUNK_ROWS`,
so memory stays flat however large the archive is.

Incremental pulls: every change of an article (new, new copy, new text, deleted) gets a
sequence number in ``article_changes``, kept by triggers (archive/db.py, m002). An export
returns a *cursor*, the highest sequence number of its snapshot; an export with
``after=cursor`` selects exactly the articles created, changed or deleted since, deleted
ones as tombstones (``deleted: true``, every other field null).

The record schema (one article, with every place it ran) is :data:`FIELDS`; it is
documented in the README ("Exporting") and only ever grows: fields are never renamed,
retyped or removed.
"""

from __future__ import annotations

import io
import json
import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, BinaryIO

from archive.errors import ArchiveOutdated, BadCursor, BadQuery
from archive.metadata import utc_timestamp
from archive.settings import EXPORT_CHUNK_ROWS, PARQUET_ROW_GROUP_ROWS

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlite_utils import Database

# Bumped only if a field ever had to change meaning (never so far): new fields are added
# without a bump, so readers must ignore fields they do not know.
SCHEMA_VERSION = 1
FORMATS = ("jsonl", "csv", "parquet", "warc", "atom")
_NOT_QUERY_ERRORS = ("locked", "busy", "disk", "readonly", "memory")
SCAN_CACHE_SIZE = -2000  # SQLite's default page cache: 2000 KiB


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an exported article."""

    name: str
    sql: str  # over `a` (articles) and `c` (article_changes); scalar or JSON text
    kind: str  # int | str | bool | tags | places
    doc: str


# Every place a story ran, in the order the pages were first archived.
PLACE_FIELDS = ("url", "site", "site_name", "title", "published", "first_seen", "representative")
_PLACES_SQL = (
    "CASE WHEN a.id IS NULL THEN NULL ELSE json((SELECT json_group_array(json_object("
    "'url', p.url, 'site', p.site, 'site_name', p.site_name, 'title', p.title, "
    "'published', p.published, 'first_seen', p.first_seen, 'representative', "
    "json(CASE WHEN p.id = a.representative_page_id THEN 'true' ELSE 'false' END))) "
    "FROM pages p WHERE p.article_id = a.id)) END"
)
_TAGS_SQL = (
    "CASE WHEN a.id IS NULL THEN NULL WHEN json_valid(a.tags) THEN json(a.tags) ELSE json('[]') END"
)

FIELDS: tuple[Field, ...] = (
    Field("id", "c.article_id", "int", "article (story) id"),
    Field("change_seq", "c.seq", "int", "sequence number of the article's latest change"),
    Field("deleted", "c.deleted", "bool", "true: a tombstone, the article no longer exists"),
    Field("changed_at", "c.changed_at", "str", "when that change was written (UTC, ISO 8601)"),
    Field("title", "a.title", "str", "headline of the representative copy"),
    Field("author", "a.author", "str", "byline (several authors joined by ', ')"),
    Field("published", "a.published", "str", "publication date or time, ISO 8601"),
    Field("updated", "a.updated", "str", "modification date the publisher states, ISO 8601"),
    Field("language", "a.language", "str", "ISO 639-1 code"),
    Field("site", "a.site", "str", "host of the representative copy (the original)"),
    Field("site_name", "a.site_name", "str", "publisher's name for that site"),
    Field("canonical_url", "a.canonical_url", "str", "rel=canonical of the representative"),
    Field("image", "a.image", "str", "lead image URL"),
    Field("description", "a.description", "str", "the publisher's summary"),
    Field("tags", _TAGS_SQL, "tags", "keywords, a list of strings"),
    Field("word_count", "a.word_count", "int", "words in text"),
    Field("text", "a.text", "str", "clean article text, paragraphs separated by newlines"),
    Field("copies", "a.copies", "int", "number of places the story ran"),
    Field("first_seen", "a.first_seen", "str", "first fetch of any copy (UTC, ISO 8601)"),
    Field("last_seen", "a.last_seen", "str", "latest fetch of any copy (not a change)"),
    Field("places", _PLACES_SQL, "places", f"every copy: objects of {', '.join(PLACE_FIELDS)}"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)


def _json_sql(field: Field) -> str:
    if field.kind == "bool":
        return f"json(CASE WHEN {field.sql} THEN 'true' ELSE 'false' END)"
    return field.sql  # tags/places are already json(...), which json_object embeds as JSON


JSON_OBJECT_SQL = "json_object({})".format(", ".join(f"'{f.name}', {_json_sql(f)}" for f in FIELDS))


@dataclass(frozen=True, slots=True)
class Selection:
    """Which articles an export (or feed) takes; every filter is optional.

    :param since: only articles published (or, undated, first seen) on/after this ISO date
    :param site: only articles whose original (representative copy) is on this host
    :param query: only articles matching this FTS5 query (as ``reprint search``)
    :param after: only changes after this cursor, deleted articles included as tombstones
    :param limit: at most this many records
    """

    since: str | None = None
    site: str | None = None
    query: str | None = None
    after: str | int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote, and the cursor to pass as ``after`` next time."""

    format: str
    records: int
    cursor: str


def parse_cursor(cursor: str | int) -> int:
    """Return the sequence number an export cursor stands for.

    :raises BadCursor: not a cursor printed by ``reprint export``
    """
    text = str(cursor).strip()
    if not text.isdigit():
        raise BadCursor(
            f"invalid export cursor {cursor!r}: expected the number a previous export printed"
        )
    return int(text)


def require_change_log(db: Database) -> None:
    """Fail clearly on an archive written before change tracking existed.

    :raises ArchiveOutdated: the archive has no ``article_changes`` table yet
    """
    if not db["article_changes"].exists():
        raise ArchiveOutdated(
            "the archive predates incremental exports (no article_changes table): open it "
            "for writing once, e.g. with `reprint crawl`, to bring it up to date"
        )


@contextmanager
def snapshot(db: Database) -> Iterator[int]:
    """Hold one read transaction (so every statement sees the same snapshot) and yield its
    highest change sequence number, the cursor of whatever is read inside.

    :raises ArchiveOutdated: the archive has no change log
    """
    require_change_log(db)
    owns = not db.conn.in_transaction
    if owns:
        db.execute("BEGIN")
    try:
        yield db.execute("SELECT coalesce(max(seq), 0) FROM article_changes").fetchone()[0]
    finally:
        if owns and db.conn.in_transaction:
            db.execute("COMMIT")


def selection_sql(
    selection: Selection, upto: int, columns: str, *, order: str = "c.seq"
) -> tuple[str, dict[str, Any]]:
    """Build the query over ``article_changes c LEFT JOIN articles a`` for a selection.

    :param selection: the filters
    :param upto: the snapshot's cursor (see :func:`snapshot`)
    :param columns: the SELECT list
    :param order: the ORDER BY expression (change order by default)
    :raises BadCursor: ``selection.after`` is not a cursor of this archive
    """
    params: dict[str, Any] = {"upto": upto}
    wanted = ["c.deleted = 0"]
    if selection.site:
        wanted.append("a.site = :site")
        params["site"] = selection.site
    if selection.since:
        wanted.append("coalesce(a.published, a.first_seen) >= :since")
        params["since"] = selection.since
    if selection.query:
        wanted.append(
            "c.article_id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q)"
        )
        params["q"] = selection.query
    where = ["c.seq <= :upto"]
    if selection.after is not None:
        after = parse_cursor(selection.after)
        if after > upto:
            raise BadCursor(
                f"export cursor {after} is ahead of this archive (its latest change is {upto}):"
                " was it printed by an export of another archive?"
            )
        where.append("c.seq > :after")
        params["after"] = after
        # tombstones whatever the filters: a deleted article has no site or text to match,
        # and a downstream copy must still learn that it is gone
        where.append(f"(c.deleted = 1 OR ({' AND '.join(wanted)}))")
    else:
        where.extend(wanted)
    if selection.after is None:
        # no tombstones wanted: an inner join lets SQLite walk an articles index for the
        # order (the feed's newest-first reads 50 rows, not the whole archive)
        tables = "articles a JOIN article_changes c ON c.article_id = a.id"
    else:
        tables = "article_changes c LEFT JOIN articles a ON a.id = c.article_id"
    sql = f"SELECT {columns} FROM {tables} WHERE {' AND '.join(where)} ORDER BY {order}"
    if selection.limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = selection.limit
    return sql, params


def run_selection(
    db: Database, selection: Selection, upto: int, columns: str, *, order: str = "c.seq"
) -> sqlite3.Cursor:
    """Execute :func:`selection_sql` and return the cursor over its rows.

    :raises BadQuery: ``selection.query`` is not valid FTS5 syntax
    :raises BadCursor: ``selection.after`` is not a cursor of this archive
    """
    sql, params = selection_sql(selection, upto, columns, order=order)
    try:
        # FTS5 reports a malformed query when the statement first steps, which execute() does
        return db.execute(sql, params)
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if selection.query is None or any(word in message for word in _NOT_QUERY_ERRORS):
            raise
        raise BadQuery(
            f"invalid search query {selection.query!r}: {message.removeprefix('fts5: ')}"
        ) from exc


def iter_records(db: Database, selection: Selection | None = None) -> Iterator[dict[str, Any]]:
    """Yield the selected articles as export records (dicts of :data:`FIELDS`), in change
    order, from one snapshot.

    :param db: the archive
    :param selection: filters (default: every live article)
    """
    with snapshot(db) as upto:
        rows = run_selection(db, selection or Selection(), upto, JSON_OBJECT_SQL)
        while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
            for (line,) in chunk:
                yield json.loads(line)


def current_cursor(db: Database) -> str:
    """The cursor of the archive as it is now: an export ``after`` it selects only later
    changes."""
    with snapshot(db) as upto:
        return str(upto)


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
    writers = {
        "jsonl": write_jsonl,
        "csv": write_csv,
        "parquet": write_parquet,
        "warc": write_warc,
        "atom": _write_atom,
    }
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    selection = selection or Selection()
    with _scan_cache(db), snapshot(db) as upto:
        records = writers[fmt](db, selection, upto, out)
    out.flush()
    return ExportResult(format=fmt, records=records, cursor=str(upto))


def write_jsonl(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """One JSON object per line, built by SQLite's json_object (C speed, UTF-8 as is)."""
    rows = run_selection(db, selection, upto, JSON_OBJECT_SQL)
    count = 0
    while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
        out.write("".join(f"{line}\n" for (line,) in chunk).encode())
        count += len(chunk)
    return count


def _scalar_columns() -> str:
    return ", ".join(f"{f.sql} AS [{f.name}]" for f in FIELDS)


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


def write_csv(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """RFC 4180 CSV (UTF-8, CRLF) with a header row; tags and places as JSON text,
    booleans true/false, null as an empty field."""
    out.write(CSV_HEADER.encode())
    rows = run_selection(db, selection, upto, CSV_LINE_SQL)
    count = 0
    while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
        out.write("".join(f"{line}\r\n" for (line,) in chunk).encode())
        count += len(chunk)
    return count


def arrow_schema() -> pa.Schema:
    """The Parquet schema of export records (nested lists for tags and places)."""
    import pyarrow as pa

    place = pa.struct(
        [(name, pa.bool_() if name == "representative" else pa.string()) for name in PLACE_FIELDS]
    )
    types = {
        "int": pa.int64(),
        "str": pa.string(),
        "bool": pa.bool_(),
        "tags": pa.list_(pa.string()),
        "places": pa.list_(place),
    }
    return pa.schema([(f.name, types[f.kind]) for f in FIELDS])


class _Tell:
    """A write-only stream that knows its position, for Parquet on a pipe (stdout)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        self.closed = True  # the caller's stream stays open

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


class _InBackground:
    """Apply ``fn`` to submitted items in a second thread, one item behind the caller.

    Arrow encodes and compresses a row group without holding the GIL, so on two cores it
    runs while Python builds the next group from SQLite rows.
    """

    _DONE = object()

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.items: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="reprint-export", daemon=True)

    def _run(self) -> None:
        while (item := self.items.get()) is not self._DONE:
            if self.error is None:  # after a failure keep draining, so submit() never blocks
                try:
                    self.fn(item)
                except BaseException as exc:  # re-raised in the caller's thread
                    self.error = exc

    def submit(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.items.put(item)

    def __enter__(self) -> _InBackground:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.items.put(self._DONE)
        self.thread.join()
        if self.error is not None and exc_type is None:
            raise self.error


def write_parquet(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """Parquet (zstd), row groups of :data:`~archive.settings.PARQUET_ROW_GROUP_ROWS`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    loads: dict[str, Any] = {"tags": json.loads, "places": json.loads, "bool": bool}
    convert = [loads.get(f.kind) for f in FIELDS]
    rows = run_selection(db, selection, upto, _scalar_columns())
    count = 0
    sink = pa.PythonFile(_Tell(out), mode="w")
    with (
        pq.ParquetWriter(sink, schema, compression="zstd") as writer,
        _InBackground(writer.write_batch) as background,
    ):
        columns: list[list[Any]] = [[] for _ in FIELDS]
        while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
            for row in chunk:
                for column, to_python, value in zip(columns, convert, row, strict=True):
                    column.append(value if to_python is None or value is None else to_python(value))
            count += len(chunk)
            if len(columns[0]) >= PARQUET_ROW_GROUP_ROWS:
                background.submit(pa.record_batch(columns, schema=schema))
                columns = [[] for _ in FIELDS]
        if columns[0]:
            background.submit(pa.record_batch(columns, schema=schema))
    return count


def _status_line(status: int | None) -> str:
    code = status or 200
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:  # a status outside the registry (e.g. 999 from some CDNs)
        return f"{code} Unknown"


def write_warc(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """WARC 1.0 (gzip per record): a warcinfo record, then one response record per stored
    page of the selected articles (every copy), with the body exactly as fetched.

    Returns the number of response records. Pages whose body is not stored are skipped.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archive import __version__
    from archive.store import load_raw

    writer = WARCWriter(out, gzip=True)
    writer.write_record(
        writer.create_warcinfo_record(
            "reprint-export.warc.gz",
            {
                "software": f"reprint/{__version__}",
                "format": "WARC File Format 1.0",
                "description": "stored responses of a reprint archive (every copy of each story)",
            },
        )
    )
    articles, params = selection_sql(selection, upto, "c.article_id", order="c.seq")
    pages = db.execute(
        "SELECT p.id, p.article_id, coalesce(p.final_url, p.url), p.http_status, "
        "coalesce(p.content_type, r.content_type), p.etag, p.last_modified, p.fetched_at, "
        "p.raw_sha256 FROM pages p JOIN raw r ON r.sha256 = p.raw_sha256 "
        f"WHERE p.article_id IN ({articles}) ORDER BY p.id",
        params,
    )
    count = 0
    for page_id, article_id, url, status, ctype, etag, modified, fetched, sha in pages:
        body = load_raw(db, sha)
        headers = [("Content-Type", ctype or "application/octet-stream")]
        headers += [(name, v) for name, v in (("ETag", etag), ("Last-Modified", modified)) if v]
        headers.append(("Content-Length", str(len(body))))
        warc_headers = {
            "WARC-Reprint-Article-Id": str(article_id),
            "WARC-Reprint-Page-Id": str(page_id),
        }
        date = utc_timestamp(fetched)
        if date:
            warc_headers["WARC-Date"] = date
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(_status_line(status), headers, protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers,
        )
        writer.write_record(record)
        count += 1
    return count


def _write_atom(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    from archive.feed import write_feed

    return write_feed(db, selection, upto, out)
