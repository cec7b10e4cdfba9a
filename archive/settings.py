"""Defaults of the archive library, each with the reason for its value.

The crawler reads its own settings (crawler/settings.py) and passes values down; code in
archive/ takes these as defaults so the library works on its own (reextract, benchmarks).
"""

from __future__ import annotations

# A page whose clean text has fewer words than this is not an article: galleries, hubs,
# video pages and consent walls come out at 0-50 words, while the shortest real news
# items of entertainment outlets run to about 100.
MIN_ARTICLE_WORDS = 60
# ... unless the page says it is an article (JSON-LD article type, og:type article,
# article microdata) and at least this share of MIN_ARTICLE_WORDS (15 words) of its text
# is in sentences: a news brief or a short post is an article; a gallery's captions and
# a video page's labels are not sentences.
BRIEF_MIN_SHARE = 0.25
# A page that does not say it is an article needs this share of its words in sentences:
# a home page or section front of headline links has next to none, while the article
# pages of both benchmark sets that carry no article markup have 39% or more.
PAGE_MIN_PROSE_SHARE = 0.2

# What a sentence is (archive/prose.py): a line of at least SENTENCE_MIN_WORDS words
# that ends like a sentence, or one of UNPUNCTUATED_SENTENCE_WORDS words or more. Menu
# items, tags, captions and teaser headlines are shorter than 8 words or unpunctuated;
# 20 words is past the longest headline of the benchmark pages.
SENTENCE_MIN_WORDS = 8
UNPUNCTUATED_SENTENCE_WORDS = 20

# Bodies are decoded and parsed in full; above this size a page is not a news article
# (the biggest article pages of the benchmark are ~1.5 MB) and parsing it would stall a
# worker, so extraction refuses it.
MAX_HTML_BYTES = 8 * 1024 * 1024

# Elements of a parsed page above which extraction refuses it. trafilatura's work grows
# with the square of the paragraph count on flat pages (200k tiny paragraphs, 7.6 MB:
# 67 s and 626 MB in one worker; 550k: over 15 min at 907 MB), so size alone does not
# bound a page's cost. The 115 benchmark news pages have at most 1,596 elements (median
# 739); a flat page of 50k paragraphs, just over this cap, extracts in ~7 s. Counting
# costs ~0.7 ms a page, so it runs only when the body holds more "<" than this.
MAX_HTML_ELEMENTS = 50_000

# In the first bytes of a body, a share of control characters above this means binary
# content whatever the Content-Type says (HTML has none but tab/CR/LF).
BINARY_SNIFF_BYTES = 4096
BINARY_CONTROL_SHARE = 0.05

# zstd level for raw HTML. On 115 real news pages (190 KB on average), one core:
# level 1: 4.9x smaller, 0.62 ms a page; 3: 5.2x, 0.84 ms; 6: 5.7x, 2.7 ms; 10: 5.8x,
# 4.0 ms (47 MB/s). Compression runs in the extraction workers beside ~22 ms of
# extraction a page, where level 10 would add a sixth to each page's CPU for 11% smaller
# raw bodies; 3 keeps most of the saving for a fifth of the time.
ZSTD_LEVEL = 3

# SQLite waits this long for a lock held by another writer (a second crawl, a reextract)
# before giving up with ArchiveLocked.
BUSY_TIMEOUT_MS = 30_000

# SQLite page cache of a writing connection, in MiB (SQLite's default is 2). Placing a
# page reads and writes ~24 random pages of the dedup index, another ~24 to read the
# candidates' signatures; with 2 MiB they come from the OS through a system call each.
# bench/dedup.py cost: 256 MiB halved the index insert time at 50k archived articles.
# The cache grows only as pages are touched.
WRITER_CACHE_MB = 256

