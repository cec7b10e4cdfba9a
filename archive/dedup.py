"""Which stored article a newly extracted page is a copy of.

Syndicated copies of one story differ: another headline, an intro paragraph trimmed or
added, captions and credits, a truncated ending. They are recognised by their clean text:

1. the text's normalised words (:func:`archive.text.words`) are cut into overlapping
   shingles of ``shingle_words`` words, each hashed to 64 bits;
2. a MinHash signature of the shingle set (rensa ``RMinHash``, ``num_perm`` values)
   estimates the Jaccard similarity of two pages; with the exact shingle counts it also
   estimates containment, the share of the shorter text found in the longer one, so a
   short copy inside a longer one is still a copy;
3. the signature is cut into ``bands`` bands of ``rows`` values; each band hashes to one
   key in the SQLite table ``dedup_bands`` (LSH). Pages sharing a key with the new page
   are its candidates, read from disk: nothing of the archive is held in memory, and the
   index serves every process and every crawl run;
4. a candidate article is accepted when the page's containment against the article's
   representative text reaches ``min_containment``, or ``evidence_containment`` when a
   rel=canonical link joins the page and a copy of the article, either way round:
   evidence lowers the bar, it never replaces the text check. "Originally appeared on
   X" names a site, not a story, so it only ranks the accepted articles.

An index records the parameters it was built with (``dedup_meta``): signatures made with
other parameters cannot be compared, so a changed default takes effect through
:func:`archive.recluster.rebuild_clusters`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import rensa

from archive.errors import DedupIndexError
from archive.settings import (
    DEDUP_BANDS,
    DEDUP_EVIDENCE_CONTAINMENT,
    DEDUP_MAX_BUCKET,
    DEDUP_MAX_CANDIDATES,
    DEDUP_MERGE_CONTAINMENT,
    DEDUP_MIN_CONTAINMENT,
    DEDUP_NUM_PERM,
    DEDUP_ROWS,
    DEDUP_SEED,
    DEDUP_SHINGLE_WORDS,
)
from archive.text import words

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlite_utils import Database

# Odd 64-bit multipliers (splitmix/murmur finalizer constants) that fold the word hashes
# of one shingle into one hash; a distinct multiplier per position keeps word order.
_POSITION_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
    ],
    dtype=np.uint64,
)
# Band keys are kept below 2**47: SQLite stores such an integer in 6 bytes. A band holds
# two 16-bit values (32 bits), so with 1M pages about 1 query in 200 meets one unrelated
# page by chance, which verification then rejects.
_KEY_MASK = (1 << 47) - 1
# Two different minima agree in their stored low 16 bits with this probability.
_CHANCE = 1.0 / 65536


@dataclass(frozen=True, slots=True)
class DedupParams:
    """Everything that decides signatures and matches; stored with the index."""

    shingle_words: int = DEDUP_SHINGLE_WORDS
    num_perm: int = DEDUP_NUM_PERM
    bands: int = DEDUP_BANDS
    rows: int = DEDUP_ROWS
    seed: int = DEDUP_SEED
    min_containment: float = DEDUP_MIN_CONTAINMENT
    evidence_containment: float = DEDUP_EVIDENCE_CONTAINMENT
    merge_containment: float = DEDUP_MERGE_CONTAINMENT
    max_bucket: int = DEDUP_MAX_BUCKET
    max_candidates: int = DEDUP_MAX_CANDIDATES
    # signatures of another rensa algorithm cannot be compared with these
    algorithm: int = rensa.RMinHash.ALGORITHM_VERSION

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise DedupIndexError(
                f"{self.bands} bands of {self.rows} rows need {self.bands * self.rows}"
                f" minhash values, more than num_perm={self.num_perm}"
            )
        if not 1 <= self.shingle_words <= len(_POSITION_MULTIPLIERS):
            raise DedupIndexError(f"shingle_words={self.shingle_words} is out of range")

    def to_json(self) -> str:
        """Return the parameters as a JSON object (stored in ``dedup_meta``)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DedupParams:
        """Read parameters written by :meth:`to_json`."""
        return cls(**json.loads(text))


DEFAULT_PARAMS = DedupParams()


