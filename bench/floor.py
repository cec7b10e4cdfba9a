"""The floor under `reprint crawl`'s throughput: the same crawl doing almost nothing.

    python -m bench.floor --mode fetch|first-stage --feed URL [--feed URL ...] --out FILE

bench/throughput.py runs this as its ``scrapy-fetch`` and ``scrapy-first-stage``
systems, next to ``reprint crawl`` on the same web, so that the crawl's speed can be read
against what its two foundations cost on their own (issue 10):

- ``fetch``: a Scrapy crawl of the feeds with the crawl's settings that downloads every
  article and drops it: what Scrapy and Twisted cost per page with no work at all;
- ``first-stage``: the same crawl handing each body to a 2-process pool that decodes and
  parses it and runs trafilatura's first stage (:func:`archive.fastpass.fast_pass`), the
  least extraction reprint does on a page, and drops the text: no metadata, cleaning,
  storage, dedup or full cascade.

No archive is written, so these are floors of any design that keeps Scrapy and trafilatura:
if one of them does not reach a throughput goal on its own, no work on the rest of the
pipeline can. The result (pages, seconds, CPU of the process tree) goes to ``--out`` as
JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.http import Response

from bench.procstat import cpu_seconds

MODES = ("fetch", "first-stage")
# the pool of `reprint crawl` on this machine: one worker per CPU
POOL_WORKERS = os.cpu_count() or 2


def first_stage(body: bytes, url: str) -> int:
    """Decode, parse and run trafilatura's first stage; the text's length (0: none)."""
    from archive.fastpass import fast_pass
    from archive.parse import parse_page

    page = parse_page(body)
    found = fast_pass(page.tree, url) if page is not None else None
    return len(found.text) if found is not None else 0


def _warm(_: int) -> int:
    return first_stage(b"<html><body><p>warm up</p></body></html>", "http://127.0.0.1/")


class FloorSpider(scrapy.Spider):
    """Reads RSS feeds and fetches their items' links."""

    name = "floor"

    def __init__(self, feeds: list[str], mode: str, pool: ProcessPoolExecutor | None) -> None:
        super().__init__()
        self.feeds = feeds
        self.mode = mode
        self.pool = pool
        self.pages = 0
        self.extracted = 0

    async def start(self) -> AsyncIterator[Any]:
        for feed in self.feeds:
            yield scrapy.Request(feed, callback=self.parse_feed)

    def parse_feed(self, response: Response) -> Any:
        for link in response.xpath("//item/link/text()").getall():
            yield response.follow(link.strip(), callback=self.parse_article)

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        self.pages += 1
        if self.pool is not None:
            future = self.pool.submit(first_stage, response.body, response.url)
            if await asyncio.wrap_future(future):
                self.extracted += 1
        return
        yield  # an async generator: Scrapy awaits it like reprint's async callbacks


def run(feeds: list[str], mode: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Crawl ``feeds`` in ``mode``; pages, seconds of the crawl, CPU of the process tree."""
    pool = None
    if mode == "first-stage":
        pool = ProcessPoolExecutor(POOL_WORKERS, mp_context=get_context("spawn"))
        list(pool.map(_warm, range(POOL_WORKERS * 2)))  # imports done before the clock
    process = AsyncCrawlerProcess({"LOG_LEVEL": "WARNING", **settings})
    crawler = process.create_crawler(FloorSpider)
    start = time.perf_counter()
    process.crawl(crawler, feeds=feeds, mode=mode, pool=pool)
    process.start()
    seconds = time.perf_counter() - start
    if pool is not None:
        pool.shutdown()
    spider = crawler.spider
    assert isinstance(spider, FloorSpider)
    # the pool's workers are reaped at its shutdown: their CPU is the children's
    cpu_main, cpu_workers = cpu_seconds(os.getpid())
    return {
        "mode": mode,
        "pages": spider.pages,
        "extracted": spider.extracted,
        "seconds": seconds,
        "cpu_main_s": cpu_main,
        "cpu_workers_s": cpu_workers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--feed", action="append", required=True)
    parser.add_argument("-s", "--set", action="append", default=[], help="NAME=VALUE")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    result = run(args.feed, args.mode, settings)
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
