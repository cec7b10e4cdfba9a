"""One HTML page in, clean article text and metadata out.

The crawler's pipeline, ``reprint extract`` and ``reprint reextract`` all call
:func:`extract_article`; it is a pure function of its arguments, so it runs in worker
processes and its results are reproducible from the stored raw HTML.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import trafilatura
from trafilatura.utils import load_html
from w3lib.encoding import html_to_unicode

from archive.clean import clean_text, prune_tree
from archive.errors import NoArticleText, NotHtml
from archive.metadata import iso_datetime, read_metadata
from archive.settings import (
    BINARY_CONTROL_SHARE,
    BINARY_SNIFF_BYTES,
    MAX_HTML_BYTES,
    MIN_ARTICLE_WORDS,
)
from archive.text import text_hash, words
from archive.urls import site_of

# bytes that never occur in text documents (all C0 controls but tab, LF, FF, CR, ESC)
_CONTROL_BYTES = frozenset(range(32)) - {9, 10, 12, 13, 27}


@dataclass(slots=True)
class Extracted:
    """The article found in one page, with its metadata (any field but text may be None)."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    updated: str | None = None
    site: str | None = None  # host of the page's URL
    site_name: str | None = None  # the publisher's own name ("Glossmag")
    canonical_url: str | None = None
    language: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    origin: str | None = None  # "originally appeared on X"
    word_count: int = 0
    text_hash: str = ""
    encoding: str = "utf-8"
    removed: dict[str, int] = field(default_factory=dict)  # boilerplate lines, by kind

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return asdict(self)

    def to_json(self) -> str:
        """Return the fields as one JSON object."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def looks_binary(body: bytes) -> bool:
    """Tell whether ``body`` is binary data rather than a text document."""
    head = body[:BINARY_SNIFF_BYTES]
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOMs: text with NULs
        return False
    controls = sum(1 for byte in head if byte in _CONTROL_BYTES)
    return controls / len(head) > BINARY_CONTROL_SHARE


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML body the way browsers do: BOM, then HTTP charset, then <meta>, then
    detection; undecodable bytes become U+FFFD rather than an error.

    :returns: (text, encoding used)
    """
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_guess_encoding)
    return text, encoding


def _guess_encoding(body: bytes) -> str:
    # Nothing declared: valid UTF-8 is UTF-8; otherwise windows-1252, the fallback the
    # HTML standard gives browsers for undeclared Western pages (it decodes every byte).
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _without_headline(text: str, titles: tuple[str | None, ...]) -> str:
    # trafilatura often keeps the <h1> as the first line of the body; the headline is
    # metadata (syndicators rewrite it), and leaving it in would make copies of one story
    # differ in text
    first, _, rest = text.partition("\n")
    first_words = words(first)
    if first_words and any(t and words(t) == first_words for t in titles):
        return rest
    return text


def extract_article(
    body: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    hints: dict[str, Any] | None = None,
    min_words: int = MIN_ARTICLE_WORDS,
) -> Extracted:
    """Extract the article of one HTML page.

    :param body: the raw response body
    :param url: the page's final URL (site, relative links, canonical resolution)
    :param content_type: the Content-Type header, for its charset
    :param hints: metadata from the feed or sitemap that listed the page (title,
        published, author, tags), used where the page itself says nothing
    :param min_words: fewer clean words than this and the page is not an article
    :raises NotHtml: empty, binary or oversized body
    :raises NoArticleText: HTML without an article
    """
    where = url or "<input>"
    if not body.strip():
        raise NotHtml(f"empty body: {where}")
    if len(body) > MAX_HTML_BYTES:
        raise NotHtml(f"body of {len(body)} bytes is over the {MAX_HTML_BYTES} limit: {where}")
    if looks_binary(body):
        raise NotHtml(f"binary content, not HTML: {where}")
    html, encoding = decode_html(body, content_type)
    tree = load_html(html)
    if tree is None:
        raise NotHtml(f"unparseable HTML: {where}")
    markup = read_metadata(tree, url)
    pruned = prune_tree(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
    )
    if doc is None or not (doc.text or "").strip():
        raise NoArticleText(f"no article text found: {where}")
    cleaned = clean_text(_without_headline(doc.text, (markup.title, doc.title)))
    for kind, count in pruned.items():
        cleaned.removed[kind] = cleaned.removed.get(kind, 0) + count
    tokens = words(cleaned.text)
    if len(tokens) < min_words:
        raise NoArticleText(f"{len(tokens)} words of text, fewer than {min_words}: {where}")

    hints = hints or {}
    tags = markup.tags or list(doc.tags or []) or list(doc.categories or [])
    if markup.section and markup.section not in tags:
        tags.append(markup.section)
    return Extracted(
        text=cleaned.text,
        title=markup.title or doc.title or hints.get("title"),
        author=", ".join(markup.authors) or doc.author or hints.get("author"),
        published=markup.published or iso_datetime(doc.date) or hints.get("published"),
        updated=markup.updated,
        site=site_of(url) if url else doc.hostname,
        site_name=markup.site_name or doc.sitename,
        canonical_url=markup.canonical_url or doc.url,
        language=markup.language or doc.language,
        image=markup.image or doc.image,
        tags=tags or list(hints.get("tags") or []),
        description=markup.description or doc.description,
        origin=cleaned.origin,
        word_count=len(tokens),
        text_hash=text_hash(cleaned.text),
        encoding=encoding,
        removed=cleaned.removed,
    )
