"""Crawling from several machines: scrapy-redis shares the request queue and the
duplicate filter in Redis; workers push extracted pages to a Redis list, and one archive
writer (`reprint write`) stores them, so SQLite keeps a single writer and dedup needs no
shared index.

Requests are leased, not deleted, when a worker takes them: popping moves a request into
a lease (a deadline in a sorted set, the request in a hash) in one Lua script; the worker
renews its leases while it works and finishes one when its request is done (its page
pushed for the writer or dropped, its callback finished, or the request handed on to the
queue as a redirect or retry). A worker that dies stops renewing; any worker requeues
expired leases when it pops (and when it opens), straight into the queue and not through
the seen-set, so nothing a dead worker took is lost. Pages are thus fetched at least once
and stored exactly once (the writer stores by normalised URL).

Why not scrapy-redis's own queues: they pop with RPOP/ZREMRANGEBYRANK, so a request is
gone from Redis the moment a worker takes it, and the duplicate filter already holds its
fingerprint: a killed worker loses it for every later run. Its PriorityQueue's layout (a
sorted set scored by -priority, the key ``<spider>:requests``) and its RFPDupeFilter
(fingerprints, the key ``<spider>:dupefilter``) are kept, so queues and seen-sets of
earlier runs carry over.

Turned on by REPRINT_REDIS_URL (`reprint crawl --redis URL`): see :func:`redis_settings`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy import Request, signals
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from crawler import settings as defaults
from crawler.items import fetched_page
from crawler.redis_writer import ITEMS_KEY, page_to_json

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

# Request.meta key: the lease a request was popped under (never stored in the queue)
LEASE_META = "reprint_lease"

# Custom signals from the lease middlewares to the scheduler; args: token (str).
# lease_item_started: the leased request's callback produced an item (finished by the
# item_scraped/_dropped/_error signal); lease_request_done: the request itself is done
# (callback finished, download failed for good, or handed on to the queue).
lease_item_started = object()
lease_request_done = object()

# Expired leases requeued per script call: bounds how long one call holds Redis
RECLAIM_BATCH = 500

# Lua: each script runs atomically, so a request is always in exactly one of the queue
# and the leases, whenever a worker dies. Deadlines come from Redis's clock (TIME), so
# workers' clocks need not agree.
_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""
# KEYS: queue, deadlines, leased; ARGV: token, lease ms
_POP = (
    _NOW_MS
    + """
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #head == 0 then return false end
redis.call('ZREM', KEYS[1], head[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], head[1], ARGV[1] .. ':score', head[2])
return head[1]
"""
)
# the loop body of requeueing one lease (token in `token`); KEYS as _POP
_REQUEUE = """
local data = redis.call('HGET', KEYS[3], token)
if data then
  local score = redis.call('HGET', KEYS[3], token .. ':score') or '0'
  redis.call('ZADD', KEYS[1], score, data)
end
redis.call('ZREM', KEYS[2], token)
redis.call('HDEL', KEYS[3], token, token .. ':score')
"""
# KEYS as _POP; ARGV: at most this many
_RECLAIM = (
    _NOW_MS
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, ARGV[1])
for _, token in ipairs(expired) do
"""
    + _REQUEUE
    + """
end
return #expired
"""
)
# KEYS as _POP; ARGV: tokens. Leases this worker gives back before they expire.
_RELEASE = (
    """
local n = 0
for _, token in ipairs(ARGV) do
  if redis.call('ZSCORE', KEYS[2], token) then
"""
    + _REQUEUE
    + """
    n = n + 1
  end
end
return n
"""
)
# KEYS: deadlines; ARGV: lease ms, tokens. Returns the tokens no longer leased (expired
# and requeued by another worker): those requests will be fetched again there.
_RENEW = (
    _NOW_MS
    + """
local lost = {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
"""
)
# KEYS: seen-set, queue; ARGV: fingerprint, score, request. Seen and queued together: a
# worker killed in between would otherwise leave a fingerprint whose request no one has.
_PUSH_UNSEEN = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


