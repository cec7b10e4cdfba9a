"""The LSH index in SQLite (``dedup_bands``, ``dedup_signatures``, ``dedup_meta``): pages
sharing a band key with a new page are its candidates, read from disk, so nothing of the
archive is held in memory and the index serves every process and every crawl run.

An index records the parameters it was built with (``dedup_meta``): signatures made with
other parameters cannot be compared, so a changed default takes effect through
:func:`archive.dedup.rebuild.rebuild_clusters`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import rensa

from archive.dedup.minhash import (
    CHANCE,
    DEFAULT_PARAMS,
    DedupParams,
    Signature,
    band_keys,
)
from archive.errors import DedupIndexError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlite_utils import Database


def create_index_tables(db: Database, params: DedupParams = DEFAULT_PARAMS) -> None:
    """Create the dedup index tables (migration m004) and record ``params``.

    ``dedup_bands`` is WITHOUT ROWID with the key first: a lookup is one B-tree descent
    and the table is its own index (half the bytes of a rowid table plus an index).
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS dedup_signatures ("
        " page_id INTEGER PRIMARY KEY,"  # pages.id; no FK so that benchmarks can fill it
        " shingles INTEGER NOT NULL,"
        " minhash BLOB NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS dedup_bands ("
        " key INTEGER NOT NULL, page_id INTEGER NOT NULL,"
        " PRIMARY KEY (key, page_id)) WITHOUT ROWID"
    )
    db.execute("CREATE TABLE IF NOT EXISTS dedup_meta (name TEXT PRIMARY KEY, value TEXT)")
    set_index_params(db, params)


def set_index_params(db: Database, params: DedupParams) -> None:
    """Record the parameters the index is built with (call on an empty index)."""
    db.execute(
        "INSERT OR REPLACE INTO dedup_meta (name, value) VALUES ('params', ?)",
        [params.to_json()],
    )
    _params_cache.clear()


_params_cache: dict[str, DedupParams] = {}


def index_params(db: Database) -> DedupParams:
    """Return the parameters the archive's index was built with.

    :raises DedupIndexError: the archive has no dedup index (not migrated), or one
        built with another rensa MinHash algorithm
    """
    row = db.execute("SELECT value FROM dedup_meta WHERE name = 'params'").fetchone()
    if row is None:
        raise DedupIndexError("the archive has no dedup index parameters (dedup_meta)")
    params = _params_cache.get(row[0])
    if params is None:
        params = DedupParams.from_json(row[0])
        if params.algorithm != rensa.RMinHash.ALGORITHM_VERSION:
            raise DedupIndexError(
                f"the dedup index was built with MinHash algorithm {params.algorithm} of"
                f" rensa, the installed one is {rensa.RMinHash.ALGORITHM_VERSION}: rebuild"
                " it (reprint dedupe)"
            )
        _params_cache[row[0]] = params
    return params


def index_page(
    db: Database,
    page_id: int,
    sig: Signature,
    params: DedupParams,
    *,
    keys: list[int] | None = None,
) -> None:
    """Add (or replace) a page's signature and band keys in the index.

    :param keys: :func:`band_keys` of ``sig``, when already computed
    """
    unindex_page(db, page_id, params)
    db.execute(
        "INSERT INTO dedup_signatures (page_id, shingles, minhash) VALUES (?, ?, ?)",
        [page_id, sig.shingles, sig.to_blob()],
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO dedup_bands (key, page_id) VALUES (?, ?)",
        [(key, page_id) for key in keys or band_keys(sig, params)],
    )


def unindex_page(db: Database, page_id: int, params: DedupParams) -> None:
    """Remove a page from the index (its text changed, or it is deleted)."""
    row = db.execute(
        "SELECT shingles, minhash FROM dedup_signatures WHERE page_id = ?", [page_id]
    ).fetchone()
    if row is None:
        return
    old = Signature.from_blob(row[1], row[0])
    db.conn.executemany(
        "DELETE FROM dedup_bands WHERE key = ? AND page_id = ?",
        [(key, page_id) for key in band_keys(old, params)],
    )
    db.execute("DELETE FROM dedup_signatures WHERE page_id = ?", [page_id])


