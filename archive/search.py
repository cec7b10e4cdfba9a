"""Full-text search over articles (SQLite FTS5, bm25 ranking)."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from archive.errors import BadQuery
from archive.settings import SEARCH_DEFAULT_LIMIT, SNIPPET_TOKENS

if TYPE_CHECKING:
    from sqlite_utils import Database

# Marks around matched terms in snippets; the CLI turns them into highlighting.
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
ELLIPSIS = "…"
_NOT_QUERY_ERRORS = ("locked", "busy", "disk", "database", "readonly", "memory")
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
) -> list[SearchHit]:
    """Search articles, best match first.

    :param db: the archive
    :param query: FTS5 query syntax (words, "phrases", AND/OR/NOT, prefix*)
    :param limit: at most this many hits
    :param site: only articles whose representative is on this site
    :param since: only articles published (or first seen) on or after this ISO date
    :param literal: search the words as typed, with FTS5 operators taken as plain words
    :raises BadQuery: the query is not valid FTS5 syntax
    """
    if not query.strip():
        raise BadQuery("empty search query")
    match = _quote(query) if literal else query
    where = ["articles_fts MATCH :match"]
    params: dict[str, Any] = {"match": match, "limit": limit}
    if site:
        where.append("articles.site = :site")
        params["site"] = site
    if since:
        where.append("coalesce(articles.published, articles.first_seen) >= :since")
        params["since"] = since
    sql = f"""
        SELECT articles.id, articles.title, articles.site, articles.published,
               articles.canonical_url, articles.copies, bm25(articles_fts) AS rank,
               snippet(articles_fts, {_TEXT_COLUMN}, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}',
                       '{ELLIPSIS}', {SNIPPET_TOKENS}) AS snippet
        FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
        WHERE {" AND ".join(where)}
        ORDER BY rank LIMIT :limit
    """
    try:
        rows = db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc)
        # FTS5 reports query syntax as plain OperationalErrors ("fts5: syntax error near",
        # "unterminated string", "no such column: x"); lock and I/O errors are not the query's
        if any(word in message for word in _NOT_QUERY_ERRORS):
            raise
        raise BadQuery(
            f"invalid search query {query!r}: {message.removeprefix('fts5: ')}"
            " (put phrases in double quotes, or use --literal to search the words as typed)"
        ) from exc
    return [SearchHit(*row) for row in rows]


def _quote(query: str) -> str:
    # each word becomes a quoted string, so AND/OR/NOT/*/: lose their meaning
    return " ".join('"{}"'.format(word.replace('"', '""')) for word in query.split())
