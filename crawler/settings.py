"""Scrapy settings of reprint: every crawl setting lives here, with the reason for each value.

`scrapy crawl <spider>` reads this module through scrapy.cfg; `reprint crawl` loads it and
overrides only what its options say.
"""

from __future__ import annotations

from importlib.util import find_spec

# lower-case names: Scrapy reads only upper-case ones as settings
import archive
import archive.settings as archive_settings

BOT_NAME = "reprint"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Name the project and how to reach its operator, as polite crawlers do; set
# REPRINT_CONTACT (a URL or e-mail address) for your deployment.
REPRINT_VERSION = archive.__version__  # the installed package's (pyproject.toml)
REPRINT_CONTACT = "+https://github.com/reprint-news/reprint"
USER_AGENT = f"reprint/{REPRINT_VERSION} ({REPRINT_CONTACT}; news archiver)"

ROBOTSTXT_OBEY = True

# Politeness: AutoThrottle adapts the delay to each server's latency, aiming at one
# request in flight per site; never more than two at once on one site.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
# Scrapy processes each response's output with this many asyncio tasks, created and
# ended per response whatever it yields: at the default 100, a third of the reactor's
# time in a 1000-page crawl went to making tasks for the one item an article page gives
# (issue 10). A feed or sitemap yields requests, each scheduled at once; an article page
# yields one item, which waits for its extraction: two is enough for either.
CONCURRENT_ITEMS = 2

# Retries: transient server errors and timeouts; 429/503 wait for Retry-After first
# (crawler.middlewares.RetryAfterMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REPRINT_RETRY_AFTER_MAX = 120.0  # seconds; a longer wait is not honoured, the page is retried later
REPRINT_RETRY_AFTER_DEFAULT = 5.0  # seconds, for a 429/503 without a usable Retry-After

# News pages are 50 KB-1.5 MB; a body over 10 MB is not an article (and could be a bomb).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Seconds for one whole download, a body trickled a byte at a time included (Scrapy
# cancels it then); `reprint extract --url` gives its whole fetch, redirects included,
# this long (crawler/fetch_one.py). A server that takes longer is stalling, not serving.
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5

# Requests to loopback/private/link-local addresses are refused unless their host is
# listed here (crawler/netpolicy.py, crawler/netguard.py); `reprint crawl --allow-host
# HOST` adds to it (`reprint extract --url` takes its own --allow-host).
REPRINT_ALLOW_HOSTS: list[str] = []
TWISTED_DNS_RESOLVER = "crawler.netguard.PublicOnlyResolver"
# Only http(s) is fetched (the guard middleware refuses other schemes first): a file: URL
# named by a remote robots.txt or sitemap would read local files, unbounded by
# DOWNLOAD_MAXSIZE; ftp: and s3: reach hosts by other protocols; data: turns a URL from a
# remote document into a response without any fetch.
DOWNLOAD_HANDLERS = {"file": None, "s3": None, "ftp": None, "data": None}

# The offline demo's web: its server's address (http://127.0.0.1:PORT), through which
# crawls reach the demo's NAME.example hosts (crawler/demo.py; `reprint demo` sets it,
# `reprint demo --serve` prints it). Empty in real crawls: the route is off.
REPRINT_DEMO_WEB = ""

