"""The archive as a Python object: search, iterate, follow copies, export.

Read-only by default, so it is safe to use beside a running crawl (WAL lets readers and
the writer work at once). Everything returned is plain data (dicts, dataclasses), the
same records ``reprint export --format jsonl`` writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from archive.db import close_writer, open_archive
from archive.errors import ArticleNotFound
from archive.export import (
    ExportResult,
    Selection,
    atom_feed,
    current_cursor,
    export,
    iter_records,
)
from archive.read import archive_totals, copies_of, get_article, most_copied
from archive.search import SearchHit, search
from archive.settings import FEED_SERVED_ENTRIES, SEARCH_DEFAULT_LIMIT, SEARCH_RANK_WINDOW

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

    from sqlite_utils import Database


class Archive:
    """A reprint archive (SQLite file), opened read-only unless asked otherwise.

    :param path: the archive file, e.g. ``"archive.db"``
    :param readonly: open without write access (default); the file must exist
    :raises ArchiveNotFound: readonly and the file does not exist
    """

    def __init__(self, path: str | Path, *, readonly: bool = True) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.db: Database = open_archive(self.path, readonly=readonly)

    def __repr__(self) -> str:
        return f"Archive({str(self.path)!r})"

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; opened for writing, the archive file is left holding
        every write (:func:`archive.db.close_writer`)."""
        if self.readonly:
            self.db.close()
        else:
            close_writer(self.db)

    def search(
        self,
        query: str,
        *,
        limit: int = SEARCH_DEFAULT_LIMIT,
        site: str | None = None,
        since: str | None = None,
        literal: bool = False,
        window: int | None = SEARCH_RANK_WINDOW,
    ) -> list[SearchHit]:
        """Full-text search, best match first (bm25), with highlighted snippets.

        :param query: FTS5 syntax: words, "phrases", AND/OR/NOT, prefix*
        :param limit: at most this many hits
        :param site: only stories whose original is on this host
        :param since: only stories published on/after this ISO date
        :param literal: take the words as typed (FTS5 operators become plain words)
        :param window: past this many matches, rank only the newest (None: rank all)
        :raises BadQuery: the query is not valid FTS5 syntax
        """
        return search(
            self.db, query, limit=limit, site=site, since=since, literal=literal, window=window
        )

    def articles(
        self,
        *,
        since: str | None = None,
        site: str | None = None,
        query: str | None = None,
        after: str | int | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Iterate over stories as export records (the JSONL schema: text, tags, places…),
        in change order, streaming from one snapshot.

        :param since: only stories published (or, undated, first seen) on/after this date
        :param site: only stories whose original is on this host
        :param query: only stories matching this FTS5 query
        :param after: only what changed after this cursor (see :meth:`cursor`), with
            deleted stories as ``{"id": …, "deleted": True}`` tombstones
        :param limit: at most this many records
        :raises BadQuery: invalid FTS5 query
        :raises BadCursor: a cursor this archive did not hand out
        """
        selection = Selection(since=since, site=site, query=query, after=after, limit=limit)
        return iter_records(self.db, selection)

    def article(self, article_id: int) -> dict[str, Any]:
        """One story with its metadata, text and ``pages`` (its copies, original first).

        :raises ArticleNotFound: no story has this id
        """
        return get_article(self.db, article_id)

    def copies(self, article_id: int) -> list[dict[str, Any]]:
        """Every page the story ran on: the representative (original) first, then by date.

        :param article_id: the story
        :raises ArticleNotFound: no story has this id
        """
        row = self.db.execute(
            "SELECT representative_page_id FROM articles WHERE id = ?", [article_id]
        ).fetchone()
        if row is None:
            raise ArticleNotFound(f"no article with id {article_id}")
        return copies_of(self.db, article_id, row[0])

    def most_copied(self, limit: int = 10) -> list[dict[str, Any]]:
        """The stories that ran in the most places, most first."""
        return most_copied(self.db, limit=limit)

    def totals(self) -> dict[str, Any]:
        """Counts: articles, pages, syndicated stories, sites, raw bytes, recent crawls."""
        return archive_totals(self.db)

    def cursor(self) -> str:
        """The archive's current change cursor: ``articles(after=…)`` or
        ``export(after=…)`` with it returns only later changes."""
        return current_cursor(self.db)

    def export(
        self,
        out: BinaryIO,
        fmt: str = "jsonl",
        *,
        since: str | None = None,
        site: str | None = None,
        query: str | None = None,
        after: str | int | None = None,
        limit: int | None = None,
    ) -> ExportResult:
        """Write stories to a binary stream as jsonl, csv, parquet, warc or atom.

        :param out: e.g. ``open("out.parquet", "wb")`` or ``sys.stdout.buffer``
        :param fmt: jsonl | csv | parquet | warc | atom
        :returns: the record count and the cursor for the next incremental export
        """
        selection = Selection(since=since, site=site, query=query, after=after, limit=limit)
        return export(self.db, fmt, out, selection)

    def feed(
        self, out: BinaryIO, *, limit: int | None = FEED_SERVED_ENTRIES, site: str | None = None
    ) -> int:
        """Write the deduplicated Atom feed (one entry per story, newest first).

        :returns: the number of entries
        """
        return atom_feed(self.db, out, Selection(site=site, limit=limit))
