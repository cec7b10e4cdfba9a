"""Writing to the archive: raw bodies, pages, articles and crawl records.

Every write is keyed by the normalised URL, so fetching a page again updates its row and
never adds one. An article is a cluster of pages; it shows the text and metadata of its
representative page, chosen by :func:`choose_representative`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import zstandard

from archive.dedup import find_article
from archive.metadata import now_iso
from archive.settings import ZSTD_LEVEL
from archive.sitelearn import learn_page, story_key
from archive.urls import normalize_url

if TYPE_CHECKING:
    from sqlite_utils import Database

    from archive.extract import Extracted

_compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
_decompressor = zstandard.ZstdDecompressor()

# Columns an article copies from its representative page.
ARTICLE_FIELDS_FROM_PAGE = (
    "title",
    "author",
    "published",
    "updated",
    "language",
    "text",
    "word_count",
    "site",
    "site_name",
    "canonical_url",
    "image",
    "tags",
    "description",
    "text_hash",
)


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
        packed = _compressor.compress(body)
        db["raw"].insert(
            {
                "sha256": digest,
                "content_type": content_type,
                "encoding": encoding,
                "size": len(body),
                "compressed_size": len(packed),
                "body": packed,
            },
            ignore=True,
        )
    return digest


def load_raw(db: Database, sha256: str) -> bytes:
    """Return the original bytes of a stored body.

    :raises KeyError: no body with that digest
    """
    row = db.execute("SELECT body FROM raw WHERE sha256 = ?", [sha256]).fetchone()
    if row is None:
        raise KeyError(f"no raw body with sha256 {sha256}")
    return _decompressor.decompress(row[0])


def _page_row(page: FetchedPage, crawl_id: int | None, raw_sha256: str) -> dict[str, Any]:
    ex = page.extracted
    return {
        # keyed by where the document lives: two links redirecting to it are one page
        "url": normalize_url(page.final_url),
        "requested_url": page.url,
        "final_url": page.final_url,
        "site": ex.site,
        "title": ex.title,
        "author": ex.author,
        "published": ex.published,
        "updated": ex.updated,
        "origin": ex.origin,
        "canonical_url": ex.canonical_url,
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
        "raw_sha256": raw_sha256,
    }


def _published_key(value: str | None) -> float:
    if not value:
        return float("inf")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return float("inf")
    if parsed.tzinfo is None:  # date-only or naive: read as UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def choose_representative(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick the page whose text and metadata an article shows (DESIGN.md).

    Prefer, in order: the page whose URL is its own canonical URL (the original
    publisher), the page other copies' rel=canonical points to, the earliest published,
    the most complete text; the oldest row breaks remaining ties.

    :param pages: rows of ``pages`` with url, canonical_url, published, word_count, id
    """
    canonical_of = {
        p["id"]: normalize_url(p["canonical_url"]) if p["canonical_url"] else None for p in pages
    }
    pointed: dict[str, int] = {}
    for page in pages:
        target = canonical_of[page["id"]]
        if target and target != page["url"]:
            pointed[target] = pointed.get(target, 0) + 1

    def rank(page: dict[str, Any]) -> tuple[Any, ...]:
        return (
            canonical_of[page["id"]] != page["url"],
            -pointed.get(page["url"], 0),
            _published_key(page["published"]),
            -(page["word_count"] or 0),
            page["id"],
        )

    return min(pages, key=rank)


def refresh_article(db: Database, article_id: int) -> None:
    """Recompute an article from its pages: representative, copies, first/last seen.

    An article left with no page is deleted.
    """
    pages = [
        dict(row)
        for row in db.query("SELECT * FROM pages WHERE article_id = ? ORDER BY id", [article_id])
    ]
    if not pages:
        db["articles"].delete_where("id = ?", [article_id])
        return
    best = choose_representative(pages)
    update = {field: best[field] for field in ARTICLE_FIELDS_FROM_PAGE}
    update.update(
        representative_page_id=best["id"],
        copies=len(pages),
        first_seen=min(p["first_seen"] for p in pages),
        last_seen=max(p["fetched_at"] for p in pages),
    )
    db["articles"].update(article_id, update)
    db.execute(
        "UPDATE pages SET similarity = CASE WHEN text_hash = ? THEN 1.0 ELSE similarity END"
        " WHERE article_id = ?",
        [best["text_hash"], article_id],
    )


