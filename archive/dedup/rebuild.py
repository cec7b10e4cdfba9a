"""Recomputing the dedup index and the article clusters from the stored page texts.

Used by ``reprint dedupe``: after the dedup parameters change (archive/
settings.py), after a reprint with a better matcher, or to repair an index. Pages are
placed again in the order they were first stored, exactly as the crawl placed them, so
a rebuild with unchanged parameters gives the clusters an incremental crawl gives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.db import write_transaction
from archive.dedup.cluster import cluster_page
from archive.dedup.index import set_index_params
from archive.dedup.match import PageFacts
from archive.dedup.minhash import DEFAULT_PARAMS, DedupParams

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlite_utils import Database

# Pages read per query while rebuilding: bounded memory whatever the archive's size.
REBUILD_BATCH = 500


@dataclass(frozen=True, slots=True)
class RebuildSummary:
    """What a rebuild did."""

    pages: int  # pages placed again
    articles_before: int
    articles_after: int
    pages_moved: int  # pages now in another article than before
    seconds: float


def rebuild_clusters(
    db: Database,
    progress: Callable[[int, int], None] | None = None,
    *,
    params: DedupParams | None = None,
) -> RebuildSummary:
    """Rebuild the dedup index and every article's pages from the stored clean texts.

    Runs in one write transaction (readers keep the old clusters until it commits; the
    WAL grows by about the size of the index and the pages table). Article ids are kept
    where the cluster still holds the pages of the old article, so links stay valid.

    :param db: the archive, opened writable, not inside a transaction
    :param progress: called with (pages done, pages in all) after each batch
    :param params: dedup parameters to build with; default: archive/settings.py's
    :raises archive.errors.ArchiveLocked: another writer held the lock too long
    """
    params = params or DEFAULT_PARAMS
    started = time.perf_counter()
    with write_transaction(db):
        total = db.execute("SELECT count(*) FROM pages").fetchone()[0]
        articles_before = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        db.execute("DROP TABLE IF EXISTS temp.rebuild_previous")
        db.execute(
            "CREATE TEMP TABLE rebuild_previous AS SELECT id AS page_id, article_id FROM pages"
        )
        db.execute("CREATE UNIQUE INDEX temp.rebuild_previous_page ON rebuild_previous (page_id)")
        db.execute("DELETE FROM dedup_bands")
        db.execute("DELETE FROM dedup_signatures")
        set_index_params(db, params)
        db.execute("UPDATE pages SET article_id = NULL, similarity = NULL")

        done = 0
        last_id = 0
        while True:
            batch = db.execute(
                "SELECT p.id, p.url, p.text, p.text_hash, p.canonical_key, p.origin,"
                " r.article_id FROM pages p JOIN rebuild_previous r ON r.page_id = p.id"
                " WHERE p.id > ? ORDER BY p.id LIMIT ?",
                [last_id, REBUILD_BATCH],
            ).fetchall()
            if not batch:
                break
            for page_id, url, text, text_hash, canonical, origin, previous in batch:
                facts = PageFacts(url, text_hash, canonical, origin)
                # the page's old article id is kept for its new cluster unless a page
                # placed earlier in this rebuild took it already
                reuse = None
                if (
                    previous is not None
                    and not db.execute(
                        "SELECT 1 FROM pages WHERE article_id = ? LIMIT 1", [previous]
                    ).fetchone()
                ):
                    reuse = previous
                cluster_page(db, page_id, facts, text or "", new_article_id=reuse, params=params)
            done += len(batch)
            last_id = batch[-1][0]
            if progress:
                progress(done, total)

        # old articles whose pages all went elsewhere
        db.execute(
            "DELETE FROM articles WHERE id NOT IN"
            " (SELECT article_id FROM pages WHERE article_id IS NOT NULL)"
        )
        moved = db.execute(
            "SELECT count(*) FROM pages p JOIN rebuild_previous r ON r.page_id = p.id"
            " WHERE p.article_id IS NOT r.article_id"
        ).fetchone()[0]
        articles_after = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        db.execute("DROP TABLE temp.rebuild_previous")
    return RebuildSummary(
        pages=total,
        articles_before=articles_before,
        articles_after=articles_after,
        pages_moved=moved,
        seconds=round(time.perf_counter() - started, 3),
    )