def load_signatures(db: Database, page_ids: Iterable[int]) -> dict[int, Signature]:
    """Return the stored signatures of these pages (pages without one are left out)."""
    ids = list(page_ids)
    found: dict[int, Signature] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-variable limit
        chunk = ids[start : start + 500]
        for page_id, shingles, blob in db.execute(
            "SELECT page_id, shingles, minhash FROM dedup_signatures"
            f" WHERE page_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            found[page_id] = Signature.from_blob(blob, shingles)
    return found


@cache
def _candidates_sql(bands: int, max_bucket: int, max_candidates: int, linked: bool) -> str:
    # One statement from the band keys to the signatures of the representatives of the
    # articles they lead to (each SQLite round trip costs ~10 us from Python). The LIMIT
    # per key stops a boilerplate bucket (a stock paragraph shared by thousands of pages)
    # from turning a lookup into a scan. Pages are ranked by how many bands they share
    # (a copy shares several, a same-topic neighbour usually one) and only the first
    # max_candidates are followed to their articles.
    per_key = " UNION ALL ".join(
        [f"SELECT * FROM (SELECT page_id FROM dedup_bands WHERE key = ? LIMIT {max_bucket})"]
        * bands
    )
    ranked = (
        f"SELECT page_id FROM ({per_key}) WHERE page_id IS NOT ?"
        f" GROUP BY page_id ORDER BY count(*) DESC, page_id DESC LIMIT {max_candidates}"
    )
    articles = f"SELECT article_id FROM pages WHERE id IN ({ranked})"
    if linked:  # a UNION, not an OR of two INs: SQLite answers the OR with a scan
        articles += " UNION SELECT value FROM json_each(?)"
    return (
        "SELECT a.id, s.shingles, s.minhash FROM articles a"
        " JOIN dedup_signatures s ON s.page_id = a.representative_page_id"
        f" WHERE a.id IN ({articles})"
    )


@dataclass(frozen=True, slots=True)
class Candidates:
    """Signatures to compare a page with, as arrays: ids (pages or articles), sizes
    (distinct shingles) and minhash values."""

    ids: list[int]
    shingles: np.ndarray  # (n,) float64
    minhash: np.ndarray  # (n, num_perm) uint16

    @classmethod
    def from_rows(cls, rows: list[tuple[int, int, bytes]], num_perm: int) -> Candidates:
        """Build from (id, shingles, minhash blob) rows."""
        return cls(
            ids=[r[0] for r in rows],
            shingles=np.array([r[1] for r in rows], dtype=np.float64),
            minhash=np.frombuffer(b"".join(r[2] for r in rows), dtype="<u2").reshape(
                len(rows), num_perm
            ),
        )

    def estimates(self, sig: Signature) -> tuple[np.ndarray, np.ndarray]:
        """Estimated (Jaccard, containment) of ``sig`` against every candidate at once."""
        agree = np.count_nonzero(self.minhash == sig.minhash, axis=1) / self.minhash.shape[1]
        j = np.clip((agree - CHANCE) / (1.0 - CHANCE), 0.0, 1.0)
        j[(self.shingles == 0) | (sig.shingles == 0)] = 0.0  # an empty text matches nothing
        shared = j * (self.shingles + sig.shingles) / (1.0 + j)
        smaller = np.maximum(np.minimum(self.shingles, sig.shingles), 1)
        return j, np.minimum(1.0, shared / smaller)


def candidate_articles(
    db: Database,
    sig: Signature,
    params: DedupParams,
    *,
    linked: Iterable[int] = (),
    exclude_page_id: int | None = None,
    keys: list[int] | None = None,
) -> Candidates:
    """Return the articles with a page sharing an LSH band with ``sig``, and the
    ``linked`` ones, each with its representative's signature.

    :param db: the archive
    :param sig: the page's signature
    :param params: the index's parameters
    :param linked: articles to include whatever their bands (rel=canonical evidence)
    :param exclude_page_id: the page itself
    :param keys: :func:`band_keys` of ``sig``, when already computed
    """
    extra = sorted(linked)
    args: list[object] = [*(keys or band_keys(sig, params)), exclude_page_id]
    if extra:
        args.append(json.dumps(extra))
    sql = _candidates_sql(params.bands, params.max_bucket, params.max_candidates, bool(extra))
    rows = db.conn.execute(sql, args)
    return Candidates.from_rows(rows.fetchall(), params.num_perm)