def redis_settings(url: str) -> dict[str, Any]:
    """Settings that turn a crawl into a worker of a distributed crawl on Redis ``url``."""
    return {
        "REPRINT_REDIS_URL": url,
        "REDIS_URL": url,
        "SCHEDULER": "crawler.distributed.RedisScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedPriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # keep the queue and the seen-set between runs: workers come and go, and the
        # seen-set is what makes later runs incremental without the archive at hand
        "SCHEDULER_PERSIST": True,
        # the Redis seen-set makes runs incremental; workers have no archive to look in
        "DOWNLOADER_MIDDLEWARES": {
            **defaults.DOWNLOADER_MIDDLEWARES,
            "crawler.incremental.ArchivedPagesMiddleware": None,
            # outermost: sees a download's failure only when no middleware retried it
            "crawler.distributed.LeaseDownloaderMiddleware": 10,
        },
        "SPIDER_MIDDLEWARES": {
            **defaults.SPIDER_MIDDLEWARES,
            # outermost: counts the items that reach the pipelines, after all filtering
            "crawler.distributed.LeaseSpiderMiddleware": 10,
        },
        "ITEM_PIPELINES": {
            **defaults.ITEM_PIPELINES,
            # workers push pages to Redis; `reprint write` stores them
            "crawler.pipelines.ArchivePipeline": None,
            "crawler.distributed.RedisPagePipeline": 300,
        },
    }


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue (same keys and scores) whose pop leases the request
    (see the module's docstring); the lease keys are ``<queue key>:leases`` (token ->
    deadline, ms of Redis's clock) and ``<queue key>:leased`` (token -> request, and
    token:score -> its queue score)."""

    def __init__(self, server: Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.deadlines_key = f"{self.key}:leases"
        self.leased_key = f"{self.key}:leased"
        self._keys = [self.key, self.deadlines_key, self.leased_key]
        self._pop = server.register_script(_POP)
        self._reclaim = server.register_script(_RECLAIM)
        self._release = server.register_script(_RELEASE)
        self._renew = server.register_script(_RENEW)
        self._push_unseen = server.register_script(_PUSH_UNSEEN)

    def push_unseen(self, request: Request, fingerprint: str, seen_key: str) -> bool:
        """Add ``fingerprint`` to the seen-set ``seen_key`` and queue ``request``, both or
        neither; return False when it was seen already."""
        data = self._encode_request(request)
        return bool(
            self._push_unseen(
                keys=[seen_key, self.key], args=[fingerprint, -request.priority, data]
            )
        )

    def pop_leased(self, token: str, lease_s: float) -> Request | None:
        """Take the first request under lease ``token`` for ``lease_s`` seconds."""
        data = self._pop(keys=self._keys, args=[token, int(lease_s * 1000)])
        if data is None:
            return None
        request: Request = self._decode_request(data)
        return request

    def reclaim_expired(self) -> int:
        """Requeue every expired lease; return how many."""
        total = 0
        while (n := int(self._reclaim(keys=self._keys, args=[RECLAIM_BATCH]))) > 0:
            total += n
            if n < RECLAIM_BATCH:
                break
        return total

    def renew(self, tokens: list[str], lease_s: float) -> list[str]:
        """Extend leases ``tokens`` to ``lease_s`` from now; return those already lost."""
        if not tokens:
            return []
        lost = self._renew(keys=[self.deadlines_key], args=[int(lease_s * 1000), *tokens])
        return [t.decode() if isinstance(t, bytes) else t for t in lost]

    def finish(self, tokens: list[str]) -> None:
        """Forget leases ``tokens``: their requests are done."""
        if not tokens:
            return
        pipe = self.server.pipeline()  # MULTI: never a deadline without its request
        pipe.zrem(self.deadlines_key, *tokens)
        pipe.hdel(self.leased_key, *tokens, *(f"{t}:score" for t in tokens))
        pipe.execute()

    def release(self, tokens: list[str]) -> int:
        """Requeue leases ``tokens`` now (their requests may not be done); return how many."""
        if not tokens:
            return 0
        return int(self._release(keys=self._keys, args=tokens))

    def leases(self) -> int:
        """Leases held by all workers."""
        return int(self.server.zcard(self.deadlines_key))

    def clear(self) -> None:
        self.server.delete(*self._keys)


@dataclass
class _Lease:
    """What a leased request still waits for before it is done."""

    request_done: bool = False
    items: int = 0  # produced by its callback and still in the item pipelines


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler with leased requests (see the module's docstring),
    without its calls deprecated in Scrapy 2.14+ (the ``spider`` argument of stats
    methods), and closing the spider when Redis goes away (scrapy-redis would leave the
    engine waiting forever). SCHEDULER_IDLE_BEFORE_CLOSE (a blocking pop) is not
    supported: the engine asks again on its heartbeat."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        settings = crawler.settings
        scheduler.lease_s = settings.getfloat("REPRINT_LEASE_SECONDS")
        scheduler.reclaim_interval_s = settings.getfloat("REPRINT_LEASE_RECLAIM_INTERVAL")
        scheduler.held = {}
        scheduler.next_reclaim = 0.0
        scheduler.renewer = LoopingCall(scheduler.renew_leases)
        for handler, signal in (
            (scheduler.item_started, lease_item_started),
            (scheduler.request_done, lease_request_done),
            (scheduler.item_done, signals.item_scraped),
            (scheduler.item_done, signals.item_dropped),
            (scheduler.item_done, signals.item_error),
        ):
            crawler.signals.connect(handler, signal=signal)
        return scheduler

    # set in from_crawler
    lease_s: float
    reclaim_interval_s: float
    held: dict[str, _Lease]
    next_reclaim: float
    renewer: LoopingCall

    def open(self, spider: Spider) -> None:
        # scrapy-redis's own open() reports a resumed queue with Spider.log(), deprecated
        self.spider = spider
        self.queue: LeasedPriorityQueue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not self.df:
            self.df: Any = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        self.reclaim()
        if pending := len(self.queue):
            logger.info("joining a crawl in progress: %d requests queued in Redis", pending)
        # a third of the lease: two renewals may fail or run late before it expires
        self.renewer.start(self.lease_s / 3, now=False)

    def close(self, reason: str) -> None:
        if self.renewer.running:
            self.renewer.stop()
        tokens = list(self.held)
        self.held.clear()
        try:
            if reason == "finished":
                # the engine was idle: every request it took is done, also one whose end
                # no signal told (counted, so a gap in the tracking shows)
                self.queue.finish(tokens)
                self._inc("reprint/leases_finished_at_close", len(tokens))
            else:
                # stopped mid-crawl: what was in flight goes back now, not at expiry
                self._inc("reprint/leases_released", self.queue.release(tokens))
        except RedisError as exc:
            logger.error("could not give back %d leases (they expire): %s", len(tokens), exc)
        super().close(reason)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats and count:
            self.stats.inc_value(key, count)

    def _lost_redis(self, exc: RedisError) -> None:
        logger.error("lost the Redis queue, closing the spider: %s", exc)
        self._inc("reprint/errors/redis_unavailable")
        if self.crawler is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis_unavailable"))

    def reclaim(self) -> None:
        """Requeue the expired leases of workers that died."""
        self.next_reclaim = time.monotonic() + self.reclaim_interval_s
        if reclaimed := self.queue.reclaim_expired():
            logger.info("requeued %d requests whose worker stopped renewing them", reclaimed)
            self._inc("reprint/leases_reclaimed", reclaimed)

    def renew_leases(self) -> None:
        """Extend every lease this worker holds (runs every third of a lease)."""
        try:
            lost = self.queue.renew(list(self.held), self.lease_s)
        except RedisError as exc:
            # not fatal yet: the next renewal may get through before the leases expire
            logger.warning("could not renew leases: %s", exc)
            return
        for token in lost:
            # another worker requeued it (this one stalled past its lease): fetched twice
            del self.held[token]
        if lost:
            logger.warning("%d leases expired before renewal; others fetch them again", len(lost))
            self._inc("reprint/leases_lost", len(lost))

    def _done_if_finished(self, token: str) -> None:
        lease = self.held.get(token)
        if lease is None or not lease.request_done or lease.items > 0:
            return
        del self.held[token]
        try:
            self.queue.finish([token])
        except RedisError as exc:
            self._lost_redis(exc)

    def item_started(self, token: str) -> None:
        if (lease := self.held.get(token)) is not None:
            lease.items += 1

    def request_done(self, token: str) -> None:
        if (lease := self.held.get(token)) is not None:
            lease.request_done = True
            self._done_if_finished(token)

    def item_done(self, item: Any, response: Response | Failure | None, **kwargs: Any) -> None:
        request = getattr(response, "request", None)
        token = request.meta.get(LEASE_META) if request is not None else None
        if token is not None and (lease := self.held.get(token)) is not None and lease.items:
            lease.items -= 1
            self._done_if_finished(token)

    def enqueue_request(self, request: Request) -> bool:
        # a request carrying a lease is its leased request handed on (a redirect, a
        # retry): once it is in the queue, the lease is done; the queued copy has none
        token = request.meta.pop(LEASE_META, None)
        try:
            if request.dont_filter:
                self.queue.push(request)
            elif not self.queue.push_unseen(
                request, self.df.request_fingerprint(request), self.df.key
            ):
                self.df.log(request, self.spider)
                return False
        except RedisError as exc:
            self._lost_redis(exc)
            return False
        finally:
            if token is not None:
                self.request_done(token)
        self._inc("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        token = uuid.uuid4().hex
        try:
            if time.monotonic() >= self.next_reclaim:
                self.reclaim()
            request = self.queue.pop_leased(token, self.lease_s)
        except RedisError as exc:
            self._lost_redis(exc)
            return None
        if request is None:
            return None
        request.meta[LEASE_META] = token
        self.held[token] = _Lease()
        self._inc("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        # leases of other workers may come back (when a worker dies): wait for them,
        # asking on the engine's heartbeat
        try:
            return len(self.queue) > 0 or self.queue.leases() > len(self.held)
        except RedisError as exc:
            self._lost_redis(exc)
            return False


def _lease_of(request: Request | None) -> str | None:
    return request.meta.get(LEASE_META) if request is not None else None


class LeaseSpiderMiddleware:
    """Tells the scheduler when a leased request's callback has finished and which items
    it produced (their pipelines' end finishes the lease), and keeps the lease off the
    requests the callback yields (they are new requests, not the leased one)."""

    def __init__(self, crawler: Crawler) -> None:
        self.signals = crawler.signals

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseSpiderMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        token = _lease_of(response.request)
        try:
            async for output in result:
                if isinstance(output, Request):
                    output.meta.pop(LEASE_META, None)
                elif token is not None and output is not None:
                    self.signals.send_catch_log(lease_item_started, token=token)
                yield output
        finally:
            if token is not None:
                self.signals.send_catch_log(lease_request_done, token=token)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        # the callback (or a middleware before it) failed: nothing more will come of it
        if (token := _lease_of(response.request)) is not None:
            self.signals.send_catch_log(lease_request_done, token=token)


class LeaseDownloaderMiddleware:
    """Tells the scheduler when a leased request failed for good (no middleware retried
    it or answered for it): its lease is done, as a page's whose fetch failed in a local
    crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.signals = crawler.signals

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseDownloaderMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if (token := _lease_of(request)) is not None:
            self.signals.send_catch_log(lease_request_done, token=token)


class RedisPagePipeline:
    """Push extracted pages to Redis for the archive writer (instead of ArchivePipeline)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.server: Redis = get_redis_from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisPagePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        page = fetched_page(item)
        self.server.rpush(ITEMS_KEY, page_to_json(page))
        self.stats.inc_value("reprint/pages_queued")
        return item
