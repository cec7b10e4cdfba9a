"""Crawling from several machines: scrapy-redis shares the request queue and the
duplicate filter in Redis; workers push extracted pages to a Redis list, and one archive
writer (`reprint write`) stores them, so SQLite keeps a single writer and dedup needs no
shared index.

Turned on by REPRINT_REDIS_URL (`reprint crawl --redis URL`): see :func:`redis_settings`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.scheduler import Scheduler

from crawler import settings as defaults
from crawler.items import fetched_page
from crawler.redis_writer import ITEMS_KEY, page_to_json

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def redis_settings(url: str) -> dict[str, Any]:
    """Settings that turn a crawl into a worker of a distributed crawl on Redis ``url``."""
    return {
        "REPRINT_REDIS_URL": url,
        "REDIS_URL": url,
        "SCHEDULER": "crawler.distributed.RedisScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # keep the queue and the seen-set between runs: workers come and go, and the
        # seen-set is what makes later runs incremental without the archive at hand
        "SCHEDULER_PERSIST": True,
        # the Redis seen-set makes runs incremental; workers have no archive to look in
        "DOWNLOADER_MIDDLEWARES": {
            **defaults.DOWNLOADER_MIDDLEWARES,
            "crawler.incremental.ArchivedPagesMiddleware": None,
        },
        "ITEM_PIPELINES": {
            "crawler.pipelines.ExtractPipeline": 100,
            "crawler.pipelines.DedupPipeline": 200,
            "crawler.distributed.RedisPagePipeline": 300,
        },
    }


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler without its calls deprecated in Scrapy 2.14+ (the
    ``spider`` argument of stats methods), and closing the spider when Redis goes away
    (scrapy-redis would leave the engine waiting forever)."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's own open() reports a resumed queue with Spider.log(), deprecated
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not self.df:
            self.df: Any = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if pending := len(self.queue):
            logger.info("joining a crawl in progress: %d requests queued in Redis", pending)

    def _lost_redis(self, exc: RedisError) -> None:
        logger.error("lost the Redis queue, closing the spider: %s", exc)
        if self.stats:
            self.stats.inc_value("reprint/errors/redis_unavailable")
        if self.crawler is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis_unavailable"))

    def enqueue_request(self, request: Request) -> bool:
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except RedisError as exc:
            self._lost_redis(exc)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        try:
            request = self.queue.pop(self.idle_before_close)
        except RedisError as exc:
            self._lost_redis(exc)
            return None
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            return super().has_pending_requests()
        except RedisError as exc:
            self._lost_redis(exc)
            return False


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
