"""The offline demo: the embedded fixture web (crawler/demo_web) and its sources."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from crawler.fixture_server import FixtureWeb
from crawler.sources import Source

DEMO_WEB = Path(str(files("crawler") / "demo_web"))
# The site crawled from its section pages (the others come through feeds and sitemaps).
SITE_CRAWL = ("glossmag", ("/tv/", "/celebrity/"))


def demo_manifest() -> dict[str, Any]:
    """The ground truth of the demo web: sites, their feeds and sitemaps, stories, copies."""
    return json.loads((DEMO_WEB / "stories.json").read_text(encoding="utf-8"))


def serve_demo_web() -> FixtureWeb:
    """The demo web on 127.0.0.1 (one port per publisher); a context manager that starts it."""
    return FixtureWeb(DEMO_WEB)


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
