"""Run the spiders over a list of sources in one Scrapy process (used by `reprint crawl`
and `reprint demo`; `scrapy crawl NAME` runs one spider the usual way)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.feeds import FeedsSpider
from crawler.spiders.site import SiteSpider
from crawler.spiders.sitemaps import SitemapsSpider

if TYPE_CHECKING:
    from crawler.sources import Source

SPIDER_FOR_KIND = {"feed": FeedsSpider, "sitemap": SitemapsSpider, "site": SiteSpider}


@dataclass(slots=True)
class SpiderOutcome:
    """How one spider's crawl ended."""

    spider: str
    reason: str
    stats: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.reason == "finished" or self.reason.startswith("closespider_")


def crawl_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """crawler/settings.py with ``overrides`` on top (command-line priority)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def run_crawl(
    sources: list[Source], overrides: dict[str, Any] | None = None, since: str | None = None
) -> list[SpiderOutcome]:
    """Crawl ``sources`` (each kind by its spider, side by side) into the archive.

    :param sources: what to crawl
    :param overrides: Scrapy settings over crawler/settings.py (ARCHIVE_PATH, ...)
    :param since: sitemaps: only pages dated on or after this ISO date
    """
    process = AsyncCrawlerProcess(crawl_settings(overrides))
    crawlers = []
    for kind, spidercls in SPIDER_FOR_KIND.items():
        chosen = [s for s in sources if s.kind == kind]
        if not chosen:
            continue
        crawler = process.create_crawler(spidercls)
        kwargs: dict[str, Any] = {"sources": chosen}
        if kind == "sitemap" and since:
            kwargs["since"] = since
        process.crawl(crawler, **kwargs)
        crawlers.append(crawler)
    if crawlers:
        process.start()
    return [
        SpiderOutcome(
            spider=crawler.spidercls.name,
            reason=str(crawler.stats.get_value("finish_reason", "not started")),
            stats=dict(crawler.stats.get_stats()),
        )
        for crawler in crawlers
    ]
