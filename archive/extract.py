"""One HTML page in, clean article text and metadata out.

The crawler's pipeline, ``reprint extract`` and ``reprint reextract`` all call
:func:`extract_article`; it is a pure function of its arguments, so it runs in worker
processes and its results are reproducible from the stored raw HTML.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

import trafilatura
from trafilatura.settings import Document
from trafilatura.utils import load_html
from w3lib.encoding import html_to_unicode

from archive.clean import clean_text, prune_tree
from archive.errors import NoArticleText, NotHtml, TooManyElements
from archive.metadata import fallback_metadata, iso_datetime, read_metadata, read_time_minutes
from archive.sanitize import http_url, xml_safe, xml_safe_html, xml_safe_or_none
from archive.settings import (
    BINARY_CONTROL_SHARE,
    BINARY_SNIFF_BYTES,
    FULL_CASCADE_BELOW_CHARS,
    MAX_HTML_BYTES,
    MAX_HTML_ELEMENTS,
    MIN_ARTICLE_WORDS,
)
from archive.text import text_hash, words
from archive.urls import site_of

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# bytes that never occur in text documents (all C0 controls but tab, LF, FF, CR, ESC)
_CONTROL_BYTES = frozenset(range(32)) - {9, 10, 12, 13, 27}
# fields of Extracted that hold URLs: kept only when they are web addresses
URL_FIELDS = frozenset({"canonical_url", "image"})


@dataclass(slots=True)
class Extracted:
    """The article found in one page, with its metadata (any field but text may be None)."""

    text: str
    title: str | None = None
    author: str | None = None  # the authors joined with ", "
    published: str | None = None  # ISO 8601, with the timezone the page states
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
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    read_time_minutes: int = 0
    # where each metadata field came from: json-ld, opengraph, meta, microdata, html,
    # trafilatura, hints
    sources: dict[str, str] = field(default_factory=dict)
    # keys of the text's lines before learned boilerplate was removed: what the site
    # learns from when the page is stored (archive/sitelearn.py)
    line_keys: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (without ``line_keys``, an internal
        hash per line used to learn site boilerplate)."""
        data = asdict(self)
        del data["line_keys"]
        return data

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


def _extract_text(tree: HtmlElement, url: str | None, *, fast: bool) -> Document | None:
    # Metadata is ours (archive/metadata.py), so trafilatura extracts text only: its own
    # metadata pass (htmldate's extensive search above all) would cost half again the
    # extraction time. bare_extraction works on a copy: ``tree`` stays as it was.
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
    )
    return doc if isinstance(doc, Document) else None


def _needs_full_cascade(doc: Document | None) -> bool:
    """Whether trafilatura's fast pass may have missed the article.

    The full cascade compares the main extractor with readability and jusText, at a
    third of the extraction time. Their text replaces the main extractor's when that is
    empty or short, has no paragraphs or is mostly tables, or is less than half as long
    as readability's. The fast pass runs first and the cascade only in the first cases;
    the last one goes unchecked: on the dev benchmark, after our pruning, the cascade
    changed no page at all.
    """
    if doc is None or doc.body is None or len(doc.text or "") < FULL_CASCADE_BELOW_CHARS:
        return True
    paragraphs = len(doc.body.findall(".//p"))
    return paragraphs == 0 or len(doc.body.findall(".//table")) > paragraphs