DOWNLOADER_MIDDLEWARES = {
    # before the guard: it lets exactly the requests routed to the demo web through
    "crawler.demo.DemoWebMiddleware": 40,
    # next: nothing, not even robots.txt, is fetched from a refused address
    "crawler.netguard.PrivateAddressGuardMiddleware": 50,
    # after robots.txt (100): archived pages are skipped, sources asked conditionally
    "crawler.incremental.ArchivedPagesMiddleware": 120,
    # after it: only pages not archived yet count against their source's budget
    "crawler.budget.SourceBudgetMiddleware": 130,
    # a higher number than RetryMiddleware (550): responses reach it first
    "crawler.middlewares.RetryAfterMiddleware": 560,
    # Scrapy's meta-refresh redirects at its own place, without decoding every body
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefreshHeadMiddleware": 580,
}
SPIDER_MIDDLEWARES: dict[str, int] = {}

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,
    "crawler.pipelines.DedupPipeline": 200,
    "crawler.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.ProgressDisplay": 510,
    "crawler.extensions.SourceReport": 511,
    "crawler.extensions.ArticleLimit": 512,
    # how long the reactor is kept from its callbacks (parsing, SQLite writes, dedup all
    # run on it): stats reprint/loop_lag_max_ms and _p99_ms, read by bench/throughput.py
    "crawler.looplag.LoopLagMonitor": 520,
    # the objects alive at the engine's start out of the collector's full passes, which
    # scanning them kept the reactor waiting 67-88 ms (crawler/gcfreeze.py)
    "crawler.gcfreeze.FreezeStartupObjects": 530,
    # the GIL handed back to the reactor within REPRINT_SWITCH_INTERVAL while the crawl's
    # threads (source parser, writer) run Python code (crawler/switchinterval.py)
    "crawler.switchinterval.ReactorSwitchInterval": 540,
    # debug records no handler writes are not built (crawler/loglevels.py)
    "crawler.loglevels.SkipUnwrittenRecords": 550,
    # Consoles into the running crawl are off: an archiver run by cron or scrapyd needs no
    # one typing into it. Telnet listens for Python; Scrapy 2.19's RemoteControl runs any
    # Python posted to its HTTP server (its token written to a job file in the user's
    # state directory, a file per crawl left there). reprint's crawls do not even import
    # them (crawler/run.py crawl_settings): RemoteControl's aiohttp took ~100 ms of each
    # crawl's start-up.
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Seconds a thread holding the GIL keeps it once another (the reactor) waits for it, during
# a crawl (CPython's default: 0.005; 0 leaves it). Runs of the 20,000-page start (8 feeds
# of 2,500 entries parsed beside the reactor), loop lateness over 30 ms: 0.005 -> 83, 36,
# 114 ms at worst; 0.001 -> 58, none, none.
REPRINT_SWITCH_INTERVAL = 0.001
# The reactor's asyncio loop: uvloop's (libuv, in C) where it is installed (a dependency
# on Linux and macOS; it has no Windows build). Every callback of the crawl goes through
# the loop. Paired 1000-page crawls of the copies web (bench/throughput.py): the main
# process's CPU 5.72/5.52 -> 5.38/5.49 s, the loop lag max 43/26 -> 15/20 ms and p99
# 14/12 -> 9/8 ms, every page stored in both.
ASYNCIO_EVENT_LOOP = "uvloop.Loop" if find_spec("uvloop") else None
LOG_LEVEL = "INFO"
# Dropped pages (not articles, duplicates) are routine and counted in stats by reason.
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# --- reprint ---
ARCHIVE_PATH = "archive.db"
# Re-fetch pages already archived (conditionally); off, each run fetches only new URLs.
REPRINT_REFRESH = False
REPRINT_SOURCES = "sources.toml"
# Extraction runs in worker processes so the reactor never blocks on parsing; None: one
# per CPU core the crawl may use (extraction is ~90% of a crawl's CPU, bench/throughput.py);
# 0 runs it in a thread of this process (for debugging).
REPRINT_EXTRACT_WORKERS: int | None = None
# Seconds one page may take to extract before its worker is killed and the page given up
# (stat reprint/errors/extract_timeout). Real news pages take 10-400 ms; pathological
# ones (hundreds of thousands of tiny paragraphs) took minutes and most of a GB.
REPRINT_EXTRACT_TIMEOUT = 30.0
# Added to the extraction workers' nice value. One worker per core keeps every core busy,
# so the crawl's own process (downloads, the archive writer) waits for a time slice and
# the event loop runs late. Paired runs of bench/throughput.py (1000 pages, copies web):
# nice 0: 0.93/1.02x bare trafilatura, loop lag p99 52/44 ms; nice 5: 0.98/0.97x, p99
# 28/38 ms. Higher values would starve the workers behind any other busy program.
REPRINT_EXTRACT_NICENESS = 5
REPRINT_MIN_WORDS = archive_settings.MIN_ARTICLE_WORDS  # the library's, with its reason
# Archive writes are batched: one transaction per this many pages, or per this many
# seconds, whichever comes first; a crash loses at most one batch of unsaved pages,
# which the next run fetches again.
REPRINT_COMMIT_ITEMS = 50
REPRINT_COMMIT_SECONDS = 2.0
# A write waits this long for another writer's lock (a reextract or a user's SQL) before
# the batch counts as failed; reextract commits every few seconds, so 30 s is ample.
REPRINT_BUSY_TIMEOUT_MS = 30_000
# SQLite page cache of the crawl's writer, MiB. The archive library's default (256, for
# dedup index lookups in big one-off jobs) filled up with the raw bodies a crawl writes
# and never reads again: the crawl's RSS grew 43% from 2k to 20k pages, 230 MB of it in
# the main process. The writer thread is idle ~85% of a crawl, so a smaller cache costs
# no throughput.
REPRINT_WRITER_CACHE_MB = 32
# A batch the archive refuses (disk full, I/O error, lock held too long) stays pending
# and is tried again at the next flush; after this many failures in a row the crawl stops
# (close reason archive_write_failed, exit 3) instead of fetching what it cannot store.
# 4 tries at the default busy timeout ride out two minutes of a held lock.
REPRINT_STORE_MAX_FAILURES = 4
# Batches handed to the archive's writer thread and not yet committed, at most; past it
# the pipeline waits, so a slow disk holds pages back instead of piling them up in memory.
REPRINT_WRITER_QUEUED_BATCHES = 2
# Requests one source may lead to in one crawl (its articles, child sitemaps, site pages;
# already archived pages do not count), crawler/budget.py. At a polite ~1.5 requests a
# second a site (AutoThrottle, DOWNLOAD_DELAY), 5,000 is about an hour: a 100k-item feed
# or a 50k-child sitemap index is taken in hourly slices instead of holding the crawl and
# the archive lock, so every other scheduled source, for a day. 0: no cap.
REPRINT_SOURCE_MAX_REQUESTS = 5000
# Seconds a crawl may run in all (Scrapy's CloseSpider; close reason closespider_timeout).
# Scheduled crawls run every 30-60 min and wait for each other's archive lock; two hours
# lets a crawl of many sources at their caps finish while no crawl, stuck on slow servers,
# holds the lock for longer. A crawl stopped this way saves no feed validator, so the next
# one resumes where it stopped. 0: no limit.
CLOSESPIDER_TIMEOUT = 2 * 3600
# Sitemaps: only URLs whose news date or lastmod is on/after this ISO date (None: all).
REPRINT_SINCE: str | None = None
# sitemaps.org allows a sitemap 50 MB uncompressed (Google too): a sitemap may be downloaded
# and decompressed to this many bytes, past the 10 MB page cap. Parsed streaming, a 51 MiB
# sitemap adds ~30 MiB while parsing, not the 331 MiB of a whole tree (BENCHMARKS.md).
REPRINT_SITEMAP_MAXSIZE = 50 * 1024 * 1024
# Feeds have no size limit of their own; archives' feeds of every story reach tens of MB.
# A feed over 1 MiB is read entry by entry (crawler/feedparse.py): a 52 MiB feed adds
# 13 MiB while parsing, not the 360 MiB of a whole tree (BENCHMARKS.md).
REPRINT_FEED_MAXSIZE = 50 * 1024 * 1024
# Feeds followed from a homepage given as a feed (autodiscovery), at most: sites name their
# main feed, perhaps a comments feed and a few section feeds, in page order, the main one
# first. Source documents are outside REPRINT_SOURCE_MAX_REQUESTS, so a page naming
# thousands must not turn into thousands of fetches.
REPRINT_FEED_DISCOVERY_MAX = 5
# Sitemap indexes nest at most this deep (guards against index loops and traps).
REPRINT_SITEMAP_MAX_DEPTH = 3
# Site crawls: links followed this deep from a section page, at most this many pages a site.
REPRINT_SITE_DEPTH = 3
REPRINT_SITE_MAX_PAGES = 500
# Requests a feed or sitemap hands to the scheduler before the rest are held back, to be
# scheduled as it drains (crawler/spiders/base.py SourceSpider.hand_over); 0: no limit.
# Each queued request is ~13 objects the garbage collector scans on every full pass: a
# 20,000-page crawl of 8 long feeds queued all 20,000 at once, and its 38 full passes held
# the reactor 120-205 ms each. 2,000 is 20-40 s of work at the crawl's speed, so the
# downloader never waits for it (issue 10, BENCHMARKS.md).
REPRINT_MAX_QUEUED_REQUESTS = 2000
# Loop-lag timer period in seconds (crawler/looplag.py); 0 turns the monitor off. 10 ms
# resolves the lag a page's pipeline work causes, for ~100 cheap wake-ups a second.
REPRINT_LOOP_LAG_INTERVAL = 0.01
# A rich live table of progress on stderr (the `reprint` CLI turns it on for terminals).
REPRINT_PROGRESS = False
# Stop the crawl once this many new articles are stored (`reprint crawl --limit`, to try
# a source cheaply); 0: no limit.
REPRINT_ARTICLE_LIMIT = 0
# Distributed crawls (`reprint crawl --redis`, crawler/distributed.py): a request a worker
# takes is leased for this many seconds and renewed every third of it while the worker
# lives; a lease that expires (its worker died) is requeued for any worker. A lease must
# outlive the slowest page (DOWNLOAD_TIMEOUT + REPRINT_EXTRACT_TIMEOUT) with a margin, so
# that a live worker whose renewals stalled is not robbed of a page mid-way (it would be
# fetched twice); shorter means a dead worker's requests come back sooner.
REPRINT_LEASE_SECONDS = 90.0
# Seconds between checks for expired leases (when a worker pops, and when it opens):
# each check is one script over the expired entries only, so often is cheap; seldom
# delays a dead worker's requests by up to this much beyond their lease.
REPRINT_LEASE_RECLAIM_INTERVAL = 5.0
