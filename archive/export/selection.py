"""Which articles an export or feed takes (:class:`Selection`), read from one consistent
snapshot, and the cursors of incremental pulls.

Every change of an article (new, new copy, new text, deleted) gets a sequence number in
``article_changes``, kept by triggers (archive/db.py, m005). An export returns a
*cursor*, the highest sequence number of its snapshot; an export with ``after=cursor``
selects exactly the articles created, changed or deleted since, deleted ones as
tombstones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from archive.errors import ArchiveOutdated, BadCursor
from archive.search import bad_query
from archive.settings import EXPORT_CHUNK_ROWS

if TYPE_CHECKING:
    from sqlite_utils import Database


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
        invalid = None if selection.query is None else bad_query(exc, selection.query)
        if invalid is None:
            raise
        raise invalid from exc


def current_cursor(db: Database) -> str:
    """The cursor of the archive as it is now: an export ``after`` it selects only later
    changes."""
    with snapshot(db) as upto:
        return str(upto)


def write_lines(
    db: Database, selection: Selection, upto: int, columns: str, end: str, out: BinaryIO
) -> int:
    """Write each selected row, one SQL-built text value (``columns``), then ``end``, to
    ``out`` in chunks; return the row count (the line formats: JSONL, CSV)."""
    rows = run_selection(db, selection, upto, columns)
    count = 0
    while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
        out.write("".join(f"{line}{end}" for (line,) in chunk).encode())
        count += len(chunk)
    return count
