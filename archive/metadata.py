"""Page metadata from structured markup: JSON-LD, OpenGraph, meta tags, microdata, links.

Publishers state title, authors, dates (with their timezone) and language precisely in
JSON-LD and meta tags; trafilatura guesses from the visible page, keeps only the day of a
date and drops the language. Markup wins, then what the feed or sitemap listing the page
states; :func:`fallback_metadata` fills what both left empty with trafilatura's guesses.
Each field records where its value came from (``PageMetadata.sources``), so tests and
``reprint show`` can tell.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml.etree import XPath

from archive.dates import as_utc, normalise_date
from archive.jsonld import BLOCKS_XPATH, article_object, as_list, json_ld_objects, resolve
from archive.sanitize import http_url
from archive.settings import READING_WORDS_PER_MINUTE

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# meta keys (name=, property= or itemprop=), most specific first
TITLE_META = ("og:title", "twitter:title", "headline", "dc.title", "sailthru.title")
AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
    "twitter:creator",
)
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
)
UPDATED_META = ("article:modified_time", "og:updated_time", "datemodified", "last-modified")
SITE_NAME_META = ("og:site_name", "application-name", "twitter:site")
DESCRIPTION_META = ("og:description", "description", "twitter:description")
IMAGE_META = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
LANGUAGE_META = ("og:locale", "content-language", "dc.language", "language")
TAG_META = ("news_keywords", "keywords", "parsely-tags", "sailthru.tags")
SECTION_META = ("article:section", "parsely-section", "section")

# "By Jane Doe" bylines in meta tags and link texts
_BY_PREFIX = re.compile(r"^\s*(by|von|par|por|di)\s+", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\|)\s*")


@dataclass(slots=True)
class PageMetadata:
    """What the page says of itself (every field may be missing).

    ``sources`` maps each filled field to where its value came from: ``json-ld``,
    ``opengraph``, ``meta``, ``microdata``, ``html`` (link/time/lang elements) or
    ``trafilatura`` (fallback guesses).
    """

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
    sources: dict[str, str] = field(default_factory=dict)
    # what extraction weighs its candidates and its "not an article" gate against: the
    # page says it is an article (JSON-LD article type, og:type article), and the body
    # its JSON-LD states (JSON-LD articleBody, as plain text)
    says_article: bool = False
    article_body: str | None = None


def iso_datetime(value: Any) -> str | None:
    """Return a metadata value as an ISO 8601 date, keeping its timezone; None when it is
    not a date string (JSON-LD may hold a number or an object there).

    :param value: a date or datetime as found in markup ("2024-05-01T10:00:00Z",
        "2024-05-01", "2024-05-01T10:00:00+0100", "Wed, 01 May 2024 10:00:00 GMT")
    """
    return normalise_date(value) if isinstance(value, str) else None


def read_time_minutes(word_count: int) -> int:
    """Minutes an adult needs to read ``word_count`` words (at least 1 for any text).

    :param word_count: words of the clean text
    """
    return math.ceil(word_count / READING_WORDS_PER_MINUTE) if word_count > 0 else 0


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    # character references in a value are text the page escaped once too often
    # ("&#8216;The Medium&#8217;", WordPress titles; "&amp;#8230;" twice too often)
    for _ in range(ENTITY_ROUNDS):
        if "&" not in value:
            break
        value = html.unescape(value)
    text = " ".join(value.split())
    return text or None


# Rounds of unescaping a metadata value: the benchmark pages escape titles at most twice
ENTITY_ROUNDS = 2


def _names(value: Any) -> list[str]:
    out = []
    for item in as_list(value):
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):  # schema.org allows several names
            name = name[0] if name else None
        text = _clean(name)
        if text:
            out.append(text)
    return out


def _person_names(values: list[str]) -> list[str]:
    """Author names from free text: drop "By", URLs and @handles; split "A and B"."""
    names: list[str] = []
    for value in values:
        if value.startswith(("http://", "https://", "@", "/")):
            continue  # article:author is often a profile URL
        for part in _AUTHOR_SPLIT.split(_BY_PREFIX.sub("", value)):
            part = part.strip(" .,")
            if part and part not in names:
                names.append(part)
    return names


def _meta(tree: HtmlElement) -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """Meta tags as (OpenGraph/Twitter by property, other meta by lowercased name, every
    value of repeatable keys)."""
    og: dict[str, str] = {}
    other: dict[str, str] = {}
    every: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        content = _clean(el.get("content"))
        if not key or not content:
            continue
        key = key.strip().lower()
        every.setdefault(key, []).append(content)
        target = og if key.startswith(("og:", "article:", "twitter:")) else other
        target.setdefault(key, content)
    return og, other, every


def _first(mapping: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if mapping.get(key):
            return mapping[key]
    return None


def _split_tags(value: Any) -> list[str]:
    raw = value if isinstance(value, list) else (value or "").split(",")
    return [" ".join(t.split()) for t in raw if isinstance(t, str) and t.strip()]


class _Picker:
    """Set a field from the first source that has a value, and remember the source."""

    def __init__(self, md: PageMetadata) -> None:
        self.md = md

    def set(self, name: str, *candidates: tuple[str, Any]) -> None:
        """Candidates are (source, value or a function computing it), best first."""
        for source, candidate in candidates:
            value = candidate() if callable(candidate) else candidate
            if value:
                setattr(self.md, name, value)
                self.md.sources[name] = source
                return


def _microdata(tree: HtmlElement, prop: str) -> str | None:
    for el in tree.xpath(f'//*[@itemprop="{prop}"][not(self::meta)]'):
        value = el.get("datetime") or el.get("content") or el.text_content()
        if text := _clean(value):
            return text
    return None


def read_metadata(tree: HtmlElement, url: str | None) -> PageMetadata:
    """Read the metadata a page states in JSON-LD, OpenGraph/meta tags, microdata and
    link/time elements.

    :param tree: the parsed page
    :param url: the page's address, to resolve relative canonical and image URLs
    """
    og, meta, every = _meta(tree)
    objects = json_ld_objects(tree.xpath(BLOCKS_XPATH))
    article = article_object(objects)
    md = PageMetadata()
    pick = _Picker(md)

    pick.set(
        "title",
        ("json-ld", _clean(article.get("headline")) or _clean(article.get("name"))),
        ("opengraph", _first(og, TITLE_META)),
        ("meta", _first(meta, TITLE_META)),
    )
    pick.set(
        "authors",
        ("json-ld", _person_names(_names(resolve(article.get("author"), objects)))),
        ("meta", _person_names([v for k in AUTHOR_META for v in every.get(k, [])])),
        # lazy: a search of the whole tree, only when the cheaper sources had nothing
        ("microdata", lambda: _person_names(_microdata_authors(tree))),
        (
            "html",
            lambda: _person_names([_clean(a.text_content()) or "" for a in _rel_author(tree)]),
        ),
    )
    pick.set(
        "published",
        ("json-ld", iso_datetime(article.get("datePublished"))),
        ("opengraph", iso_datetime(_first(og, PUBLISHED_META))),
        ("meta", iso_datetime(_first(meta, PUBLISHED_META))),
        ("microdata", lambda: iso_datetime(_microdata(tree, "datePublished"))),
        ("html", lambda: iso_datetime(_first_time(tree))),
    )
    pick.set(
        "updated",
        ("json-ld", iso_datetime(article.get("dateModified"))),
        ("opengraph", iso_datetime(_first(og, UPDATED_META))),
        ("meta", iso_datetime(_first(meta, UPDATED_META))),
        ("microdata", lambda: iso_datetime(_microdata(tree, "dateModified"))),
    )
    publisher = _names(resolve(article.get("publisher"), objects))
    pick.set(
        "site_name",
        ("opengraph", _first(og, SITE_NAME_META[:1])),
        ("json-ld", publisher[0] if publisher else None),
        ("meta", _first(meta, SITE_NAME_META[1:2])),
    )
    pick.set(
        "description",
        ("json-ld", _clean(article.get("description"))),
        ("opengraph", _first(og, DESCRIPTION_META)),
        ("meta", _first(meta, DESCRIPTION_META)),
    )

    canonical = tree.xpath('//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href')
    main_entity = article.get("mainEntityOfPage")
    if isinstance(main_entity, dict):
        main_entity = main_entity.get("@id") or main_entity.get("url")
    pick.set(
        "canonical_url",
        ("html", _absolute(canonical[0] if canonical else None, url)),
        ("opengraph", _absolute(_first(og, ("og:url",)), url)),
        ("json-ld", _absolute(main_entity if isinstance(main_entity, str) else None, url)),
    )

    pick.set(
        "language",
        (
            "html",
            _language(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")),
        ),
        ("json-ld", _language(article.get("inLanguage"))),
        ("opengraph", _language(_first(og, LANGUAGE_META))),
        ("meta", _language(_first(meta, LANGUAGE_META))),
    )

    image = as_list(resolve(article.get("image"), objects))
    image_url = image[0] if image else None
    if isinstance(image_url, dict):
        image_url = image_url.get("url") or image_url.get("contentUrl")
    pick.set(
        "image",
        ("json-ld", _absolute(image_url if isinstance(image_url, str) else None, url)),
        ("opengraph", _absolute(_first(og, IMAGE_META), url)),
        ("meta", _absolute(_first(meta, IMAGE_META), url)),
    )

    pick.set(
        "tags",
        ("json-ld", _split_tags(article.get("keywords"))),
        ("opengraph", _split_tags(every.get("article:tag", []))),
        ("meta", _split_tags(_first(meta, TAG_META))),
    )
    md.tags = list(dict.fromkeys(md.tags))
    section = as_list(article.get("articleSection"))
    pick.set(
        "section",
        ("json-ld", _clean(section[0]) if section else None),
        ("opengraph", _first(og, SECTION_META)),
        ("meta", _first(meta, SECTION_META)),
    )
    md.says_article = bool(article) or "article" in (og.get("og:type") or "").lower()
    md.article_body = _plain_text(article.get("articleBody"))
    return md


# JSON-LD articleBody is text, but some sites put the body's HTML (or its entities) in it
_BLOCK_TAG = re.compile(r"<(?:/?(?:p|div|li|h[1-6]|blockquote|tr)\b[^>]*|br\s*/?)>", re.I)
_ANY_TAG = re.compile(r"<[^>]{0,2000}>")


def _plain_text(value: Any) -> str | None:
    """A JSON-LD text value as plain text, one line per block (None if not text)."""
    if not isinstance(value, str) or not value.strip():
        return None
    if "<" in value:
        value = _ANY_TAG.sub(" ", _BLOCK_TAG.sub("\n", value))
    lines = (" ".join(line.split()) for line in html.unescape(value).splitlines())
    return "\n".join(line for line in lines if line) or None


def says_article_in_microdata(tree: HtmlElement) -> bool:
    """Whether the page marks an article with microdata (itemtype schema.org/...Article,
    BlogPosting, ...): a search of the whole tree, for the pages whose JSON-LD and
    OpenGraph say nothing."""
    return bool(
        tree.xpath(
            '//*[@itemtype][contains(@itemtype, "Article") or contains(@itemtype, "Posting")]'
        )
    )


def _microdata_authors(tree: HtmlElement) -> list[str]:
    out = []
    for el in tree.xpath('//*[@itemprop="author"]'):
        names = el.xpath('.//*[@itemprop="name"]')
        node = names[0] if names else el
        value = node.get("content") or node.text_content()
        if text := _clean(value):
            out.append(text)
    return out


def _rel_author(tree: HtmlElement) -> list[HtmlElement]:
    return tree.xpath('//a[@rel="author"]')[:3]


def _first_time(tree: HtmlElement) -> str | None:
    # <time pubdate> is the HTML5 draft's marker of the publication date
    found = tree.xpath("//time[@pubdate][@datetime]/@datetime")
    return found[0] if found else None


def _absolute(value: str | None, url: str | None) -> str | None:
    # None for javascript:, data: and the like, so the next source gets its turn
    if not isinstance(value, str):
        return None
    return http_url(value, url)


def _language(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


# Words in the attributes trafilatura's author search looks at (lowercased). A page whose
# HTML has none of them gives that search nothing to find, so its cost (a deep copy of the
# tree and regex XPaths over every element, the dearest step of the fallback) is saved.
AUTHOR_HINT_WORDS = (
    b"author", b"byl", b"bbl", b"writer", b"screenname", b"username", b"zuozhe", b"bianji",
    b"xiaobian", b"submitted-by", b"posted-by", b"journalist-name", b"channel-name",
)  # fmt: skip
# ... and those attributes. Most pages hold the words somewhere (a script, a JSON-LD
# block of another type, a link's text), so a page that passes the byte search has the
# search's attributes read too (1.0 ms): on the 115 pages of the extraction benchmark,
# 22 pages without an author in their markup went to the search (8.5 ms each, half of
# them finding none); 7 of them have no such attribute: 0.3 ms a page less on average,
# the same authors found.
_AUTHOR_ATTRIBUTES = XPath(
    "//@class|//@id|//@rel|//@itemprop|//@data-testid|//@data-component|//author"
)


def fallback_metadata(
    tree: HtmlElement,
    md: PageMetadata,
    url: str | None,
    source: bytes | None = None,
    *,
    stated: frozenset[str] = frozenset(),
) -> None:
    """Fill the fields markup left empty with trafilatura's guesses from the page.

    Only the missing fields are asked for: trafilatura's author search alone costs
    about as much as a third of the text extraction. Nor are the fields the feed or
    sitemap that listed the page stated (``stated``): the publisher's statement there
    is taken before a guess from the page's text, and the guess would cost ~1 ms a page.

    :param tree: the parsed page, before any pruning
    :param md: metadata read from markup, completed in place
    :param url: the page's address
    :param source: the page's markup as bytes, if at hand (lets the author search be
        skipped when the page has nothing it could find)
    :param stated: names of the fields ("title", "authors", "published") the listing
        states, which the caller fills from there
    """
    # imported here: trafilatura's metadata module is heavy and only needed on this path
    from htmldate import find_date
    from trafilatura.metadata import extract_author, extract_sitename, extract_title

    from archive.discards import in_author_search

    pick = _Picker(md)
    if not md.title and "title" not in stated:
        pick.set("title", ("trafilatura", _clean(extract_title(tree))))
    if not md.authors and "authors" not in stated and _may_name_author(tree, source):
        with in_author_search():  # its XPaths evaluated in Python (archive/discards.py)
            author = extract_author(tree)
        pick.set("authors", ("trafilatura", _person_names([author] if author else [])))
    if not md.published and "published" not in stated:
        # the fast search only: the extensive one parses every date-like string of the
        # page with dateparser and costs more than the text extraction itself
        found = find_date(tree, url=url, extensive_search=False, original_date=True)
        pick.set("published", ("trafilatura", iso_datetime(found)))
    if not md.site_name:
        pick.set("site_name", ("trafilatura", _clean(extract_sitename(tree))))


def _may_name_author(tree: HtmlElement, source: bytes | None) -> bool:
    # bytes.lower() folds ASCII only, which the hint words are: 0.1 ms for a 190 KB page
    # against 1.5 ms for str.lower()
    if source is not None and not _has_hint_word(source.lower()):
        return False
    named = " ".join(v if isinstance(v, str) else "author" for v in _AUTHOR_ATTRIBUTES(tree))
    return _has_hint_word(named.lower().encode())


def _has_hint_word(lowered: bytes) -> bool:
    return any(word in lowered for word in AUTHOR_HINT_WORDS)


def now_iso() -> str:
    """Return the current UTC time as ISO 8601 (the archive's timestamp format)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_timestamp(value: str | None) -> str | None:
    """Return an ISO date or datetime as a UTC timestamp ``YYYY-MM-DDTHH:MM:SSZ`` (the
    form RFC 3339 feeds and WARC records want); None when unparseable. A date alone, or a
    time without zone, is read as UTC."""
    parsed = as_utc(value)
    return None if parsed is None else parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
