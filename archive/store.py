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
from functools import cache
from typing import TYPE_CHECKING, Any

import zstandard

from archive.dates import as_utc
from archive.db import write_transaction
from archive.dedup import PageFacts, index_params, page_similarities, place_page
from archive.metadata import now_iso
from archive.prepare import PreparedPage, compress_raw, prepare_page
from archive.sitelearn import learn_page
from archive.urls import normalize_url

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.db import Table

    from archive.dedup import DedupParams, Signature
    from archive.extract import Extracted

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


def _published_key(value: str | None) -> float:
    parsed = as_utc(value)  # date-only or naive: read as UTC
    return float("inf") if parsed is None else parsed.timestamp()


def choose_representative(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick the page whose text and metadata an article shows (DESIGN.md).

    Prefer, in order: the page other copies' rel=canonical points to, the page whose URL
    is its own canonical URL, the earliest published, the most complete text; the oldest
    row breaks remaining ties.

    DESIGN.md put self-canonical first; but syndicators often declare their own copy
    canonical while originals may declare nothing, and then a syndicator won. Copies
    pointing at a page are stronger evidence of the original than a page's claim about
    itself, so they rank first (in the generated syndication corpus the original
    represented 93.5% of stories with the old order).

    :param pages: rows of ``pages`` with url, canonical_url, published, word_count, id
    """
    canonical_of = {
        # canonical_key is the stored normalised form (courlan costs ~70 us a call)
        p["id"]: p.get("canonical_key")
        or (normalize_url(p["canonical_url"]) if p["canonical_url"] else None)
        for p in pages
    }
    pointed: dict[str, int] = {}
    for page in pages:
        target = canonical_of[page["id"]]
        if target and target != page["url"]:
            pointed[target] = pointed.get(target, 0) + 1

    def rank(page: dict[str, Any]) -> tuple[Any, ...]:
        return (
            -pointed.get(page["url"], 0),
            canonical_of[page["id"]] != page["url"],
            _published_key(page["published"]),
            -(page["word_count"] or 0),
            page["id"],
        )

    return min(pages, key=rank)


# What choosing a representative reads of each page: no text, so an article with many
# copies is refreshed without reading them all.
_RANK_COLUMNS = (
    "id",
    "url",
    "canonical_url",
    "canonical_key",
    "published",
    "word_count",
    "first_seen",
    "fetched_at",
)
_RANK_SQL = f"SELECT {', '.join(_RANK_COLUMNS)} FROM pages WHERE article_id = ? ORDER BY id"
_ARTICLE_STATE = ("representative_page_id", "copies", "first_seen", "last_seen")
_ARTICLE_SQL = (
    f"SELECT {', '.join((*_ARTICLE_STATE, *ARTICLE_FIELDS_FROM_PAGE))} FROM articles WHERE id = ?"
)
_PAGE_FIELDS_SQL = f"SELECT {', '.join(ARTICLE_FIELDS_FROM_PAGE)} FROM pages WHERE id = ?"


def refresh_article(
    db: Database, article_id: int, *, changed_pages: tuple[int, ...] | None = None
) -> None:
    """Recompute an article from its pages: representative, copies, first/last seen.

    Only the columns whose value changes are written: an update that leaves title,
    author and text alone does not re-index the article's text (migration m006). An
    article left with no page is deleted.

    :param changed_pages: the pages stored or moved since the last refresh; when the
        representative stays the same only their similarities are recomputed (None: all)
    """
    pages = [
        dict(zip(_RANK_COLUMNS, row, strict=True)) for row in db.execute(_RANK_SQL, [article_id])
    ]
    if not pages:
        db.execute("DELETE FROM articles WHERE id = ?", [article_id])
        return
    best = choose_representative(pages)
    current_row = db.execute(_ARTICLE_SQL, [article_id]).fetchone()
    current = dict(zip((*_ARTICLE_STATE, *ARTICLE_FIELDS_FROM_PAGE), current_row, strict=True))
    wanted = dict(
        zip(
            ARTICLE_FIELDS_FROM_PAGE,
            db.execute(_PAGE_FIELDS_SQL, [best["id"]]).fetchone(),
            strict=True,
        )
    )
    wanted.update(
        representative_page_id=best["id"],
        copies=len(pages),
        first_seen=min(p["first_seen"] for p in pages),
        last_seen=max(p["fetched_at"] for p in pages),
    )
    changed = {name: value for name, value in wanted.items() if current[name] != value}
    if changed:
        assignments = ", ".join(f"[{name}] = ?" for name in changed)
        db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*changed.values(), article_id]
        )
    # similarity is to the representative, so it changes whenever the representative does
    same_text = current["representative_page_id"] == best["id"] and "text_hash" not in changed
    similarities = page_similarities(
        db, article_id, best["id"], only=changed_pages if same_text else None
    )
    db.conn.executemany(
        "UPDATE pages SET similarity = ? WHERE id = ?",
        [(sim, page_id) for page_id, sim in similarities.items()],
    )


def cluster_page(
    db: Database,
    page_id: int,
    facts: PageFacts,
    text: str,
    *,
    previous_article_id: int | None = None,
    new_article_id: int | None = None,
    params: DedupParams | None = None,
    sig: Signature | None = None,
    keys: list[int] | None = None,
) -> tuple[int, bool]:
    """Put a stored page into the article it copies, or a new one; index its text.

    Articles the page shows to be one story are merged into the one it joins, and every
    article touched is refreshed (representative, copies, similarities).

    :param db: the archive, inside a write transaction
    :param page_id: the page's row id
    :param facts: the page's URL, text hash, canonical URL and stated origin
    :param text: the page's clean text
    :param previous_article_id: the article the page was in before (re-saved page)
    :param new_article_id: id for the article when the page starts one (a rebuild keeps
        the ids users have seen); None: a new id
    :param params: the dedup index's parameters (read from the archive when None)
    :param sig: the text's signature with ``params``, when already computed
    :param keys: its band keys, computed with it
    :returns: (article id, whether the page started a new article)
    """
    # the row is stored first: the dedup index keys pages by id
    match = place_page(db, page_id, facts, text, params=params, sig=sig, keys=keys)
    merged: tuple[int, ...] = ()
    if match is None:
        (fetched_at,) = db.execute(
            "SELECT fetched_at FROM pages WHERE id = ?", [page_id]
        ).fetchone()
        # refresh_article below fills in the representative's fields; inserting the text
        # now would index it twice (insert, then the update that sets the title)
        article_id = _inserted_id_of(
            db.execute(
                # a rebuild reuses the id of an article row left from before it
                "INSERT OR REPLACE INTO articles (id, copies, first_seen, last_seen)"
                " VALUES (?, 0, ?, ?)",
                [new_article_id, fetched_at, fetched_at],
            )
        )
    else:
        article_id, merged = match.article_id, match.merge
        if merged:
            # one story stored twice: the oldest article survives, so the ids users saw
            # first stay valid (and a rebuild, placing pages in the same order, ends with
            # the same ids)
            ids = sorted({article_id, *merged})
            article_id, merged = ids[0], tuple(ids[1:])
    db.execute("UPDATE pages SET article_id = ? WHERE id = ?", [article_id, page_id])
    for other in merged:
        # the page is a copy of both: they were one story stored twice
        db.execute("UPDATE pages SET article_id = ? WHERE article_id = ?", [article_id, other])
    refresh_article(db, article_id, changed_pages=None if merged else (page_id,))
    for emptied in {previous_article_id, *merged}:
        if emptied is not None and emptied != article_id:
            refresh_article(db, emptied)
    return article_id, match is None


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
        page_id = _inserted_id_of(db.execute(_insert_page_sql(tuple(row)), list(row.values())))
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


def _inserted_id_of(cursor: Any) -> int:
    rowid = cursor.lastrowid
    assert isinstance(rowid, int), rowid
    return rowid


def _inserted_id(table: Table) -> int:
    # tables keyed by INTEGER PRIMARY KEY: the rowid of the insert
    pk = table.last_pk
    assert isinstance(pk, int), pk
    return pk


def start_crawl(db: Database, spider: str, args: dict[str, Any] | None = None) -> int:
    """Record the start of a crawl; return its id."""
    return _inserted_id(
        db.table("crawls").insert(
            {
                "spider": spider,
                "args": json.dumps(args or {}, sort_keys=True, default=str),
                "started": now_iso(),
                "status": "running",
                "pid": os.getpid(),
            }
        )
    )


def finish_crawl(db: Database, crawl_id: int, status: str, stats: dict[str, Any]) -> None:
    """Record the end of a crawl with its final status and Scrapy stats."""
    db.table("crawls").update(
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
        db.table("crawls").update(crawl_id, {"status": "interrupted"})
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
