"""What a page needs before it is written, computed where the page was extracted.

Storing a page used to cost the crawl's main process ~16 ms of pure CPU per page on top
of the SQL (issue 10: zstd of the raw body, SHA-256, URL normalisation, shingling and
MinHash), all on the thread that also downloads. :func:`prepare_page` does that work in
the extraction worker, so the writer only runs SQL. It is a pure function of the page and
the dedup index's parameters; :func:`archive.store.save_page` calls it itself for pages
that arrive without it (reextract, the Redis writer, tests).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import zstandard

from archive.dedup import DEFAULT_PARAMS, Signature, band_keys, signature
from archive.extract import extract_article
from archive.settings import ZSTD_LEVEL
from archive.sitelearn import story_key
from archive.urls import normalize_url

if TYPE_CHECKING:
    from archive.dedup import DedupParams
    from archive.extract import Extracted

# one compressor per process: a ZstdCompressor keeps its context between calls
_compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)


@dataclass(slots=True)
class PreparedPage:
    """A page's derived values, ready to insert.

    The dedup fields are only valid for the ``params`` they were computed with: the
    writer recomputes them when the archive's index uses other parameters.
    """

    url_key: str  # normalised final URL: pages.url
    canonical_key: str | None  # normalised rel=canonical: pages.canonical_key
    story: str  # the page's story within its site (archive.sitelearn.story_key)
    raw_sha256: str
    raw_size: int
    raw_packed: bytes  # the body, zstd-compressed
    signature: Signature
    band_keys: list[int]
    params: DedupParams


def compress_raw(body: bytes) -> bytes:
    """The stored form of a response body (zstd at archive.settings.ZSTD_LEVEL)."""
    return _compressor.compress(body)


def prepare_page(
    body: bytes, final_url: str, extracted: Extracted, params: DedupParams = DEFAULT_PARAMS
) -> PreparedPage:
    """Compute everything about a page that storing it needs besides SQL.

    :param body: the raw response body
    :param final_url: the page's URL after redirects
    :param extracted: :func:`archive.extract.extract_article` of the body
    :param params: the archive's dedup index parameters (:func:`archive.dedup.index_params`)
    """
    url_key = normalize_url(final_url)
    canonical = extracted.canonical_url
    sig = signature(extracted.text, params)
    return PreparedPage(
        url_key=url_key,
        canonical_key=normalize_url(canonical) if canonical else None,
        story=story_key(url_key, canonical),
        raw_sha256=hashlib.sha256(body).hexdigest(),
        raw_size=len(body),
        raw_packed=compress_raw(body),
        signature=sig,
        band_keys=band_keys(sig, params),
        params=params,
    )


def extract_and_prepare(
    body: bytes,
    url: str,
    *,
    params: DedupParams = DEFAULT_PARAMS,
    **extract_options: Any,
) -> tuple[Extracted, PreparedPage]:
    """:func:`archive.extract.extract_article`, then :func:`prepare_page`: the whole of a
    page's CPU work, for one call in an extraction worker.

    :param body: the raw response body
    :param url: the page's final URL
    :param params: the archive's dedup index parameters
    :param extract_options: keyword arguments of :func:`archive.extract.extract_article`
    :raises archive.errors.ExtractionError: as :func:`archive.extract.extract_article`
    """
    extracted = extract_article(body, url, **extract_options)
    return extracted, prepare_page(body, url, extracted, params)
