"""A crawler for testing one component in-process, the Scrapy way: reprint's crawl
settings, no reactor and no engine; the test calls the component and sends the signals
the engine would send."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.run import crawl_settings

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def reprint_settings() -> dict[str, Any]:
    """crawler/settings.py as a settings dict, without Scrapy's defaults (set again, they
    would count as set by the project, and a deprecated one would warn)."""
    settings = crawl_settings()
    return {name: settings[name] for name in settings if settings.getpriority(name) > 0}


def component_crawler(settings: dict[str, Any] | None = None) -> Crawler:
    """A crawler with reprint's settings and ``settings`` on top, its spider created.

    No extension is enabled (Scrapy's own ones expect an engine that opened the spider):
    a test builds the component it tests with ``from_crawler``.
    """
    overrides = {
        **reprint_settings(),
        "TWISTED_REACTOR_ENABLED": False,  # the test runs the components on asyncio itself
        "EXTENSIONS_BASE": {},
        "EXTENSIONS": {},
        **(settings or {}),
    }
    crawler = get_crawler(Spider, settings_dict=overrides)
    crawler.spider = Spider.from_crawler(crawler, name="components")
    return crawler


def send_signal(crawler: Crawler, signal: object) -> None:
    """Send ``signal`` to ``crawler``'s handlers, as the engine would, and wait for them."""
    asyncio.run(crawler.signals.send_catch_log_async(signal))