def save_page(db: Database, page: FetchedPage, crawl_id: int | None = None) -> SaveResult:
    """Store one fetched page: its raw body, its page row and its article.

    Call inside a transaction (:func:`archive.db.write_transaction`) to batch writes.

    :param db: the archive, opened writable
    :param page: the fetched page with its extraction
    :param crawl_id: the crawl that fetched it
    """
    ex = page.extracted
    raw_sha = save_raw(db, page.body, page.content_type, ex.encoding)
    row = _page_row(page, crawl_id, raw_sha)
    existing = db.execute(
        "SELECT id, article_id, text_hash, first_seen FROM pages WHERE url = ?", [row["url"]]
    ).fetchone()
    old_article_id = existing[1] if existing else None
    text_changed = bool(existing) and existing[2] != ex.text_hash

    if existing and not text_changed and old_article_id is not None:
        article_id, similarity, new_article = old_article_id, None, False
    else:
        match = find_article(db, ex.text_hash, exclude_page_id=existing[0] if existing else None)
        if match is None:
            article_id = (
                db["articles"]
                .insert(
                    {
                        "text": ex.text,
                        "text_hash": ex.text_hash,
                        "copies": 0,
                        "first_seen": row["fetched_at"],
                        "last_seen": row["fetched_at"],
                    }
                )
                .last_pk
            )
            similarity, new_article = 1.0, True
        else:
            article_id, similarity, new_article = match.article_id, match.similarity, False
    row["article_id"] = article_id
    if similarity is not None:
        row["similarity"] = similarity

    if existing:
        page_id = existing[0]
        db["pages"].update(page_id, row)
    else:
        row["first_seen"] = row["fetched_at"]
        page_id = db["pages"].insert(row).last_pk
    if ex.site:  # the site learns its boilerplate from every page stored (issue 4)
        learn_page(db, ex.site, story_key(row["url"], ex.canonical_url), ex.line_keys)
    refresh_article(db, article_id)
    if old_article_id is not None and old_article_id != article_id:
        refresh_article(db, old_article_id)
    return SaveResult(
        page_id=page_id,
        article_id=article_id,
        new_page=existing is None,
        new_article=new_article,
        text_changed=text_changed,
    )


def start_crawl(db: Database, spider: str, args: dict[str, Any] | None = None) -> int:
    """Record the start of a crawl; return its id."""
    return (
        db["crawls"]
        .insert(
            {
                "spider": spider,
                "args": json.dumps(args or {}, sort_keys=True, default=str),
                "started": now_iso(),
                "status": "running",
                "pid": os.getpid(),
            }
        )
        .last_pk
    )


def finish_crawl(db: Database, crawl_id: int, status: str, stats: dict[str, Any]) -> None:
    """Record the end of a crawl with its final status and Scrapy stats."""
    db["crawls"].update(
        crawl_id,
        {
            "finished": now_iso(),
            "status": status,
            "stats": json.dumps(stats, sort_keys=True, default=str),
        },
    )


def mark_interrupted(db: Database) -> int:
    """Mark crawls left 'running' by a process that no longer exists as 'interrupted'.

    :returns: how many crawls were marked
    """
    marked = 0
    for crawl_id, pid in db.execute(
        "SELECT id, pid FROM crawls WHERE status = 'running'"
    ).fetchall():
        if pid and _process_alive(pid):
            continue
        db["crawls"].update(crawl_id, {"status": "interrupted"})
        marked += 1
    return marked


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
