"""Is a fetched page an article, or a hub (section front, tag page, listing)?

Used by the site spider, which meets both; feeds and sitemaps list articles only.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from archive.metadata import ARTICLE_TYPES

if TYPE_CHECKING:
    from scrapy.http import TextResponse

# Paths of listings, not stories.
HUB_PATH = re.compile(
    r"(^/$|/(page|p)/\d+/?$|/(tag|tags|topic|topics|category|categories|section|author|authors"
    r"|search|about|contact|privacy|terms|newsletter|subscribe|video|videos|gallery|galleries"
    r"|login|account)(/|$))",
    re.IGNORECASE,
)
# A story slug: several hyphenated words, or a dated path, or a long numeric id.
ARTICLE_PATH = re.compile(
    r"(/[a-z0-9]+(-[a-z0-9]+){3,}(\.html?)?/?$|/\d{4}/\d{1,2}(/\d{1,2})?/[^/]+|/\d{6,}(\.html?)?/?$|"
    r"-\d{5,}(\.html?)?/?$)",
    re.IGNORECASE,
)
# More links than paragraphs of this many words: a listing.
PARAGRAPH_MIN_WORDS = 25


def _ld_types(response: TextResponse) -> set[str]:
    found: set[str] = set()
    for block in response.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(block)
        except json.JSONDecodeError:
            continue
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict):
                graph = item.get("@graph")
                for node in [item, *(graph if isinstance(graph, list) else [])]:
                    kind = node.get("@type") if isinstance(node, dict) else None
                    found.update(kind if isinstance(kind, list) else [kind] if kind else [])
    return found


def _path(url: str) -> str:
    path = url.split("?", 1)[0].split("//", 1)[-1]
    return "/" + path.split("/", 1)[1] if "/" in path else "/"


def is_hub_url(url: str) -> bool:
    """Tell from its URL alone that a page is a listing (section front, tag, author...)."""
    return bool(HUB_PATH.search(_path(url)))


def is_article_page(response: TextResponse) -> bool:
    """Tell an article page from a hub by its markup first, then its URL and shape.

    :param response: an HTML response
    """
    og_type = (response.xpath('//meta[@property="og:type"]/@content').get() or "").lower()
    # the JSON-LD types extraction takes as articles too (a live blog is one)
    if og_type == "article" or _ld_types(response) & ARTICLE_TYPES:
        return True
    if og_type in ("website", "video.other", "profile"):
        return False
    path = _path(response.url)
    if HUB_PATH.search(path):
        return False
    long_paragraphs = sum(
        1
        for p in response.xpath("//p").xpath("normalize-space()").getall()
        if len(p.split()) >= PARAGRAPH_MIN_WORDS
    )
    return bool(ARTICLE_PATH.search(path)) and long_paragraphs >= 2
