"""Articles as clusters of pages (the cluster policy): placing a stored page into the
article it copies (or a new one), merging articles one page shows to be one story, and
refreshing an article from its pages. An article shows the text and metadata of its
representative page (:func:`choose_representative`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archive.dates import as_utc
from archive.db import inserted_rowid
from archive.dedup.match import PageFacts, page_similarities, place_page
from archive.urls import normalize_url

if TYPE_CHECKING:
    from sqlite_utils import Database

    from archive.dedup.minhash import DedupParams, Signature

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


def _published_key(value: str | None) -> float:
    parsed = as_utc(value)  # date-only or naive: read as UTC
    return float("inf") if parsed is None else parsed.timestamp()


def choose_representative(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick the page whose text and metadata an article shows.

    Prefer, in order: the page other copies' rel=canonical points to, the page whose URL
    is its own canonical URL, the earliest published, the most complete text; the oldest
    row breaks remaining ties.

    The first design put self-canonical first; but syndicators often declare their own copy
    canonical while originals may declare nothing, and then a syndicator won. Copies
    pointing at a page are stronger evidence of the original than a page's claim about
    itself, so they rank first (in the generated syndication corpus the original
    represented 93.5% of stories with the old order).

    :param pages: rows of ``pages`` with url, canonical_url, published, word_count, id
    """
    pointed: dict[str, int] = {}
    for page in pages:
        target = _canonical_of(page)
        if target and target != page["url"]:
            pointed[target] = pointed.get(target, 0) + 1
    return min(pages, key=lambda page: _rank(page, pointed.get(page["url"], 0)))


def _canonical_of(page: dict[str, Any]) -> str | None:
    # canonical_key is the stored normalised form (courlan costs ~70 us a call)
    return page.get("canonical_key") or (
        normalize_url(page["canonical_url"]) if page["canonical_url"] else None
    )


def _rank(page: dict[str, Any], pointed: int) -> tuple[Any, ...]:
    """The order of :func:`choose_representative` (smallest first), for a page that
    ``pointed`` other copies name as their canonical."""
    return (
        -pointed,
        _canonical_of(page) != page["url"],
        _published_key(page["published"]),
        -(page["word_count"] or 0),
        page["id"],
    )


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
    _write_article(
        db,
        article_id,
        _current_article(db, article_id),
        best["id"],
        copies=len(pages),
        first_seen=min(p["first_seen"] for p in pages),
        last_seen=max(p["fetched_at"] for p in pages),
        changed_pages=changed_pages,
    )


def _current_article(db: Database, article_id: int) -> dict[str, Any]:
    row = db.execute(_ARTICLE_SQL, [article_id]).fetchone()
    return dict(zip((*_ARTICLE_STATE, *ARTICLE_FIELDS_FROM_PAGE), row, strict=True))


def _write_article(
    db: Database,
    article_id: int,
    current: dict[str, Any],
    best_id: int,
    *,
    copies: int,
    first_seen: str,
    last_seen: str,
    changed_pages: tuple[int, ...] | None,
) -> None:
    """Set the article's representative and counts, writing only the columns that change,
    and the similarities that may have changed."""
    wanted = dict(
        zip(
            ARTICLE_FIELDS_FROM_PAGE,
            db.execute(_PAGE_FIELDS_SQL, [best_id]).fetchone(),
            strict=True,
        )
    )
    wanted.update(
        representative_page_id=best_id,
        copies=copies,
        first_seen=first_seen,
        last_seen=last_seen,
    )
    changed = {name: value for name, value in wanted.items() if current[name] != value}
    if changed:
        assignments = ", ".join(f"[{name}] = ?" for name in changed)
        db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*changed.values(), article_id]
        )
    # similarity is to the representative, so it changes whenever the representative does
    same_text = current["representative_page_id"] == best_id and "text_hash" not in changed
    similarities = page_similarities(
        db, article_id, best_id, only=changed_pages if same_text else None
    )
    db.conn.executemany(
        "UPDATE pages SET similarity = ? WHERE id = ?",
        [(sim, page_id) for page_id, sim in similarities.items()],
    )


_RANK_ROW_SQL = f"SELECT {', '.join(_RANK_COLUMNS)} FROM pages WHERE id = ?"
# pages of an article naming ``url`` as their canonical, other than the page at ``url``
_POINTERS_SQL = "SELECT COUNT(*) FROM pages WHERE article_id = ? AND canonical_key = ? AND url != ?"


def refresh_after_join(db: Database, article_id: int, page_id: int) -> None:
    """:func:`refresh_article` for the commonest change, a new page joining an article,
    without reading the article's other copies.

    Only three pages can become the representative: the current one, the new page, and
    the page the new one names as its canonical (its count of pointing copies grows by
    one). Every other page ranks as it did, behind the current representative. So those
    three are ranked, the copies counted up and the dates widened. Refreshing from all
    copies cost O(copies) a page: at 20,000 pages of 115 stories (~170 copies each) it
    doubled the crawl's main-process time per page (issue 10).

    :param page_id: a page stored for the first time, now in ``article_id``
    """
    current = _current_article(db, article_id)
    representative = current["representative_page_id"]
    if representative is None or representative == page_id:
        refresh_article(db, article_id, changed_pages=(page_id,))
        return
    new = _rank_row(db, page_id)
    ids = {representative, page_id}
    target = _canonical_of(new)
    if target:
        ids.update(
            row[0]
            for row in db.execute(
                "SELECT id FROM pages WHERE article_id = ? AND url = ?", [article_id, target]
            )
        )
    candidates = [new if page == page_id else _rank_row(db, page) for page in ids]
    best = min(
        candidates,
        key=lambda page: _rank(
            page, db.execute(_POINTERS_SQL, [article_id, page["url"], page["url"]]).fetchone()[0]
        ),
    )
    _write_article(
        db,
        article_id,
        current,
        best["id"],
        copies=current["copies"] + 1,
        first_seen=min(current["first_seen"], new["first_seen"]),
        last_seen=max(current["last_seen"], new["fetched_at"]),
        changed_pages=(page_id,),
    )


def _rank_row(db: Database, page_id: int) -> dict[str, Any]:
    return dict(zip(_RANK_COLUMNS, db.execute(_RANK_ROW_SQL, [page_id]).fetchone(), strict=True))


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
        article_id = inserted_rowid(
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
    if match is not None and not merged and previous_article_id is None:
        refresh_after_join(db, article_id, page_id)
    else:
        refresh_article(db, article_id, changed_pages=None if merged else (page_id,))
    for emptied in {previous_article_id, *merged}:
        if emptied is not None and emptied != article_id:
            refresh_article(db, emptied)
    return article_id, match is None