@dataclass(frozen=True, slots=True)
class Signature:
    """A page's MinHash signature and the number of distinct shingles it summarises."""

    minhash: np.ndarray  # uint16: the low 16 bits of num_perm minhash values
    shingles: int

    def to_blob(self) -> bytes:
        """Return the minhash values as little-endian bytes (``dedup_signatures.minhash``)."""
        return self.minhash.astype("<u2").tobytes()

    @classmethod
    def from_blob(cls, blob: bytes, shingles: int) -> Signature:
        """Read a signature stored by :meth:`to_blob`."""
        return cls(np.frombuffer(blob, dtype="<u2"), shingles)


# ASCII characters that are not word characters (\w) once lowercased, mapped to spaces;
# with the typographic characters of news text replaced first, most articles take the
# ASCII path of _words: ~40% faster than the regex of archive.text.words, same tokens
# (tests/test_dedup.py checks the two agree).
_ASCII_NON_WORD = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)
_TYPOGRAPHY = ("\u2019", "\u2018", "\u201c", "\u201d", "\u2013", "\u2014", "\u2026", "\u00a0")


def _words(text: str) -> list[str]:
    """The tokens of :func:`archive.text.words`, computed faster for (mostly) ASCII text."""
    for char in _TYPOGRAPHY:
        if char in text:
            text = text.replace(char, " ")
    if text.isascii():
        return text.lower().translate(_ASCII_NON_WORD).split()
    return words(text)


def shingle_hashes(text: str, shingle_words: int = DEDUP_SHINGLE_WORDS) -> np.ndarray:
    """Return the distinct 64-bit hashes of the word shingles of ``text``, sorted.

    Words come from :func:`archive.text.words` (NFKC, lowercase, punctuation and quote
    typography gone). A text shorter than one shingle is one shingle.

    :param text: clean article text
    :param shingle_words: words per shingle
    """
    tokens = _words(text)
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    # rensa hashes the words in Rust (stable across processes and runs, unlike hash())
    word_hashes = np.array(rensa.RMinHash.hash_token_sets([tokens])[0], dtype=np.uint64)
    k = min(shingle_words, len(word_hashes))
    n = len(word_hashes) - k + 1
    combined = word_hashes[:n] * _POSITION_MULTIPLIERS[0]
    for j in range(1, k):
        combined ^= word_hashes[j : j + n] * _POSITION_MULTIPLIERS[j]
    combined.sort()
    # sort + neighbour test: np.unique is ~10x slower on arrays this small
    keep = np.empty(n, dtype=bool)
    keep[0] = True
    np.not_equal(combined[1:], combined[:-1], out=keep[1:])
    return combined[keep]


def signature(text: str, params: DedupParams = DEFAULT_PARAMS) -> Signature:
    """Return the MinHash signature of a clean text.

    :param text: clean article text
    :param params: the index's parameters (:func:`index_params`)
    """
    hashes = shingle_hashes(text, params.shingle_words)
    if not len(hashes):
        return Signature(np.full(params.num_perm, 0xFFFF, dtype=np.uint16), 0)
    offsets = np.array([0, len(hashes)], dtype=np.uint64)
    return Signature(minhash_matrix(hashes, offsets, params)[0], len(hashes))


def minhash_matrix(hashes: np.ndarray, offsets: np.ndarray, params: DedupParams) -> np.ndarray:
    """Return the MinHash values of many shingle sets: shape (sets, num_perm), uint16.

    Only the low 16 bits of each 32-bit minimum are kept (b-bit minwise hashing, Li &
    König 2010): two different minima agree by chance once in 65536, a bias below 2e-5
    on the Jaccard estimate, for half the bytes. 256 such values cost what 128 full ones
    do and halve the estimate's variance.

    :param hashes: the shingle hashes of all sets, one after the other (uint64)
    :param offsets: where each set starts in ``hashes``, and the end (uint64, sets + 1)
    :param params: the index's parameters
    """
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        hashes, offsets, params.num_perm, params.seed
    )
    return np.array(matrix.to_rows(), dtype=np.uint32).astype(np.uint16)


def band_keys(sig: Signature, params: DedupParams = DEFAULT_PARAMS) -> list[int]:
    """Return the LSH keys of a signature, one per band.

    :param sig: the page's signature
    :param params: the index's parameters
    """
    return band_key_matrix(sig.minhash[np.newaxis, :], params)[0].tolist()


