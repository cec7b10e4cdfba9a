"""The archive's SQLite file: connections, schema and migrations.

Every schema change is a new function registered on ``MIGRATIONS``; an archive made by an
older reprint is brought up to date when it is opened for writing.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database, Migrations

from archive.errors import (
    ArchiveError,
    ArchiveLocked,
    ArchiveNotFound,
    ArchiveTooNew,
    ArchiveWriteFailed,
    NotAnArchive,
)
from archive.settings import BUSY_TIMEOUT_MS, READ_CACHE_KIB, WRITER_CACHE_MB

MIGRATIONS = Migrations("reprint")
logger = logging.getLogger(__name__)

# Columns indexed by FTS5; porter stemming so "renewed" finds "renewal" and "renews".
FTS_COLUMNS = ["title", "author", "text"]


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    db.table("crawls").create(
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
    db.table("raw").create(
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
    db.table("articles").create(
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
    db.table("pages").create(
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
    db.table("pages").create_index(["url"], unique=True)
    db.table("pages").create_index(["article_id"])
    db.table("pages").create_index(["text_hash"])
    db.table("pages").create_index(["site"])
    db.table("articles").create_index(["text_hash"])
    db.table("articles").create_index(["published"])
    db.table("articles").create_index(["site"])
    db.table("sources").create(
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
    db.table("sources").create_index(["url"], unique=True)
    db.table("articles").enable_fts(FTS_COLUMNS, tokenize="porter", create_triggers=True)


@MIGRATIONS()
def m002_page_versions(db: Database) -> None:
    # a page fetched again with different text keeps its earlier text here; a trigger, so
    # every writer (crawl, reextract) keeps versions without having to remember to
    db.table("page_versions").create(
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
    db.table("page_versions").create_index(["page_id"])
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
    db.table("pages").create_index(["requested_url"])


@MIGRATIONS()
def m003_site_lines(db: Database) -> None:
    # Per-site learned boilerplate (archive/sitelearn.py): which stories of a site each
    # line of extracted text appeared in, and the count of those stories per line.
    db.table("site_lines").create(
        {"site": str, "line_key": str, "story": str},
        pk=("site", "line_key", "story"),
    )
    db.table("site_line_counts").create(
        {"site": str, "line_key": str, "stories": int},
        pk=("site", "line_key"),
    )
    db.table("site_line_counts").create_index(["site", "stories"])
    db.table("site_stories").create({"site": str, "story": str}, pk=("site", "story"))


@MIGRATIONS()
def m004_dedup_index(db: Database) -> None:
    # The near-duplicate index (archive/dedup/index.py), and pages.canonical_key: the normalised
    # rel=canonical, indexed so that an original arriving after its syndicated copies
    # finds the copies pointing at it. Imported here: opening an archive read-only
    # (search, show) needs neither numpy, rensa nor courlan.
    from archive.dedup import create_index_tables, index_page, index_params, signature
    from archive.urls import normalize_url

    create_index_tables(db)
    db.table("pages").add_column("canonical_key", str)
    db.table("pages").create_index(["canonical_key"])
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
            # pages keep their articles; `reprint dedupe` reclusters them
            index_page(db, page_id, signature(text or "", params), params)
        last_id = batch[-1][0]


# Columns of `articles` whose change is a change of the story for incremental exports
# (`reprint export --after`): all but last_seen, which every re-crawl of an unchanged page
# moves and which would otherwise re-export the whole archive after each crawl. A
# migration that adds article columns should call _create_change_triggers again.
UNTRACKED_ARTICLE_COLUMNS = frozenset({"id", "last_seen"})
# Columns of `pages` that show in an export's list of places a story ran.
TRACKED_PAGE_COLUMNS = ("article_id", "url", "final_url", "site", "title", "published")
_NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')"  # the format of metadata.now_iso()


def _record_change_sql(article_id: str) -> str:
    # One row per article, replaced on each change: AUTOINCREMENT gives the new row a seq
    # above every seq ever handed out (never reused, even after deletes), and rows are
    # written under SQLite's single write lock, so a reader's max(seq) is a correct
    # cursor: whatever commits later gets a higher seq. `deleted` is worked out here so a
    # page trigger firing after its article was removed still records a tombstone.
    return (
        "INSERT OR REPLACE INTO article_changes (article_id, deleted, changed_at) "
        f"SELECT {article_id}, NOT EXISTS (SELECT 1 FROM articles WHERE id = {article_id}), "
        f"{_NOW_SQL} WHERE {article_id} IS NOT NULL;"
    )


def _create_change_triggers(db: Database) -> None:
    """(Re)create the triggers that log every change of an article in ``article_changes``.

    Triggers rather than code in store.py, so every writer (crawls, reextract, dedup
    re-clustering, a user's own SQL) is tracked without knowing about it.
    """
    columns = [c for c in db.table("articles").columns_dict if c not in UNTRACKED_ARTICLE_COLUMNS]
    article_changed = " OR ".join(f"OLD.[{c}] IS NOT NEW.[{c}]" for c in columns)
    page_changed = " OR ".join(f"OLD.[{c}] IS NOT NEW.[{c}]" for c in TRACKED_PAGE_COLUMNS)
    triggers = {
        "article_changes_articles_ai": (
            f"AFTER INSERT ON articles BEGIN {_record_change_sql('NEW.id')} END"
        ),
        "article_changes_articles_au": (
            f"AFTER UPDATE ON articles WHEN {article_changed} "
            f"BEGIN {_record_change_sql('NEW.id')} END"
        ),
        "article_changes_articles_ad": (
            f"AFTER DELETE ON articles BEGIN {_record_change_sql('OLD.id')} END"
        ),
        "article_changes_pages_ai": (
            f"AFTER INSERT ON pages BEGIN {_record_change_sql('NEW.article_id')} END"
        ),
        "article_changes_pages_au": (
            f"AFTER UPDATE OF {', '.join(TRACKED_PAGE_COLUMNS)} ON pages WHEN {page_changed} "
            f"BEGIN {_record_change_sql('OLD.article_id')} "
            f"{_record_change_sql('NEW.article_id')} END"
        ),
        "article_changes_pages_ad": (
            f"AFTER DELETE ON pages BEGIN {_record_change_sql('OLD.article_id')} END"
        ),
    }
    for name, body in triggers.items():
        db.execute(f"DROP TRIGGER IF EXISTS [{name}]")
        db.execute(f"CREATE TRIGGER [{name}] {body}")


# The day and month an article belongs to in browsing (datasette facet) and charts.
ARTICLE_DAY_SQL = "substr(coalesce(published, first_seen), 1, 10)"
ARTICLE_MONTH_SQL = "substr(coalesce(published, first_seen), 1, 7)"


@MIGRATIONS()
def m005_change_log_and_browsing(db: Database) -> None:
    """Change log for incremental exports; the `catalog` view and indexes for browsing.

    - ``article_changes``: one row per article, with the sequence number of its latest
      change (insert, update, a copy added or moved, delete as a tombstone).
    - ``catalog``: one row per story without its text, with a ``month`` column to facet on.
    - indexes behind datasette's facets and canned queries, so they answer on a million
      articles without scanning the article texts.
    """
    db.execute(
        "CREATE TABLE article_changes ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " article_id INTEGER NOT NULL UNIQUE,"
        " deleted INTEGER NOT NULL DEFAULT 0,"
        " changed_at TEXT NOT NULL)"
    )
    # archives made before this migration: every article is a change after cursor 0
    db.execute(
        "INSERT INTO article_changes (article_id, deleted, changed_at) "
        f"SELECT id, 0, {_NOW_SQL} FROM articles ORDER BY id"
    )
    _create_change_triggers(db)
    db.execute(
        "CREATE VIEW catalog AS SELECT id, title, site, site_name, author, language, "
        f"{ARTICLE_MONTH_SQL} AS month, published, copies, word_count, first_seen, "
        "last_seen, canonical_url FROM articles"
    )
    db.table("articles").create_index(["first_seen"], if_not_exists=True)
    db.table("articles").create_index(["copies"], if_not_exists=True)
    db.table("articles").create_index(["language"], if_not_exists=True)
    db.table("articles").create_index(["author"], if_not_exists=True)
    # expression indexes serve the month facet and the per-day-per-site chart from the
    # index alone (SQLite uses them when a query repeats the expression exactly)
    db.execute(f"CREATE INDEX IF NOT EXISTS idx_articles_month ON articles ({ARTICLE_MONTH_SQL})")
    db.execute(
        f"CREATE INDEX IF NOT EXISTS idx_articles_day_site ON articles ({ARTICLE_DAY_SQL}, site)"
    )


@MIGRATIONS()
def m006_cheaper_crawl_writes(db: Database) -> None:
    """Triggers that take work off the crawl's writer (issue 10).

    - The full-text index of an article was rebuilt on every UPDATE of the row, so each
      copy of a story (which changes only ``copies`` and ``last_seen``) re-tokenised the
      whole text: now only an update of an indexed column re-indexes it.
    - ``site_line_counts`` is kept by a trigger on ``site_lines``: an INSERT OR IGNORE
      that finds the (line, story) pair already there fires nothing, so a page's lines
      are learned in one executemany instead of two statements per line.
    """
    columns = ", ".join(f"[{c}]" for c in FTS_COLUMNS)
    old = ", ".join(f"old.[{c}]" for c in FTS_COLUMNS)
    new = ", ".join(f"new.[{c}]" for c in FTS_COLUMNS)
    db.execute("DROP TRIGGER IF EXISTS [articles_au]")
    db.execute(
        f"CREATE TRIGGER [articles_au] AFTER UPDATE OF {columns} ON [articles] BEGIN"
        f" INSERT INTO [articles_fts] ([articles_fts], rowid, {columns})"
        f" VALUES ('delete', old.rowid, {old});"
        f" INSERT INTO [articles_fts] (rowid, {columns}) VALUES (new.rowid, {new}); END"
    )
    db.execute(
        "CREATE TRIGGER [site_lines_count] AFTER INSERT ON [site_lines] BEGIN"
        " INSERT INTO site_line_counts (site, line_key, stories)"
        " VALUES (NEW.site, NEW.line_key, 1)"
        " ON CONFLICT (site, line_key) DO UPDATE SET stories = stories + 1; END"
    )


@MIGRATIONS()
def m007_page_failures(db: Database) -> None:
    """``page_failures``: pages a crawl fetched but could not extract or store (an
    extraction past its deadline, a page that kills its worker, more elements than the
    cap, a row the archive refused), so that a person can see which and why instead of
    a count alone. Pages that are simply not articles are not failures."""
    db.table("page_failures").create(
        {
            "id": int,
            "crawl_id": int,
            "url": str,
            "reason": str,  # extract_timeout | extractor_crashed | too_many_elements | store
            "detail": str,
            "failed_at": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
    )
    db.table("page_failures").create_index(["url"])


# Primary SQLite result codes that say the archive file cannot take a write right now,
# whatever is being written: retrying the same rows later can succeed, skipping them
# would lose them. Any other error (a constraint, a bad value) belongs to one row.
_ARCHIVE_FAULT_CODES = (
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_READONLY",
    "SQLITE_CORRUPT",
    "SQLITE_CANTOPEN",
    "SQLITE_NOMEM",
    "SQLITE_PROTOCOL",
    "SQLITE_NOTADB",
)


def inserted_rowid(cursor: sqlite3.Cursor) -> int:
    """The rowid an INSERT on ``cursor`` gave its row (tables keyed by INTEGER PRIMARY KEY:
    the new id)."""
    rowid = cursor.lastrowid
    assert isinstance(rowid, int), rowid
    return rowid


def is_archive_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure of the archive file itself (disk full, I/O error,
    lock held past the busy timeout) rather than of the row being written."""
    if isinstance(exc, ArchiveLocked | ArchiveWriteFailed | MemoryError):
        return True
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        return name.startswith(_ARCHIVE_FAULT_CODES) or "disk is full" in str(exc)
    return False


def _connect(path: Path, *, readonly: bool, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = connect_readonly(path) if readonly else sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    except sqlite3.Error:
        conn.close()  # a corrupt file fails here; the caller never gets the connection
        raise
    return conn


def on_readonly_media(path: str | Path) -> bool:
    """Whether the archive at ``path`` lies where nothing can write (a read-only mount, a
    DVD, a folder without write permission): then no crawl can change it, and a reader
    cannot create the WAL's -shm file beside it."""
    return not os.access(Path(path).parent, os.W_OK)


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A connection that can only read the SQLite file at ``path``, also on read-only
    media.

    :raises sqlite3.Error: the file cannot be opened or is not a database
    """
    path = Path(path)
    try:
        return _connect_readonly(path, immutable=False)
    except sqlite3.OperationalError:
        if not on_readonly_media(path):
            raise
        # Read-only media (a DVD, a read-only mount or share): a WAL archive's reader
        # must create the -shm file beside it, which fails there with "unable to open
        # database file". Nothing can write such a file, so SQLite may take it as
        # immutable: no locks, no -shm. (A checkpointed archive has no -wal to lose.)
        return _connect_readonly(path, immutable=True)


def _connect_readonly(path: Path, *, immutable: bool) -> sqlite3.Connection:
    # mode=ro: a reader can never write, even by accident; WAL lets it read during a crawl
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)
    try:
        conn.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


# The first 16 bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_is_sqlite(path: Path) -> None:
    """Refuse a file that is not an SQLite database, before SQLite is asked to use it.

    An empty file is a new database to SQLite, so it passes.

    :param path: the file, which may not exist yet
    :raises NotAnArchive: the file holds something other than an SQLite database
    """
    try:
        with path.open("rb") as f:
            header = f.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ArchiveError(f"cannot read archive {path}: {exc.strerror or exc}") from exc
    if header and header != _SQLITE_HEADER:
        raise NotAnArchive(f"{path} is not a reprint archive (not an SQLite database)")


def _count_tables(db: Database, path: Path) -> int:
    """Read the schema once, so a file SQLite cannot read fails here with a named error
    rather than with a bare sqlite3 error at the first query.

    :param db: a connection to ``path``
    :param path: the file, for the messages
    :raises NotAnArchive: SQLite cannot read the file (truncated, corrupt)
    :raises ArchiveLocked: another process holds a lock past the busy timeout
    """
    try:
        count: int = db.execute(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise _unreadable(exc, path) from exc
    return count


def _unreadable(exc: sqlite3.DatabaseError, path: Path) -> ArchiveError:
    """The named error for an SQLite error met while first reading ``path``.

    :param exc: the error SQLite raised
    :param path: the file, for the message
    """
    if "locked" in str(exc) or "busy" in str(exc):  # a writer's lock, not a bad file
        return ArchiveLocked(f"archive is locked by another process: {path}")
    return NotAnArchive(f"{path} is not a readable SQLite database: {exc}")


def _check_writable_archive(db: Database, path: Path) -> None:
    """Refuse to write to a database that reprint did not make, or that a newer reprint
    wrote. Reads only: it runs before WAL is switched on or any migration is applied, so
    a refused file is left exactly as it was.

    :param db: a writable connection to ``path`` on which nothing was written yet
    :param path: the file, for the messages
    :raises NotAnArchive: the database has tables but no record of reprint's migrations
        (another application's file), or SQLite cannot read it (truncated, corrupt)
    :raises ArchiveTooNew: it records a reprint migration this code does not define
    :raises ArchiveLocked: another process holds a lock past the busy timeout
    """
    if not _count_tables(db, path):
        return  # a new (or empty) file: the migrations create the archive
    applied = [m.name for m in MIGRATIONS.applied(db)]
    if not applied:
        raise NotAnArchive(
            f"{path} is not a reprint archive (an SQLite database with tables but no "
            "reprint migrations); refusing to write to it"
        )
    # Migrations has no public list of the names it defines; pending() only names those
    # not yet applied, which cannot tell an unknown name from a known applied one
    known = {m.name for m in MIGRATIONS._migrations}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise ArchiveTooNew(
            f"archive {path} was written by a newer reprint (migration "
            f"{', '.join(unknown)}); upgrade reprint to write to it"
        )


def open_archive(
    path: str | Path,
    *,
    readonly: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    cache_mb: int = WRITER_CACHE_MB,
) -> Database:
    """Open (and when writable, create or migrate) the archive at ``path``.

    :param path: the SQLite file
    :param readonly: open without write access; the file must exist
    :param busy_timeout_ms: how long a statement waits for another writer's lock
    :param cache_mb: SQLite page cache of a writable connection
    :raises ArchiveNotFound: readonly and the file is missing
    :raises ArchiveLocked: another writer kept the lock past the busy timeout
    :raises NotAnArchive: the file is not an SQLite database, or (writable) is another
        application's database; the file is not changed
    :raises ArchiveTooNew: writable, and a newer reprint wrote the archive; the file is
        not changed (read-only opening still works)
    """
    path = Path(path)
    if readonly and not path.exists():
        raise ArchiveNotFound(f"archive not found: {path}")
    _check_is_sqlite(path)
    if not readonly:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = _connect(path, readonly=readonly, busy_timeout_ms=busy_timeout_ms)
    except sqlite3.DatabaseError as exc:  # a PRAGMA reads the header of a corrupt file
        raise _unreadable(exc, path) from exc
    db = Database(conn)
    try:
        if readonly:
            _count_tables(db, path)
            return db
        # before anything writes (WAL, migrations): a refused file must stay untouched
        _check_writable_archive(db, path)
    except ArchiveError:
        db.close()
        raise
    try:
        # WAL: readers (search, datasette) keep working while a crawl writes
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(f"PRAGMA cache_size = -{int(cache_mb) * 1024}")
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
    :raises ArchiveWriteFailed: the COMMIT failed (disk full, I/O error): nothing of the
        block is stored
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
    try:
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        # e.g. the disk filled while the journal was written: nothing of the block is
        # stored, and the caller must hear it (a COMMIT error leaves the transaction open)
        if db.conn.in_transaction:
            db.rollback()
        raise ArchiveWriteFailed(f"the archive did not take the commit: {exc}") from exc


def close_writer(db: Database) -> bool:
    """Close a writing connection, leaving every write in the archive file itself.

    In WAL mode, commits go to the ``-wal`` file beside the archive; SQLite copies them
    into the archive file only at a checkpoint, which the last connection to close runs.
    A reader open during a crawl (datasette, a search, the crawl's own lookups) makes
    the crawl's writer not the last: its pages would stay in the ``-wal``, and a copy
    of the archive file alone (a backup, a download) would miss them; a read-only
    reader closing last cannot copy them either. So a writer copies them itself before
    it closes (TRUNCATE: and empties the ``-wal``), waiting up to the busy timeout for
    a reader in a query.

    :returns: whether the archive file holds every write; False when a reader kept a
        snapshot past the busy timeout, or the checkpoint failed (the writes are safe in
        the ``-wal``, and the next checkpoint copies them)
    """
    try:
        busy, _wal_pages, _copied = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        reason = "a reader kept reading past the busy timeout" if busy else ""
    except sqlite3.Error as exc:
        reason = str(exc)
    finally:
        db.close()
    if reason:
        logger.warning(
            "the last writes stay in the archive's -wal file (%s): copy it with the "
            "archive, or let the next writer fold it in",
            reason,
        )
    return not reason
