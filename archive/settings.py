"""Defaults of the archive library, each with the reason for its value.

The crawler reads its own settings (crawler/settings.py) and passes values down; code in
archive/ takes these as defaults so the library works on its own (reextract, benchmarks).
"""

from __future__ import annotations

# A page whose clean text has fewer words than this is not an article: galleries, hubs,
# video pages and consent walls come out at 0-50 words, while the shortest real news
# items of entertainment outlets run to about 100.
MIN_ARTICLE_WORDS = 60

# Bodies are decoded and parsed in full; above this size a page is not a news article
# (the biggest article pages of the benchmark are ~1.5 MB) and parsing it would stall a
# worker, so extraction refuses it.
MAX_HTML_BYTES = 8 * 1024 * 1024

# In the first bytes of a body, a share of control characters above this means binary
# content whatever the Content-Type says (HTML has none but tab/CR/LF).
BINARY_SNIFF_BYTES = 4096
BINARY_CONTROL_SHARE = 0.05

# zstd level for raw HTML: level 10 compresses news HTML ~6-8x at >50 MB/s on one core,
# a good trade between archive size and crawl throughput (19+ is 5x slower for ~5% more).
ZSTD_LEVEL = 10

# SQLite waits this long for a lock held by another writer (a second crawl, a reextract)
# before giving up with ArchiveLocked.
BUSY_TIMEOUT_MS = 30_000

# Snippet of a search hit: this many tokens around the match.
SNIPPET_TOKENS = 24
SEARCH_DEFAULT_LIMIT = 20