def band_key_matrix(minhashes: np.ndarray, params: DedupParams = DEFAULT_PARAMS) -> np.ndarray:
    """Return the LSH keys of many signatures at once: shape (pages, bands), int64.

    :param minhashes: minhash values (:func:`minhash_matrix`), one row per page
    :param params: the index's parameters
    """
    used = minhashes[:, : params.bands * params.rows].astype(np.uint64)
    values = used.reshape(len(minhashes), params.bands, params.rows)
    key = np.broadcast_to(
        np.arange(1, params.bands + 1, dtype=np.uint64) * _POSITION_MULTIPLIERS[-1],
        values.shape[:2],
    ).copy()
    for j in range(params.rows):
        key = (key ^ values[:, :, j]) * _POSITION_MULTIPLIERS[j]
        key ^= key >> np.uint64(31)
    return (key & np.uint64(_KEY_MASK)).astype(np.int64)


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the shingle sets of two signatures."""
    if not a.shingles or not b.shingles:
        return 0.0
    agree = float(np.count_nonzero(a.minhash == b.minhash)) / len(a.minhash)
    # b-bit correction: unequal minima agree in their low 16 bits once in 65536
    return max(0.0, (agree - _CHANCE) / (1.0 - _CHANCE))


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller shingle set found in the other one.

    From the estimated Jaccard J and the exact set sizes: |A∩B| = J(|A|+|B|)/(1+J).
    """
    j = jaccard(a, b)
    if j == 0.0:
        return 0.0
    shared = j * (a.shingles + b.shingles) / (1.0 + j)
    return min(1.0, shared / min(a.shingles, b.shingles))


# --- the index in SQLite