# Snippet of a search hit: this many tokens around the match.
SNIPPET_TOKENS = 24
SEARCH_DEFAULT_LIMIT = 20
# Search ranks (bm25) at most this many matches, the newest: bm25 costs ~1-2 us a match,
# so a common word in a million-article archive (100k+ matches) took 150-400 ms ranked
# exactly; 10k keeps every query under ~30 ms (bench/scale.py) and is exact for any query
# matching fewer stories. For news, the newest matches are where the best hit usually is.
SEARCH_RANK_WINDOW = 10_000
# A search is stopped after this many seconds. Real queries answer in under ~30 ms on a
# million articles (bench/scale.py); crafted ones ran for 16 s (2,000 ANDed words), 28 s
# (26 prefix terms OR'd) and 600+ s (a 1 MB query) in the hardening campaign, holding a
# connection and a core the whole time.
SEARCH_TIME_BUDGET_S = 5.0
# SQLite calls the budget check every this many virtual-machine instructions: ~1 ms of
# work, cheap next to a query and fine-grained enough to stop one on time.
SEARCH_BUDGET_CHECK_OPS = 10_000
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
# Most entries a served feed gives whatever ?limit= asks (larger values are clamped): an
# unbounded limit let one anonymous GET build the whole archive's feed in memory (119 MB
# body, 582 MB server RSS); a thousand summaries is a few MB.
FEED_SERVED_MAX_ENTRIES = 1000
# SQLite's per-connection limits on every connection datasette opens (archive/web): any
# visitor may run read-only SQL, and `randomblob(999999999)` alone took the server to
# 2 GB. The longest string or BLOB a query may build or read: above the largest stored
# value, a raw page body (at most MAX_HTML_BYTES before zstd, which can add a little to
# incompressible input), and datasette serves those bodies for download.
SERVE_SQL_MAX_VALUE_BYTES = 2 * MAX_HTML_BYTES
# The longest SQL text: a query typed in a URL is a few KB (servers cut request lines
# near 64 KB), and the library's statements are far shorter.
SERVE_SQL_MAX_TEXT_BYTES = 100_000
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
# Longer lines are learned only when they repeat across a large share of the site's
# distinct stories: a 60+ word paragraph in a few stories is quoted story text (a
# follow-up repeating the background paragraph of the first report), while a long
# editorial disclaimer or staff bio printed under every story is the template (a
# 107-word disclaimer on every page of one benchmark site was never learned under a
# word cap alone).
SITE_LINE_MAX_WORDS = 60
SITE_LONG_LINE_MIN_ARTICLES = 10
SITE_LONG_LINE_MIN_SHARE = 0.3
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
# ... unless the short text holds at least half the characters of the page's <p>
# elements: then the page is a short story and the cascade has no more article to find.
# On the extraction benchmark 10 of its 14 runs were short stories like that, none of
# them changed the text, and they cost 3.7 of the 4.3 ms a page the cascade took (one
# 600 KB page alone 240 ms); on WCEB the short texts the cascade did rescue (F1 0.1-0.2
# -> 0.9) held 1-18% of their page's paragraph text. Same text on all 567 pages of both.
SHORT_TEXT_MIN_COVER = 0.5
# ... or when under 30% of its words are in sentences (a menu has next to none; the
# benchmark articles that are mostly lists or tables have 11-50%, and on them the
# cascade returns the same text: each run costs a third of an extraction), or when
# it holds under a quarter of the characters of the page's <p> elements: on the WCEB
# article pages the fast pass then took one section of a long article (F1 0.2-0.3 where
# the full cascade gets 0.97), while on pages where it is right it holds 10-25% only on
# a few pages with long comment threads, where the cascade agrees with it.
FAST_PASS_MIN_PROSE_SHARE = 0.3
FAST_PASS_MIN_COVER = 0.25
# A section heading put back into a text trafilatura recovered element by element
# (archive/sections.py) has at most this many words: a longer "heading" is a styled
# sentence. On the WCEB article pages 10 words leave out real headings (-0.021 F1 summed
# against 20: "How to choose..." questions), 40 changes no page.
HEADING_MAX_WORDS = 20
# ... and a list item put back there has under this share of its text in links (more is a
# menu or a list of other stories): on the WCEB article pages 0.9 gives the same text,
# 0.2 leaves out 0334's comparison items, whose names link to the companies (-0.011).
LIST_ITEM_MAX_LINK_SHARE = 0.5
# The full cascade's text replaces the fast pass's when it has this much more words in
# sentences (the cascade returns a site's navigation on some short stories: more words,
# fewer sentences).
FULL_CASCADE_MARGIN = 1.2
# ... and at least this many more (a sentence or two): on a news brief the cascade may
# return the headline, byline and story run into one line, which counts as more prose.
CANDIDATE_MIN_EXTRA_WORDS = 20
# A page's JSON-LD articleBody replaces the extracted text when it has this much more
# words in sentences and holds at least ARTICLE_BODY_MIN_AGREEMENT of the extracted
# text's words (the same story: not a teaser, not another article's body).
ARTICLE_BODY_MARGIN = 1.3
ARTICLE_BODY_MIN_AGREEMENT = 0.5
# An article split over sibling containers (archive/splitparts.py): each part holds at
# least this many characters of paragraphs.
SPLIT_PART_MIN_CHARS = 200
# ... the joined parts' text replaces the text of the first part when it has more words in
# sentences by this factor (and CANDIDATE_MIN_EXTRA_WORDS), and holds this share of the
# first text's words: joining adds the other parts, it loses none of the first.
SPLIT_PARTS_MARGIN = 1.0
SPLIT_PARTS_MIN_AGREEMENT = 0.9
# A page's text with React's streamed segments in place replaces its text as served when
# it has more words in sentences by this factor (and CANDIDATE_MIN_EXTRA_WORDS): placing
# them reorders the page, it adds no text, so any clear gain is the article's.
STREAMED_MARGIN = 1.0

