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
# Search ranks (bm25) at most this many matches, the newest: bm25 costs ~1-2 us a match,
# so a common word in a million-article archive (100k+ matches) took 150-400 ms ranked
# exactly; 10k keeps every query under ~30 ms (bench/scale.py) and is exact for any query
# matching fewer stories. For news, the newest matches are where the best hit usually is.
SEARCH_RANK_WINDOW = 10_000
# Page cache of read-only connections (search, exports, the API, datasette): a search
# reads a common term's doclist once to rank and again for each hit's snippet; with the
# default 2 MB they went back to the OS each time. 64 MB (allocated only as used) took
# 10-20% off the slowest searches of a million-article archive (bench/scale.py).
READ_CACHE_KIB = 65_536

# --- serving and exporting (issue 7) ---

# Rows fetched from SQLite and written per chunk by exports: big enough that per-call
# overhead vanishes (JSONL runs at C speed inside SQLite's json_object), small enough that
# memory stays flat (~5 MB of article text, ~60 MB peak RSS) on a million-article export.
EXPORT_CHUNK_ROWS = 500
# Parquet row groups: readers (DuckDB, pandas, Spark) skip and parallelise by row group
# and like them tens of MB; 5k articles is ~20 MB of text, and the group is held in
# memory as Python objects and Arrow arrays while built (~150 MB peak at 20k).
PARQUET_ROW_GROUP_ROWS = 5_000
# Entries in the Atom feed that `reprint serve` publishes: feed readers poll often and
# keep what they saw, so the latest stories are enough; exports take --limit instead.
FEED_SERVED_ENTRIES = 50
# Words of an article shown as the summary of a feed entry when it has no description.
FEED_SUMMARY_WORDS = 60
# Days shown by the per-day chart of `reprint stats --plot` and the stats page: two
# months show the rhythm of each site without squeezing bars below a pixel or two.
CHART_DAYS = 60
# Sites drawn in their own colour in the per-day chart; the rest are summed as "other"
# (more colours than this cannot be told apart).
CHART_TOP_SITES = 8
# Datasette: the port `reprint serve` uses by default (datasette's own default).
SERVE_DEFAULT_PORT = 8001
# Facet counts on a million articles are index scans of ~50-300 ms; datasette's default
# 200 ms limit drops them as "timed out" on the author and month facets.
SERVE_FACET_TIME_LIMIT_MS = 1_000

# Read time: 238 words a minute, the mean silent reading rate of adults for non-fiction
# in Brysbaert's 2019 meta-analysis of 190 studies (the "200-250" of most news sites).
READING_WORDS_PER_MINUTE = 238

# Per-site learned boilerplate (archive/sitelearn.py). A line of extracted text is the
# site's boilerplate once it has appeared in at least SITE_LINE_MIN_ARTICLES different
# articles of the site AND in at least SITE_LINE_MIN_SHARE of the site's articles.
# 3 articles: two stories can share a sentence (a follow-up quoting the first), three
# unrelated ones sharing a whole line is a template; and 3 makes a new site's prompts
# known after its first few pages. The share (2%) keeps a large site from losing a
# recurring story sentence ("Season 1 is available to stream now.") that a handful of
# its thousands of articles happen to repeat, while the site's real boilerplate (footer
# prompts, author bios of staff writers) is in far more of its pages than that.
SITE_LINE_MIN_ARTICLES = 3
SITE_LINE_MIN_SHARE = 0.02
# Longer lines are never learned: boilerplate is prompts, credits and short bios;
# a 60+ word paragraph repeated across articles is quoted story text, kept.
SITE_LINE_MAX_WORDS = 60
# Lines are keyed by this many hex digits of the SHA-256 of their normalised words:
# 64 bits make a collision between two lines of one site practically impossible
# (birthday bound ~4e9 lines) at a quarter of the storage of the full digest.
SITE_LINE_KEY_HEX = 16
# A crawl reads a site's learned lines from the archive at most this often (seconds):
# fresh enough that a new site's boilerplate is caught within its first pages, rare
# enough that lookups never show in crawl throughput.
SITE_LINES_REFRESH_S = 10.0

# reextract commits every this many pages: short write transactions let a crawl or a
# reader share the archive during a long re-extraction, and ~200 pages (a few seconds of
# extraction) keep the commit overhead negligible.
REEXTRACT_BATCH_PAGES = 200

# trafilatura runs in fast mode (no readability/jusText comparison) unless its text comes
# out shorter than this or without paragraphs; then the full cascade runs. 1,000
# characters is four times trafilatura's own "too short" size (MIN_EXTRACTED_SIZE 250)
# and about 170 words, under the shortest real news story.
FULL_CASCADE_BELOW_CHARS = 1000