def create_index_tables(db: Database, params: DedupParams = DEFAULT_PARAMS) -> None:
    """Create the dedup index tables (migration m002) and record ``params``.

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
        j = np.clip((agree - _CHANCE) / (1.0 - _CHANCE), 0.0, 1.0)
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


# --- matching


@dataclass(frozen=True, slots=True)
class Match:
    """An existing article a page belongs to, and how similar the page's text is to it."""

    article_id: int
    similarity: float  # estimated Jaccard to the article's representative (1.0: same text)
    containment: float = 1.0  # estimated share of the shorter text in the other
    evidence: str | None = None  # "canonical" when a rel=canonical link lowered the bar
    # other articles this page is also a copy of: they are one story, to be merged
    merge: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the matcher reads of the page being placed, besides its text."""

    url: str  # normalised
    text_hash: str
    canonical_key: str | None = None  # rel=canonical, normalised (pages.canonical_key)
    origin: str | None = None  # "originally appeared on X": X


def find_article(
    db: Database,
    page: PageFacts,
    sig: Signature,
    *,
    exclude_page_id: int | None = None,
    params: DedupParams | None = None,
    keys: list[int] | None = None,
) -> Match | None:
    """Return the stored article the page is a copy of, if any.

    :param db: the archive
    :param page: the page's URL, text hash, canonical URL and stated origin
    :param sig: :func:`signature` of the page's clean text
    :param exclude_page_id: the page being (re)saved, which must not match itself
    :param params: the index's parameters (read from the archive when None)
    :param keys: :func:`band_keys` of ``sig``, when already computed
    """
    params = params or index_params(db)
    row = db.execute(
        "SELECT article_id FROM pages WHERE text_hash = ? AND article_id IS NOT NULL"
        " AND id IS NOT ? ORDER BY id LIMIT 1",
        [page.text_hash, exclude_page_id],
    ).fetchone()
    if row:
        return Match(article_id=row[0], similarity=1.0)

    evidence = _evidence(db, page, exclude_page_id)
    found = candidate_articles(
        db, sig, params, linked=evidence, exclude_page_id=exclude_page_id, keys=keys
    )
    if not found.ids:
        return None
    # verified against each article's representative text: a page that merely shares a
    # stock paragraph with one copy must not be chained into the story
    jaccards, shares = found.estimates(sig)
    accepted: list[tuple[float, float, int, str | None]] = []
    for article_id, j, share in zip(found.ids, jaccards, shares, strict=True):
        reason = evidence.get(article_id)
        if share >= (params.evidence_containment if reason else params.min_containment):
            accepted.append((float(share), float(j), article_id, reason))
    if not accepted:
        return None
    # "originally appeared on X" names a site, not a story: every article of X is
    # "evidenced", series siblings included, so it ranks accepted articles but does
    # not lower the bar (measured: lowering it merged weekly recaps of one site)
    named_site = (
        set(_articles_from_origin(db, [a[2] for a in accepted], page.origin))
        if page.origin and len(accepted) > 1
        else set()
    )
    # the canonical-linked article first, then one on the site the page names as its
    # origin, then the closest text; the oldest breaks ties
    accepted.sort(key=lambda a: (a[3] is None, a[2] not in named_site, -a[0], a[2]))
    share, similarity, article_id, reason = accepted[0]
    merge = tuple(sorted(a[2] for a in accepted[1:] if a[0] >= params.merge_containment))
    return Match(article_id, similarity, share, reason, merge)


def _evidence(db: Database, page: PageFacts, exclude_page_id: int | None) -> dict[int, str]:
    """Articles that rel=canonical links with the page, either way round."""
    found: dict[int, str] = {}
    if page.canonical_key:
        target = page.canonical_key
        if target != page.url:
            row = db.execute(
                "SELECT article_id FROM pages WHERE url = ? AND article_id IS NOT NULL"
                " AND id IS NOT ?",
                [target, exclude_page_id],
            ).fetchone()
            if row:
                found[row[0]] = "canonical"
    # copies stored earlier whose canonical points here (the original arrives late)
    for (article_id,) in db.execute(
        "SELECT DISTINCT article_id FROM pages WHERE canonical_key = ?"
        " AND article_id IS NOT NULL AND id IS NOT ? AND url != ?",
        [page.url, exclude_page_id, page.url],
    ):
        found.setdefault(article_id, "canonical")
    return found


def _articles_from_origin(db: Database, articles: Iterable[int], origin: str) -> list[int]:
    """Of these articles, those with a copy on the site named by "originally appeared on"."""
    ids = sorted(articles)
    name = origin.strip().lower()
    host = name.replace(" ", "")
    placeholders = ", ".join("?" * len(ids))
    return [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT article_id FROM pages WHERE article_id IN ({placeholders})"
            " AND (lower(site_name) = ? OR site = ? OR site LIKE ? OR site LIKE ?)",
            [*ids, name, host, f"{host}.%", f"%.{host}.%"],
        )
    ]


def page_similarities(
    db: Database,
    article_id: int,
    representative_page_id: int,
    *,
    only: Iterable[int] | None = None,
) -> dict[int, float]:
    """Estimated Jaccard similarity of each copy of an article to its representative.

    Copies with the representative's exact text get 1.0; pages without a signature are
    left out.

    :param only: these pages of the article (None: all), e.g. the one copy just added
        while the representative stays: the others' similarities have not changed
    """
    rows = db.execute(
        "SELECT id, text_hash FROM pages WHERE article_id = ?", [article_id]
    ).fetchall()
    hashes = dict(rows)
    targets = list(hashes) if only is None else [p for p in only if p in hashes]
    sigs = load_signatures(db, {*targets, representative_page_id})
    rep = sigs.get(representative_page_id)
    rep_hash = hashes.get(representative_page_id)
    result: dict[int, float] = {}
    for page_id in targets:
        text_hash = hashes[page_id]
        if text_hash == rep_hash:
            result[page_id] = 1.0
        elif rep is not None and page_id in sigs:
            result[page_id] = round(jaccard(sigs[page_id], rep), 4)
    return result


def place_page(
    db: Database,
    page_id: int,
    page: PageFacts,
    text: str,
    *,
    params: DedupParams | None = None,
    sig: Signature | None = None,
    keys: list[int] | None = None,
) -> Match | None:
    """Sign a stored page's text, find the article it copies, and index it.

    Everything dedup costs per page: normalise, shingle, signature, candidate query,
    verification, index insert (what bench/dedup.py times).

    :param db: the archive, inside a write transaction
    :param page_id: the page's row id (already inserted)
    :param page: the page's URL, text hash, canonical URL and stated origin
    :param text: the page's clean text
    :param params: the index's parameters (read from the archive when None)
    :param sig: :func:`signature` of ``text`` with ``params``, when already computed (in
        an extraction worker: archive/prepare.py)
    :param keys: :func:`band_keys` of ``sig``, computed with it
    :returns: the article it copies, or None: the page starts a new article
    """
    params = params or index_params(db)
    if sig is None or keys is None:
        sig = signature(text, params)
        keys = band_keys(sig, params)
    match = find_article(db, page, sig, exclude_page_id=page_id, params=params, keys=keys)
    index_page(db, page_id, sig, params, keys=keys)
    return match