# A list of teaser cards of other stories (archive/clean.py prune_tree): a <ul>/<ol> of
# at least CARD_LIST_MIN_ITEMS items, each holding a heading that is one link to the
# page's own site and at most CARD_MAX_EXTRA_WORDS words besides it (a subline, a date,
# a category). Two linked headings are as often the story's own list; the card sublines
# of the benchmark pages run to 28 words, while a listicle's entry ("10 best ...") has a
# paragraph of its own under its linked heading. Removing them lifted the shared bench
# from 0.9737 to 0.9751 (two pages +0.08) and WCEB article/blog from 0.9459 to 0.9460
# (one page +0.035, one -0.003); with no word limit one more page gained 0.04 from cards
# of 31-58 words, a length at which listicle entries are content. A grid of cards comes
# in rows of lists and its last row may be short: a list of fewer cards goes when a full
# row beside it (same parent) went (the same two shared pages, +0.035 each). A block of
# <article> teasers is such a list too (WCEB article/blog 0.94648 -> 0.94680: two pages,
# +0.118 and +0.024).
CARD_LIST_MIN_ITEMS = 3
CARD_MAX_EXTRA_WORDS = 30

# A line that lists the page's own tags (its markup's keywords) and nothing else is the
# tag list printed without a label (archive/clean.py): at least this many names, every
# one a stated tag. Two names are as often a story's subheading that happens to be a tag
# ("Genetics", "AI adoption" are tags and headings of WCEB pages); on both benchmark sets
# the lines of 3+ names that are all tags are tag lists (extraction-bench cc03ddb5
# 0.788 -> 0.908), and no story line has 3+ separated names that all are.
TAG_LINE_MIN_ITEMS = 3

# A line about one of the page's authors ("Rae Lindqvist is a music writer...") is the
# author's note, not the story (archive/clean.py): the author's name must have at least
# this many words, since a one-word author is mostly a company writing about itself.
# WCEB article pages 0.9525 -> 0.9529: 9 pages gain (0473 +0.040, 0128 +0.039, 0471
# +0.031), 2 lose (0469 -0.016, 0208 -0.006: their ground truth keeps the note).
BIO_NAME_MIN_WORDS = 2

# A run of the text that repeats an earlier run line for line is a second copy of the
# story (pages that hold it two or three times, for two layouts): removed when it has
# at least REPEATED_RUN_MIN_LINES lines and REPEATED_RUN_MIN_PROSE_WORDS words in
# sentences. The copies on the benchmark pages hold 900-4,800 such words; a meal plan
# repeating its days holds runs of 70-160 (a limit of 60 or 100 cost it 0.05-0.08 F1).
# WCEB article/blog +0.0020 (three pages +0.14 to +0.48); one page -0.071, whose ground
# truth keeps three copies of a story that the same site's other page has once.
REPEATED_RUN_MIN_LINES = 3
REPEATED_RUN_MIN_PROSE_WORDS = 300

# --- Near-duplicate clustering (archive/dedup/). Measured with bench/dedup.py on the
# generated syndication corpus (bench/syndication_corpus.py); the sweep and the numbers
# behind each value are in BENCHMARKS.md ("Dedup"). An index remembers the parameters it
# was built with (table dedup_meta); after changing these, `reprint dedupe`.

