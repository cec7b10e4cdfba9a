"""Page metadata from structured markup: JSON-LD, OpenGraph/meta tags, <link rel=canonical>.

trafilatura finds title, author and site name well but keeps only the day of a date and
drops the language; publishers state both precisely in JSON-LD and meta tags, which win.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

if TYPE_CHECKING:
    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

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
    }
)
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "date",
    "pubdate",
    "publish-date",
    "sailthru.date",
    "parsely-pub-date",
)
UPDATED_META = ("article:modified_time", "og:updated_time", "dateModified")
TAG_META = ("article:tag", "news_keywords", "keywords")
SECTION_META = ("article:section",)


@dataclass(slots=True)
class PageMetadata:
    """What the page says of itself in markup (every field may be missing)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    section: str | None = None
    description: str | None = None


def iso_datetime(value: str | None) -> str | None:
    """Return ``value`` as ISO 8601, keeping its timezone; None when unparseable.

    :param value: a date or datetime string as found in markup ("2024-05-01T10:00:00Z",
        "2024-05-01", "2024-05-01T10:00:00+0100")
    """
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # +0100 -> +01:00, which fromisoformat wants
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(value.strip()) <= len("2024-05-01"):
        return parsed.date().isoformat()
    return parsed.isoformat()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _names(value: Any) -> list[str]:
    out = []
    for item in _as_list(value):
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            out.append(" ".join(name.split()))
    return out


def _json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null")
        except json.JSONDecodeError as exc:
            logger.debug("skipping malformed JSON-LD block: %s", exc)
            continue
        stack = _as_list(data)
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                objects.append(item)
                stack.extend(_as_list(item.get("@graph")))
    return objects


def _article_object(tree: HtmlElement) -> dict[str, Any] | None:
    for obj in _json_ld_objects(tree):
        types = {t for t in _as_list(obj.get("@type")) if isinstance(t, str)}
        if types & ARTICLE_TYPES:
            return obj
    return None


def _meta(tree: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.xpath("//meta[@content]"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        content = (el.get("content") or "").strip()
        if key and content:
            found.setdefault(key.strip().lower() if ":" not in key else key.strip(), content)
    return found


def _first(mapping: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if mapping.get(key) or mapping.get(key.lower()):
            return mapping.get(key) or mapping.get(key.lower())
    return None


def _split_tags(value: str | list[Any] | None) -> list[str]:
    raw = value if isinstance(value, list) else (value or "").split(",")
    return [t.strip() for t in raw if isinstance(t, str) and t.strip()]


def read_metadata(tree: HtmlElement, url: str | None) -> PageMetadata:
    """Read the metadata a page states in JSON-LD, meta tags and link elements.

    :param tree: the parsed page
    :param url: the page's address, to resolve relative canonical and image URLs
    """
    meta = _meta(tree)
    article = _article_object(tree) or {}
    md = PageMetadata()

    headline = article.get("headline")
    md.title = headline.strip() if isinstance(headline, str) else _first(meta, ("og:title",))
    md.authors = _names(article.get("author")) or _split_tags(_first(meta, ("author",)))
    md.published = iso_datetime(article.get("datePublished")) or iso_datetime(
        _first(meta, PUBLISHED_META)
    )
    md.updated = iso_datetime(article.get("dateModified")) or iso_datetime(
        _first(meta, UPDATED_META)
    )
    publisher = _names(article.get("publisher"))
    md.site_name = _first(meta, ("og:site_name",)) or (publisher[0] if publisher else None)
    md.description = _first(meta, ("og:description", "description"))

    canonical = tree.xpath('//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href')
    if canonical and canonical[0].strip():
        md.canonical_url = urljoin(url or "", canonical[0].strip())
    elif _first(meta, ("og:url",)):
        md.canonical_url = urljoin(url or "", _first(meta, ("og:url",)) or "")

    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    lang = lang or article.get("inLanguage") or _first(meta, ("og:locale", "content-language"))
    if isinstance(lang, str) and lang.strip():
        md.language = lang.strip().replace("_", "-").split("-")[0].lower()

    image = article.get("image")
    image_url = _as_list(image)[0] if image else None
    if isinstance(image_url, dict):
        image_url = image_url.get("url")
    image_url = image_url or _first(meta, ("og:image", "twitter:image"))
    if isinstance(image_url, str) and image_url.strip():
        md.image = urljoin(url or "", image_url.strip())

    tags = (
        _split_tags(article.get("keywords"))
        or [
            el.get("content").strip()
            for el in tree.xpath('//meta[@property="article:tag"][@content]')
            if el.get("content").strip()
        ]
        or _split_tags(_first(meta, TAG_META[1:]))
    )
    section = article.get("articleSection") or _first(meta, SECTION_META)
    md.section = _as_list(section)[0] if section else None
    md.tags = list(dict.fromkeys(tags))
    return md


def now_iso() -> str:
    """Return the current UTC time as ISO 8601 (the archive's timestamp format)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