def extract_article(
    body: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    hints: dict[str, Any] | None = None,
    min_words: int = MIN_ARTICLE_WORDS,
    site_boilerplate: frozenset[str] | None = None,
) -> Extracted:
    """Extract the article of one HTML page.

    :param body: the raw response body
    :param url: the page's final URL (site, relative links, canonical resolution)
    :param content_type: the Content-Type header, for its charset
    :param hints: metadata from the feed or sitemap that listed the page (title,
        published, author, tags), used where the page itself says nothing
    :param min_words: fewer clean words than this and the page is not an article
    :param site_boilerplate: keys of the lines learned as boilerplate of the page's site
        (:func:`archive.sitelearn.learned_lines`); the caller reads them from the archive,
        so this stays a pure function that runs in worker processes
    :raises NotHtml: empty, binary or oversized body
    :raises TooManyElements: more elements than ``MAX_HTML_ELEMENTS`` (a ``NotHtml``)
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
    html = xml_safe_html(html)
    tree = load_html(html)
    if tree is None:
        raise NotHtml(f"unparseable HTML: {where}")
    # every element starts with "<": a body with fewer cannot be over the cap
    if body.count(b"<") > MAX_HTML_ELEMENTS:
        elements = sum(1 for _ in tree.iter())
        if elements > MAX_HTML_ELEMENTS:
            raise TooManyElements(
                f"{elements} elements, over the {MAX_HTML_ELEMENTS} limit: {where}"
            )
    markup = read_metadata(tree, url)
    pruned = prune_tree(tree)
    doc = _extract_text(tree, url, fast=True)
    if _needs_full_cascade(doc):
        doc = _extract_text(tree, url, fast=False)
    if doc is None or not (doc.text or "").strip():
        raise NoArticleText(f"no article text found: {where}")
    hints = hints or {}
    cleaned = clean_text(
        doc.text or "",
        titles=(markup.title, hints.get("title")),
        site_boilerplate=site_boilerplate or frozenset(),
    )
    for kind, count in pruned.items():
        cleaned.removed[kind] = cleaned.removed.get(kind, 0) + count
    text = xml_safe(cleaned.text)
    tokens = words(text)
    if len(tokens) < min_words:
        raise NoArticleText(f"{len(tokens)} words of text, fewer than {min_words}: {where}")
    # only for articles (hubs and galleries are refused above) and on the pruned tree,
    # where the bylines of related stories are gone
    fallback_metadata(tree, markup, url, html)

    sources = dict(markup.sources)
    tags = list(markup.tags)
    if markup.section and markup.section not in tags:
        tags.append(markup.section)
    authors = markup.authors
    for name, value in (
        ("title", markup.title),
        ("authors", authors),
        ("published", markup.published),
        ("tags", tags),
    ):
        hint = hints.get("author" if name == "authors" else name)
        if not value and hint:
            sources[name] = "hints"
    if not authors and hints.get("author"):
        authors = [hints["author"]] if isinstance(hints["author"], str) else list(hints["author"])
    extracted = Extracted(
        text=text,
        title=markup.title or hints.get("title"),
        author=", ".join(authors) or None,
        authors=list(authors),
        published=markup.published
        or iso_datetime(hints.get("published"))
        or hints.get("published"),
        updated=markup.updated,
        site=site_of(url) if url else None,
        site_name=markup.site_name,
        canonical_url=markup.canonical_url,
        language=markup.language,
        image=markup.image,
        tags=tags or list(hints.get("tags") or []),
        section=markup.section,
        description=markup.description,
        origin=cleaned.origin,
        word_count=len(tokens),
        read_time_minutes=read_time_minutes(len(tokens)),
        text_hash=text_hash(text),
        encoding=encoding,
        removed=cleaned.removed,
        sources=sources,
        line_keys=cleaned.line_keys,
    )
    return sanitized(extracted)


def sanitized(extracted: Extracted) -> Extracted:
    """Make every string of ``extracted`` storable and every feed of it well-formed.

    JSON-LD and feed hints reach the metadata without an HTML parser in between, so
    they may hold control characters and lone surrogates (``"\\ud800"`` in JSON), and
    any page may name a ``javascript:`` canonical or image. Strings lose the characters
    XML cannot hold (a value left blank becomes None), URLs that are not http(s) become
    None. The fields are checked one by one, so a field added later is covered too.

    :param extracted: built from one page; changed in place
    :returns: ``extracted``
    """
    for spec in fields(extracted):
        value = getattr(extracted, spec.name)
        if spec.name in URL_FIELDS:
            value = http_url(value, None)
        elif spec.name == "text":
            value = xml_safe(value)
        elif isinstance(value, str):
            value = xml_safe_or_none(value)
        elif isinstance(value, list):
            value = [item for item in map(_sanitized_item, value) if item is not None]
        else:  # numbers, and dicts whose keys and values are ours
            continue
        setattr(extracted, spec.name, value)
    # the byline is the authors joined: rebuilt from the cleaned list, so both agree
    extracted.author = ", ".join(extracted.authors) or None
    return extracted


def _sanitized_item(item: Any) -> Any:
    return xml_safe_or_none(item) if isinstance(item, str) else item