# Words per shingle. Stories on one topic share names and stock phrases of 3-4 words;
# few run 6 words alike, while an inserted caption breaks only the 5 shingles spanning
# it. Sweep (seed 3): precision 0.931 / 0.990 / 0.997 / 0.998 and recall on copies
# sharing >= 60% 0.986 / 0.998 / 0.994 / 0.996 with 3 / 4 / 5 / 6 words; on the held-out
# corpus 6 beat 5 on both (precision 0.9986 against 0.9962, recall 0.9954 against 0.9945).
DEDUP_SHINGLE_WORDS = 6

# MinHash permutations (rensa RMinHash), each stored in 16 bits (b-bit minhash, see
# archive.dedup.minhash_matrix): 512 bytes a page. The estimate's standard error on
# containment near the bar is ~0.033 with 256 against ~0.047 with 128, which lets series
# articles sharing 45-50% of their text over the bar: sweep precision 0.979 / 0.993 /
# 0.997 with 64 / 128 / 256 permutations.
DEDUP_NUM_PERM = 256

# LSH banding: BANDS bands of ROWS minhash values each; a stored page becomes a candidate
# when one band matches, with probability 1-(1-J**ROWS)**BANDS for Jaccard J. rows=2
# reaches the pairs that matter here: a copy holding 60% of the original has J >= 0.43
# (P = 0.98 with 20 bands), a copy truncated to 40% has J = 0.4 (P = 0.96), and other
# copies of the story give further chances. Each band is one row in dedup_bands, so
# bands are the index's size and most of its lookup and insert cost, which grows with
# the archive (B-tree depth, cache misses). Sweep (1200 stories): recall on copies
# sharing >= 60% of the shorter text was 0.991 / 0.993 / 0.994 / 0.996 / 0.996 with
# 12 / 16 / 20 / 24 / 32 bands, precision unchanged; 20 keeps the recall target
# (0.98) with a margin and the cost at 1M archived articles under its target (0.03 of
# trafilatura's time), which 24 missed by ~8% (BENCHMARKS.md).
DEDUP_BANDS = 20
DEDUP_ROWS = 2

# A page is a copy of a stored article when the estimated share of the shorter text
# found in the other (containment) reaches this. Series articles sharing their stock
# intro and outro reach 0.54 in the corpus; sweep precision 0.955 / 0.987 / 0.994 /
# 0.997 / 0.998 at 0.45 / 0.5 / 0.52 / 0.55 / 0.58, while higher bars lose copies right
# at 60% (recall on them 0.994 at 0.55, 0.991 at 0.6).
DEDUP_MIN_CONTAINMENT = 0.55

# With supporting evidence (the page's rel=canonical names a stored copy, or a stored
# copy's canonical names this page) the bar is lowered to this, never further: evidence
# alone never joins pages (syndicators point canonical at their own URL or at a home
# page). "Originally appeared on X" names a site, not a story: it only ranks matches
# (lowering the bar for it merged the weekly recaps of site X: precision 0.876).
DEDUP_EVIDENCE_CONTAINMENT = 0.3

# A page that is a copy of two stored articles joins them into one only when it holds at
# least this share of the second one too: two stories on one topic that a page quotes
# both of (a round-up) stay apart, while copies split by the arrival order (a teaser
# stored before the full text) are brought together.
DEDUP_MERGE_CONTAINMENT = 0.85

# An LSH bucket holding more pages than this is boilerplate shared by many stories (a
# stock paragraph), not a story: only this many of its pages are read as candidates.
DEDUP_MAX_BUCKET = 64

# Band neighbours followed to their articles, those sharing the most bands first: a copy
# (Jaccard >= 0.4) shares ~3+ of 20 bands, a same-topic story ~1. Following neighbours
# is most of the lookup cost (~30 a page in the corpus); sweep recall on copies sharing
# >= 60%: 0.993 / 0.993 / 0.994 / 0.995 following 4 / 8 / 16 / all, 16 ~18% faster.
DEDUP_MAX_CANDIDATES = 16

# Seed of the MinHash permutations; part of the index's identity (dedup_meta).
DEDUP_SEED = 20_250_611
