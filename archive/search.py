"""Full-text search over articles (SQLite FTS5, bm25 ranking)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from archive.errors import BadQuery, QueryTooExpensive
from archive.settings import (
    SEARCH_BUDGET_CHECK_OPS,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_RANK_WINDOW,
    SEARCH_TIME_BUDGET_S,
    SNIPPET_TOKENS,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

# Marks around matched terms in snippets; the CLI turns them into highlighting.
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
ELLIPSIS = "…"
# SQLite errors whose message has one of these words are the archive's (a lock, the disk),
# not the query's; FTS5 reports query syntax as plain OperationalErrors ("fts5: syntax
# error near", "unterminated string", "no such column: x")
_NOT_QUERY_ERRORS = ("locked", "busy", "disk", "database", "readonly", "memory")


def bad_query(exc: sqlite3.OperationalError, query: str) -> BadQuery | None:
    """The :class:`BadQuery` an FTS5 error of ``query`` stands for, or None when the
    error is not the query's (a lock, the disk): that one must propagate as it is."""
    message = str(exc)
    if any(word in message for word in _NOT_QUERY_ERRORS):
        return None
    return BadQuery(f"invalid search query {query!r}: {message.removeprefix('fts5: ')}")


_TEXT_COLUMN = 2  # index of "text" in archive.db.FTS_COLUMNS


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article matching a query."""

    id: int
    title: str | None
    site: str | None
    published: str | None
    canonical_url: str | None
    copies: int
    rank: float  # bm25: lower is better
    snippet: str  # with HIGHLIGHT_START/END around matches

    def to_dict(self, highlight: tuple[str, str] = ("[", "]")) -> dict[str, Any]:
        """Return the hit as a dict, matches in the snippet marked with ``highlight``."""
        data = asdict(self)
        data["snippet"] = self.snippet.replace(HIGHLIGHT_START, highlight[0]).replace(
            HIGHLIGHT_END, highlight[1]
        )
        return data


def search(
    db: Database,
    query: str,
    *,
    limit: int = SEARCH_DEFAULT_LIMIT,
    site: str | None = None,
    since: str | None = None,
    literal: bool = False,
    window: int | None = SEARCH_RANK_WINDOW,
    time_budget_s: float | None = SEARCH_TIME_BUDGET_S,
) -> list[SearchHit]:
    """Search articles, best match first.

    :param db: the archive
    :param query: FTS5 query syntax (words, "phrases", AND/OR/NOT, prefix*)
    :param limit: at most this many hits
    :param site: only articles whose representative is on this site
    :param since: only articles published (or first seen) on or after this ISO date
    :param literal: search the words as typed, with FTS5 operators taken as plain words
    :param window: rank only the newest this-many matches by bm25 (None: all of them);
        a query matching fewer is ranked exactly
    :param time_budget_s: stop the query after this many seconds (None: no limit)
    :raises BadQuery: the query is not valid FTS5 syntax
    :raises QueryTooExpensive: the query ran past its time budget
    """
    if not query.strip():
        raise BadQuery("empty search query")
    match = _quote(query) if literal else query
    where = ["articles_fts MATCH :match"]
    params: dict[str, Any] = {"match": match, "limit": limit}
    join = ""
    if site:
        # the site index answers this without reading article rows (site follows the text
        # in the row); the unary + keeps the IN from being handed to FTS5 as a rowid list,
        # which would run the MATCH once per article of the site
        where.append("+articles_fts.rowid IN (SELECT id FROM articles WHERE site = :site)")
        params["site"] = site
    if since:
        join = "JOIN articles ON articles.id = articles_fts.rowid"
        where.append("coalesce(articles.published, articles.first_seen) >= :since")
        params["since"] = since
    # Rank in a subquery from the index alone, and build snippets (which re-read and
    # tokenise the whole text) only for the few hits kept: snippet() in the ranking query
    # ran once per match, 10-50x slower on common words (bench/scale.py).
    matches = (
        "SELECT articles_fts.rowid AS id, bm25(articles_fts) AS rank"
        f" FROM articles_fts {join} WHERE {' AND '.join(where)}"
    )
    if window:
        # bm25 costs ~1-2 us per match: past `window` matches, rank the newest ones only
        # (FTS5 walks rowids newest first and stops), so a word in half a million
        # stories answers in milliseconds; below it the ranking is exact
        matches += " ORDER BY articles_fts.rowid DESC LIMIT :window"
        params["window"] = window
    # CROSS JOIN keeps `top` as the outer loop, so each hit is one rowid lookup in the FTS
    # index rather than a second pass over every match.
    sql = f"""
        SELECT articles.id, articles.title, articles.site, articles.published,
               articles.canonical_url, articles.copies, top.rank,
               snippet(articles_fts, {_TEXT_COLUMN}, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}',
                       '{ELLIPSIS}', {SNIPPET_TOKENS}) AS snippet
        FROM (SELECT id, rank FROM ({matches}) ORDER BY rank LIMIT :limit) AS top
        CROSS JOIN articles_fts ON articles_fts.rowid = top.id AND articles_fts MATCH :match
        JOIN articles ON articles.id = top.id
        ORDER BY top.rank
    """
    try:
        with _time_budget(db.conn, time_budget_s):
            rows = db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if message == "interrupted":
            raise QueryTooExpensive(
                f"search query {query[:80]!r} stopped after {time_budget_s:g} s: it matches"
                " too much (fewer prefix* terms or OR'd words, or a phrase, will answer)"
            ) from exc
        invalid = bad_query(exc, query)
        if invalid is None:
            raise
        raise BadQuery(
            f"{invalid} (put phrases in double quotes, or use --literal to search the words"
            " as typed)"
        ) from exc
    return [SearchHit(*row) for row in rows]


@contextmanager
def _time_budget(conn: sqlite3.Connection, seconds: float | None) -> Iterator[None]:
    """Interrupt the statements run inside the block once ``seconds`` have passed
    (SQLite then raises OperationalError "interrupted")."""
    if seconds is None:
        yield
        return
    deadline = time.monotonic() + seconds
    # a non-zero return from the handler makes SQLite abort the running statement
    conn.set_progress_handler(lambda: time.monotonic() > deadline, SEARCH_BUDGET_CHECK_OPS)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


def _quote(query: str) -> str:
    # each word becomes a quoted string, so AND/OR/NOT/*/: lose their meaning
    return " ".join('"{}"'.format(word.replace('"', '""')) for word in query.split())
