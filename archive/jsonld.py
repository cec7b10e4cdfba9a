"""A page's JSON-LD: its objects, the article among them and ``{"@id"}`` references.

One reading for both users: the metadata reader (archive/metadata.py) takes title,
authors and dates from the article object, and the site spider (crawler/pagekind.py)
takes a page with one as an article rather than a hub. Two readings had drifted apart
(a live blog was an article for one and a hub for the other).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

# The text of a page's JSON-LD blocks: an XPath for an lxml tree and a Scrapy selector alike
BLOCKS_XPATH = '//script[@type="application/ld+json"]/text()'

# JSON-LD types that describe an article page
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNews",
        "BlogPosting",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "BackgroundNewsArticle",
        "Report",
        "LiveBlogPosting",
        "SocialMediaPosting",
    }
)


def as_list(value: Any) -> list[Any]:
    """A JSON-LD value as a list: schema.org allows one value or several for any field."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def json_ld_objects(blocks: Iterable[str]) -> list[dict[str, Any]]:
    """Every object in the blocks, in document order: top-level lists, ``@graph`` members
    and ``mainEntity`` objects included. A block that is not JSON is skipped (publishers
    print broken ones); control characters in strings are tolerated (``strict=False``)
    as browsers' JSON-LD readers do.

    :param blocks: the text of each JSON-LD script (see :data:`BLOCKS_XPATH`)
    """
    objects: list[dict[str, Any]] = []
    for block in blocks:
        try:
            data = json.loads(block or "null", strict=False)
        except json.JSONDecodeError as exc:
            logger.debug("skipping malformed JSON-LD block: %s", exc)
            continue
        stack = as_list(data)
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                objects.append(item)
                stack.extend(as_list(item.get("@graph")))
                main = item.get("mainEntity")
                if isinstance(main, dict):
                    stack.append(main)
    return objects


def article_object(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The first object whose type is one of :data:`ARTICLE_TYPES`, or ``{}``."""
    for obj in objects:
        types = {t for t in as_list(obj.get("@type")) if isinstance(t, str)}
        if types & ARTICLE_TYPES:
            return obj
    return {}


def resolve(value: Any, objects: list[dict[str, Any]]) -> Any:
    """Follow JSON-LD ``{"@id": ...}`` references into the @graph."""
    if isinstance(value, list):
        return [resolve(v, objects) for v in value]
    if isinstance(value, dict) and set(value) == {"@id"}:
        for obj in objects:
            if obj.get("@id") == value["@id"] and len(obj) > 1:
                return obj
    return value
