"""The offline demo: the embedded fixture web (crawler/demo/web), its sources, and the
route crawls take to it.

The demo web's publishers are named like real ones (``glossmag.example``, ...): one
loopback server answers for all of them by host name, and crawls reach it as their HTTP
proxy for ``.example`` hosts only (DemoWebMiddleware, on when REPRINT_DEMO_WEB names
that server). So the archive, its facets and charts read ``glossmag.example``, not
``127.0.0.1:PORT``, nothing on the machine is changed (no hosts file, no DNS), and every
crawl of the demo finds the same URLs: a second one adds nothing.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawler.demo.server import FixtureWeb
from crawler.netpolicy import DEMO_DOMAIN, is_demo_host
from crawler.sources import Source

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

DEMO_WEB = Path(str(files("crawler.demo") / "web"))
# The site crawled from its section pages (the others come through feeds and sitemaps).
SITE_CRAWL = ("glossmag", ("/tv/", "/celebrity/"))
# The setting that routes NAME.example to the demo web (crawler/settings.py).
DEMO_WEB_SETTING = "REPRINT_DEMO_WEB"


def demo_manifest() -> dict[str, Any]:
    """The ground truth of the demo web: sites, their feeds and sitemaps, stories, copies."""
    return json.loads((DEMO_WEB / "stories.json").read_text(encoding="utf-8"))


def serve_demo_web() -> FixtureWeb:
    """The demo web as NAME.example hosts behind one server on 127.0.0.1 (``proxy_url``);
    a context manager that starts it."""
    return FixtureWeb(DEMO_WEB, domain=DEMO_DOMAIN)


def demo_sources(web: FixtureWeb) -> list[Source]:
    """Every feed and sitemap of the demo web, plus a site crawl of one publisher."""
    sources = []
    for site, info in demo_manifest()["sites"].items():
        sources += [Source(f"{site} feed", "feed", web.url(site, p)) for p in info["feeds"]]
        sources += [
            Source(f"{site} sitemap", "sitemap", web.url(site, p)) for p in info["sitemaps"]
        ]
    site, sections = SITE_CRAWL
    sources.append(Source(f"{site} site", "site", web.url(site, "/"), sections=sections))
    return sources


class DemoWebMiddleware:
    """Send requests for ``NAME.example`` hosts to the demo web's server, as their proxy.

    Off (NotConfigured) unless REPRINT_DEMO_WEB is set, which only `reprint demo` and the
    operator (``-s``) do; pages fetched cannot change settings. Runs before the network
    guard (crawler/netguard.py), which lets exactly these requests through unresolved.
    """

    def __init__(self, demo_web: str) -> None:
        self.demo_web = demo_web

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DemoWebMiddleware:
        demo_web = crawler.settings.get(DEMO_WEB_SETTING)
        if not demo_web:
            # no message: Scrapy logs a NotConfigured with one as a warning, and off is
            # the normal case (every crawl but the demo's)
            raise NotConfigured
        return cls(demo_web)

    def process_request(self, request: Request) -> None:
        if is_demo_host(urlparse_cached(request).hostname or ""):
            request.meta["proxy"] = self.demo_web
