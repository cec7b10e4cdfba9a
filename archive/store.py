"""Storing fetched pages: raw bodies and page rows, each page then placed in its article
(archive/dedup/cluster.py).

Every write is keyed by the normalised URL, so fetching a page again updates its row and
never adds one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import zstandard

from archive.db import inserted_rowid, is_archive_fault, write_transaction
from archive.dedup.cluster import cluster_page, refresh_article
from archive.dedup.index import index_params
from archive.dedup.match import PageFacts
from archive.errors import ArchiveError, ArchiveWriteFailed, PageRefused
from archive.metadata import now_iso
from archive.prepare import PreparedPage, compress_raw, prepare_page
from archive.sitelearn import learn_page

if TYPE_CHECKING:
    from sqlite_utils import Database

    from archive.extract import Extracted

_decompressor = zstandard.ZstdDecompressor()


@dataclass(slots=True)
class FetchedPage:
    """One fetched page and what was extracted from it, ready to store."""

    url: str  # as requested (before redirects)
    final_url: str
    body: bytes
    extracted: Extracted
    http_status: int = 200
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str | None = None
    source: str | None = None  # the feed/sitemap/section page that listed it
    # computed in the extraction worker (archive/prepare.py); None: computed when saved
    prepared: PreparedPage | None = None


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What storing one page did."""

    page_id: int
    article_id: int
    new_page: bool  # the URL was not archived before
    new_article: bool  # the page started a new article (not a copy of a stored one)
    text_changed: bool  # the URL was archived with a different text


def save_raw(db: Database, body: bytes, content_type: str | None, encoding: str | None) -> str:
    """Store a response body zstd-compressed, once per distinct content; return its sha256."""
    digest = hashlib.sha256(body).hexdigest()
    if not db.execute("SELECT 1 FROM raw WHERE sha256 = ?", [digest]).fetchone():
        _insert_raw(db, digest, len(body), compress_raw(body), content_type, encoding)
    return digest


def _insert_raw(
    db: Database,
    digest: str,
    size: int,
    packed: bytes,
    content_type: str | None,
    encoding: str | None,
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO raw (sha256, content_type, encoding, size, compressed_size, body)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [digest, content_type, encoding, size, len(packed), packed],
    )


def load_raw(db: Database, sha256: str) -> bytes:
    """Return the original bytes of a stored body.

    :raises KeyError: no body with that digest
    """
    row = db.execute("SELECT body FROM raw WHERE sha256 = ?", [sha256]).fetchone()
    if row is None:
        raise KeyError(f"no raw body with sha256 {sha256}")
    return _decompressor.decompress(row[0])


def _page_row(page: FetchedPage, crawl_id: int | None, prepared: PreparedPage) -> dict[str, Any]:
    ex = page.extracted
    return {
        # keyed by where the document lives: two links redirecting to it are one page
        "url": prepared.url_key,
        "requested_url": page.url,
        "final_url": page.final_url,
        "site": ex.site,
        "title": ex.title,
        "author": ex.author,
        "published": ex.published,
        "updated": ex.updated,
        "origin": ex.origin,
        "canonical_url": ex.canonical_url,
        # normalised, so a page can find the copies whose canonical points at it
        "canonical_key": prepared.canonical_key,
        "language": ex.language,
        "site_name": ex.site_name,
        "image": ex.image,
        "tags": json.dumps(ex.tags, ensure_ascii=False),
        "description": ex.description,
        "text": ex.text,
        "word_count": ex.word_count,
        "text_hash": ex.text_hash,
        "http_status": page.http_status,
        "content_type": page.content_type,
        "etag": page.etag,
        "last_modified": page.last_modified,
        "fetched_at": page.fetched_at or now_iso(),
        "source": page.source,
        "crawl_id": crawl_id,
        "raw_sha256": prepared.raw_sha256,
    }


