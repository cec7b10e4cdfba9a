"""Is a fetched page an article, or a hub (section front, tag page, listing)?

Used by the site spider, which meets both; feeds and sitemaps list articles only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive.jsonld import BLOCKS_XPATH, article_object, json_ld_objects

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


def _json_ld_says_article(response: TextResponse) -> bool:
    # extraction's own JSON-LD reading, so that what it takes as an article (a live blog
    # is one) the site spider does not take for a hub
    return bool(article_object(json_ld_objects(response.xpath(BLOCKS_XPATH).getall())))


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
    if og_type == "article" or _json_ld_says_article(response):
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
