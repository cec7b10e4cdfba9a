"""MinHash signatures of page texts and their LSH band keys: the math of near-duplicate
detection, without I/O.

1. the text's normalised words (:func:`archive.text.words`) are cut into overlapping
   shingles of ``shingle_words`` words, each hashed to 64 bits;
2. a MinHash signature of the shingle set (rensa ``RMinHash``, ``num_perm`` values)
   estimates the Jaccard similarity of two pages; with the exact shingle counts it also
   estimates containment, the share of the shorter text found in the longer one, so a
   short copy inside a longer one is still a copy;
3. the signature is cut into ``bands`` bands of ``rows`` values; each band hashes to one
   key of the LSH index (archive/dedup/index.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
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
    pass

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
CHANCE = 1.0 / 65536


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


def shingle_hashes(text: str, shingle_words: int = DEDUP_SHINGLE_WORDS) -> np.ndarray:
    """Return the distinct 64-bit hashes of the word shingles of ``text``, sorted.

    Words come from :func:`archive.text.words` (NFKC, lowercase, punctuation and quote
    typography gone). A text shorter than one shingle is one shingle.

    :param text: clean article text
    :param shingle_words: words per shingle
    """
    tokens = words(text)
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
    return max(0.0, (agree - CHANCE) / (1.0 - CHANCE))


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller shingle set found in the other one.

    From the estimated Jaccard J and the exact set sizes: |A∩B| = J(|A|+|B|)/(1+J).
    """
    j = jaccard(a, b)
    if j == 0.0:
        return 0.0
    shared = j * (a.shingles + b.shingles) / (1.0 + j)
    return min(1.0, shared / min(a.shingles, b.shingles))