def save_page(db: Database, page: FetchedPage, crawl_id: int | None = None) -> SaveResult:
    """Store one fetched page: its raw body, its page row and its article.

    Called inside a transaction (:func:`archive.db.write_transaction`), it joins it, so
    callers batch many pages in one commit; called outside one, it commits on its own.

    :param db: the archive, opened writable
    :param page: the fetched page with its extraction
    :param crawl_id: the crawl that fetched it
    """
    if not db.conn.in_transaction:
        with write_transaction(db):
            return _save_page(db, page, crawl_id)
    return _save_page(db, page, crawl_id)


def save_page_alone(db: Database, page: FetchedPage, crawl_id: int | None = None) -> SaveResult:
    """Store one page of a batch in its own savepoint, inside the batch's transaction: a
    page the archive refuses costs only itself, and what failed is told apart, the page
    (the batch goes on) or the archive (the batch fails and is kept to be written again).
    The crawl's pipeline and the distributed writer both store their batches this way.

    :raises PageRefused: the page itself cannot be stored; nothing of it was written
    :raises ArchiveWriteFailed: the archive file refused the write (disk full, I/O error,
        a lock held past the busy timeout)
    :raises ArchiveError: the archive cannot be used as it is (e.g. its dedup index)
    """
    try:
        with db.atomic():
            return save_page(db, page, crawl_id)
    except ArchiveError:
        raise  # the archive, not the page, is at fault: every page would fail alike
    except Exception as exc:
        if is_archive_fault(exc):
            raise ArchiveWriteFailed(f"the archive refused a write: {exc}") from exc
        raise PageRefused(page.url, exc) from exc


def _save_page(db: Database, page: FetchedPage, crawl_id: int | None) -> SaveResult:
    ex = page.extracted
    params = index_params(db)
    prepared = page.prepared
    if prepared is None or prepared.params != params:
        prepared = prepare_page(page.body, page.final_url, ex, params)
    # the body is compressed already: INSERT OR IGNORE skips one stored before
    _insert_raw(
        db,
        prepared.raw_sha256,
        prepared.raw_size,
        prepared.raw_packed,
        page.content_type,
        ex.encoding,
    )
    row = _page_row(page, crawl_id, prepared)
    existing = db.execute(
        "SELECT id, article_id, text_hash, first_seen FROM pages WHERE url = ?", [row["url"]]
    ).fetchone()
    old_article_id = existing[1] if existing else None
    text_changed = bool(existing) and existing[2] != ex.text_hash

    if existing:
        page_id = existing[0]
        row["article_id"] = old_article_id
        db.execute(_update_page_sql(tuple(row)), [*row.values(), page_id])
    else:
        row["first_seen"] = row["fetched_at"]
        page_id = inserted_rowid(db.execute(_insert_page_sql(tuple(row)), list(row.values())))
    if ex.site:  # the site learns its boilerplate from every page stored (issue 4)
        learn_page(db, ex.site, prepared.story, ex.line_keys)

    if existing and not text_changed and old_article_id is not None:
        article_id, new_article = old_article_id, False
        refresh_article(db, article_id, changed_pages=(page_id,))
    else:
        facts = PageFacts(
            url=row["url"],
            text_hash=ex.text_hash,
            canonical_key=row["canonical_key"],
            origin=ex.origin,
        )
        article_id, new_article = cluster_page(
            db,
            page_id,
            facts,
            ex.text,
            previous_article_id=old_article_id,
            params=params,
            sig=prepared.signature,
            keys=prepared.band_keys,
        )
    return SaveResult(
        page_id=page_id,
        article_id=article_id,
        new_page=existing is None,
        new_article=new_article,
        text_changed=text_changed,
    )


@cache
def _insert_page_sql(columns: tuple[str, ...]) -> str:
    names = ", ".join(f"[{c}]" for c in columns)
    return f"INSERT INTO pages ({names}) VALUES ({', '.join('?' * len(columns))})"


@cache
def _update_page_sql(columns: tuple[str, ...]) -> str:
    return f"UPDATE pages SET {', '.join(f'[{c}] = ?' for c in columns)} WHERE id = ?"
