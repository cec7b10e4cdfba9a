"""The archive's SQLite file: connections, schema and migrations.

Every schema change is a new function registered on ``MIGRATIONS``; an archive made by an
older reprint is brought up to date when it is opened for writing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database, Migrations

from archive.errors import ArchiveLocked, ArchiveNotFound
from archive.settings import BUSY_TIMEOUT_MS, WRITER_CACHE_MB

MIGRATIONS = Migrations("reprint")

# Columns indexed by FTS5; porter stemming so "renewed" finds "renewal" and "renews".
FTS_COLUMNS = ["title", "author", "text"]


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    db["crawls"].create(
        {
            "id": int,
            "spider": str,
            "args": str,  # JSON
            "started": str,
            "finished": str,
            "status": str,  # running | finished | failed | interrupted
            "pid": int,
            "stats": str,  # JSON of Scrapy's stats at the end
        },
        pk="id",
    )
    db["raw"].create(
        {
            "sha256": str,
            "content_type": str,
            "encoding": str,
            "size": int,
            "compressed_size": int,
            "body": bytes,  # zstd-compressed response body
        },
        pk="sha256",
    )
    db["articles"].create(
        {
            "id": int,
            "title": str,
            "author": str,
            "published": str,
            "language": str,
            "text": str,
            "word_count": int,
            "site": str,
            "canonical_url": str,
            "image": str,
            "tags": str,  # JSON list
            "description": str,
            "text_hash": str,
            "representative_page_id": int,
            "first_seen": str,
            "last_seen": str,
            "copies": int,
            "site_name": str,
            "updated": str,
        },
        pk="id",
    )
    db["pages"].create(
        {
            "id": int,
            "url": str,  # normalised; the key
            "requested_url": str,
            "final_url": str,
            "site": str,
            "article_id": int,
            "title": str,
            "author": str,
            "published": str,
            "canonical_url": str,
            "updated": str,
            "origin": str,  # "originally appeared on X"
            "language": str,
            "site_name": str,
            "image": str,
            "tags": str,  # JSON list
            "description": str,
            "text": str,
            "word_count": int,
            "text_hash": str,
            "similarity": float,  # to the article's representative text (1.0 for itself)
            "http_status": int,
            "content_type": str,
            "etag": str,
            "last_modified": str,
            "first_seen": str,
            "fetched_at": str,
            "source": str,
            "crawl_id": int,
            "raw_sha256": str,
        },
        pk="id",
        foreign_keys=[
            ("article_id", "articles", "id"),
            ("crawl_id", "crawls", "id"),
            ("raw_sha256", "raw", "sha256"),
        ],
    )
    db["pages"].create_index(["url"], unique=True)
    db["pages"].create_index(["article_id"])
    db["pages"].create_index(["text_hash"])
    db["pages"].create_index(["site"])
    db["articles"].create_index(["text_hash"])
    db["articles"].create_index(["published"])
    db["articles"].create_index(["site"])
    db["sources"].create(
        {
            "id": int,
            "url": str,
            "kind": str,  # feed | sitemap | site
            "name": str,
            "etag": str,
            "last_modified": str,
            "last_crawled": str,
            "last_status": int,
        },
        pk="id",
    )
    db["sources"].create_index(["url"], unique=True)
    db["articles"].enable_fts(FTS_COLUMNS, tokenize="porter", create_triggers=True)


@MIGRATIONS()
def m002_page_versions(db: Database) -> None:
    # a page fetched again with different text keeps its earlier text here; a trigger, so
    # every writer (crawl, reextract) keeps versions without having to remember to
    db["page_versions"].create(
        {
            "id": int,
            "page_id": int,
            "title": str,
            "text": str,
            "text_hash": str,
            "fetched_at": str,  # when this version was fetched
            "replaced_at": str,  # when a newer text replaced it
            "raw_sha256": str,
        },
        pk="id",
        foreign_keys=[("page_id", "pages", "id")],
    )
    db["page_versions"].create_index(["page_id"])
    db.execute(
        """
        CREATE TRIGGER pages_keep_version AFTER UPDATE OF text_hash ON pages
        WHEN old.text_hash IS NOT new.text_hash
        BEGIN
            INSERT INTO page_versions
                (page_id, title, text, text_hash, fetched_at, replaced_at, raw_sha256)
            VALUES (old.id, old.title, old.text, old.text_hash, old.fetched_at,
                    new.fetched_at, old.raw_sha256);
        END
        """
    )
    # the incremental filter looks pages up by the URL a feed gave (before redirects) too
    db["pages"].create_index(["requested_url"])


@MIGRATIONS()
def m003_site_lines(db: Database) -> None:
    # Per-site learned boilerplate (archive/sitelearn.py): which stories of a site each
    # line of extracted text appeared in, and the count of those stories per line.
    db["site_lines"].create(
        {"site": str, "line_key": str, "story": str},
        pk=("site", "line_key", "story"),
    )
    db["site_line_counts"].create(
        {"site": str, "line_key": str, "stories": int},
        pk=("site", "line_key"),
    )
    db["site_line_counts"].create_index(["site", "stories"])
    db["site_stories"].create({"site": str, "story": str}, pk=("site", "story"))


@MIGRATIONS()
def m004_dedup_index(db: Database) -> None:
    # The near-duplicate index (archive/dedup.py), and pages.canonical_key: the normalised
    # rel=canonical, indexed so that an original arriving after its syndicated copies
    # finds the copies pointing at it. Imported here: opening an archive read-only
    # (search, show) needs neither numpy, rensa nor courlan.
    from archive.dedup import create_index_tables, index_page, index_params, signature
    from archive.urls import normalize_url

    create_index_tables(db)
    db["pages"].add_column("canonical_key", str)
    db["pages"].create_index(["canonical_key"])
    params = index_params(db)
    last_id = 0
    while batch := db.execute(  # in batches: page texts are never all in memory
        "SELECT id, canonical_url, text FROM pages WHERE id > ? ORDER BY id LIMIT 500",
        [last_id],
    ).fetchall():
        for page_id, canonical, text in batch:
            if canonical:
                db.execute(
                    "UPDATE pages SET canonical_key = ? WHERE id = ?",
                    [normalize_url(canonical), page_id],
                )
            # pages keep their articles; `dedupe --rebuild` reclusters them
            index_page(db, page_id, signature(text or "", params), params)
        last_id = batch[-1][0]


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        # mode=ro: a reader can never write, even by accident; WAL lets it read during a crawl
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def open_archive(path: str | Path, *, readonly: bool = False) -> Database:
    """Open (and when writable, create or migrate) the archive at ``path``.

    :param path: the SQLite file
    :param readonly: open without write access; the file must exist
    :raises ArchiveNotFound: readonly and the file is missing
    :raises ArchiveLocked: another writer kept the lock past the busy timeout
    """
    path = Path(path)
    if readonly and not path.exists():
        raise ArchiveNotFound(f"archive not found: {path}")
    if not readonly:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(_connect(path, readonly=readonly))
    if readonly:
        return db
    try:
        # WAL: readers (search, datasette) keep working while a crawl writes
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_MB * 1024}")
        db.execute("PRAGMA foreign_keys = ON")
        MIGRATIONS.apply(db)
    except sqlite3.OperationalError as exc:
        db.close()
        if "locked" in str(exc):
            raise ArchiveLocked(f"archive is locked by another process: {path}") from exc
        raise
    return db


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """Run a block of writes as one transaction that takes the write lock up front.

    A deferred BEGIN that later upgrades to a write fails at once with SQLITE_BUSY when
    another connection writes meanwhile; BEGIN IMMEDIATE waits for the lock instead
    (busy timeout), so two crawls on one archive queue rather than fail.

    :raises ArchiveLocked: the lock was not free within the busy timeout
    """
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ArchiveLocked(f"archive is locked by another process: {exc}") from exc
        raise
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.execute("COMMIT")
