"""Which pages are copies of one story, and the articles they make.

Syndicated copies of one story differ: another headline, an intro paragraph trimmed or
added, captions and credits, a truncated ending. They are recognised by their clean text:

- :mod:`archive.dedup.minhash`: shingles, MinHash signatures, band keys (no I/O);
- :mod:`archive.dedup.index`: the LSH index in SQLite and the candidates it gives;
- :mod:`archive.dedup.match`: the match policy (which candidate article a page joins);
- :mod:`archive.dedup.cluster`: articles as clusters (placing, merging, representative);
- :mod:`archive.dedup.rebuild`: the index and clusters recomputed from stored texts.
"""

from __future__ import annotations

from archive.dedup.cluster import choose_representative, cluster_page, refresh_article
from archive.dedup.index import (
    create_index_tables,
    index_page,
    index_params,
    load_signatures,
    set_index_params,
    unindex_page,
)
from archive.dedup.match import Match, PageFacts, find_article, page_similarities, place_page
from archive.dedup.minhash import (
    DEFAULT_PARAMS,
    DedupParams,
    Signature,
    band_keys,
    containment,
    jaccard,
    shingle_hashes,
    signature,
)
from archive.dedup.rebuild import RebuildSummary, rebuild_clusters
from archive.errors import DedupIndexError

__all__ = [
    "DEFAULT_PARAMS",
    "DedupIndexError",
    "DedupParams",
    "Match",
    "PageFacts",
    "RebuildSummary",
    "Signature",
    "band_keys",
    "choose_representative",
    "cluster_page",
    "containment",
    "create_index_tables",
    "find_article",
    "index_page",
    "index_params",
    "jaccard",
    "load_signatures",
    "page_similarities",
    "place_page",
    "rebuild_clusters",
    "refresh_article",
    "set_index_params",
    "shingle_hashes",
    "signature",
    "unindex_page",
]
