"""One HTML page in, clean article text and metadata out.

The crawler's pipeline, ``reprint extract`` and ``reprint reextract`` all call
:func:`extract_article`; it is a pure function of its arguments, so it runs in worker
processes and its results are reproducible from the stored raw HTML.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Callable
from copy import deepcopy
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, overload

import trafilatura
from trafilatura.settings import Document

from archive.clean import Cleaned, clean_text, page_headlines, prune_tree
from archive.discards import in_main_extractor
from archive.errors import NoArticleText, NotHtml, TooManyElements
from archive.fastpass import FastText, fast_pass
from archive.metadata import (
    PageMetadata,
    fallback_metadata,
    iso_datetime,
    read_metadata,
    read_time_minutes,
    says_article_in_microdata,
)
from archive.parse import parse_page
from archive.prose import Shape, has_more_prose, shape
from archive.sanitize import http_url, xml_safe, xml_safe_or_none
from archive.sections import with_sections
from archive.settings import (
    ARTICLE_BODY_MARGIN,
    ARTICLE_BODY_MIN_AGREEMENT,
    BINARY_CONTROL_SHARE,
    BINARY_SNIFF_BYTES,
    BRIEF_MIN_SHARE,
    FAST_PASS_MIN_COVER,
    FAST_PASS_MIN_PROSE_SHARE,
    FULL_CASCADE_BELOW_CHARS,
    FULL_CASCADE_MARGIN,
    MAX_HTML_BYTES,
    MAX_HTML_ELEMENTS,
    MIN_ARTICLE_WORDS,
    PAGE_MIN_PROSE_SHARE,
    SHORT_TEXT_MIN_COVER,
    SPLIT_PARTS_MARGIN,
    SPLIT_PARTS_MIN_AGREEMENT,
    STREAMED_MARGIN,
)
from archive.splitparts import joined, split_parts
from archive.streamed import may_stream, place_streamed_segments
from archive.text import words, words_hash
from archive.urls import site_of

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# bytes that never occur in text documents (all C0 controls but tab, LF, FF, CR, ESC), as
# a deletion table: ``bytes.translate`` counts them in C (a loop over the sniffed bytes in
# Python cost 0.25 ms a page)
_CONTROL_BYTES = bytes(sorted(set(range(32)) - {9, 10, 12, 13, 27}))
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
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > BINARY_CONTROL_SHARE


def _extract_text(tree: HtmlElement, url: str | None, *, fast: bool) -> Document | None:
    # Metadata is ours (archive/metadata.py), so trafilatura extracts text only: its own
    # metadata pass (htmldate's extensive search above all) would cost half again the
    # extraction time. bare_extraction works on a copy: ``tree`` stays as it was.
    with in_main_extractor():  # its discard XPaths evaluated in Python (archive/discards.py)
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            fast=fast,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
        )
    return doc if isinstance(doc, Document) else None


def needs_full_cascade(doc: FastText | None, text: Shape, tree: HtmlElement) -> bool:
    """Whether trafilatura's fast pass may have missed the article.

    The full cascade runs trafilatura again with readability and jusText (10-250 ms a
    page, against ~7 for the fast pass), so it runs only when the fast pass looks wrong:
    its text is short while the page has more paragraph text, has no paragraphs or is
    mostly tables, is not prose (a menu), or is a small part of the paragraph text of
    the page (it took one section of a long article).

    :param doc: the fast pass's result (None: it found no text)
    :param text: the shape of the fast pass's cleaned text
    :param tree: the page
    """
    if doc is None:
        return True
    page_paragraphs = sum(len(p.text_content()) for p in tree.iter("p"))
    # a short text is a short story when it holds most of the page's paragraph text: the
    # cascade would only look again for an article the page does not have
    if len(doc.text) < FULL_CASCADE_BELOW_CHARS and (
        not page_paragraphs or len(doc.text) < SHORT_TEXT_MIN_COVER * page_paragraphs
    ):
        return True
    paragraphs = len(doc.body.findall(".//p"))
    if paragraphs == 0 or len(doc.body.findall(".//table")) > paragraphs:
        return True
    if text.prose_share < FAST_PASS_MIN_PROSE_SHARE:
        return True
    return len(doc.text) < FAST_PASS_MIN_COVER * page_paragraphs


@dataclass(slots=True)
class _Candidate:
    """One text the page's article may be, cleaned, with its shape."""

    cleaned: Cleaned
    shape: Shape


def _agreement(chosen: str, other: str) -> float:
    """Share of the words of ``chosen`` that ``other`` has too (as bags of words)."""
    mine, theirs = Counter(words(chosen)), Counter(words(other))
    total = sum(mine.values())
    return sum((mine & theirs).values()) / total if total else 0.0


def _recovered_with_lists(tree: HtmlElement, url: str | None, fast: FastText) -> FastText:
    """On a page whose text trafilatura recovered element by element (it found no
    article container), the text its recall mode recovers between the first and the
    last line of its balanced mode's text, when that has at least as many words in
    sentences.

    The balanced recovery keeps paragraphs and drops the article's lists; the recall
    recovery keeps those, and the page's other divisions as well (footers, bylines,
    notices), which lie before and after the article's paragraphs: the lines outside
    the balanced text's span are left out. Measured on the 452 WCEB article pages: 29
    are recovered that way, F1 0.9459 -> 0.9495 (0118, 0268, 0317, 0384: +0.20 to
    +0.30, 0488: +0.15; the largest loss 0232: -0.013), for a second pass on those
    pages only; the 4 such pages of the extraction benchmark keep their text.
    """
    recalled = fast_pass(tree, url, recall=True)
    if recalled is None:
        return fast
    known = {line.strip() for line in fast.text.splitlines()} - {""}
    lines = recalled.text.splitlines()
    inside = [i for i, line in enumerate(lines) if line.strip() in known]
    if not inside:
        return fast
    text = "\n".join(lines[inside[0] : inside[-1] + 1])
    if shape(text).prose_words < shape(fast.text).prose_words:
        return fast
    return FastText(text=text, body=recalled.body, framed=False, recovered=fast.recovered)


def _with_split_parts(tree: HtmlElement, url: str | None, fast: FastText) -> FastText:
    """The fast pass's text taken again with every part of an article split over
    containers of one kind (archive/splitparts.py), when it took the first part and left
    another, and the joined text holds clearly more sentences and nearly all of the first
    text's words (a second fast pass, on the pages with such parts only)."""
    groups = split_parts(tree)
    if not groups:
        return fast
    taken = f" {' '.join(words(fast.text))} "
    for parts in groups:
        covered = [f" {' '.join(_first_paragraph_words(part))} " in taken for part in parts]
        if not covered[0] or all(covered):
            continue
        copy = joined(tree, parts)
        if copy is None:
            continue
        # one second pass at most: a page built of many such groups costs one more pass
        again = fast_pass(copy, url)
        if (
            again is not None
            and has_more_prose(shape(again.text), shape(fast.text), SPLIT_PARTS_MARGIN)
            and _agreement(fast.text, again.text) >= SPLIT_PARTS_MIN_AGREEMENT
        ):
            return again
        return fast
    return fast


def _first_paragraph_words(part: HtmlElement) -> list[str]:
    paragraph = part.find("p")
    return words(paragraph.text_content()) if paragraph is not None else []


def _choose_text(
    tree: HtmlElement, url: str | None, markup: PageMetadata, clean: Callable[[str], Cleaned]
) -> _Candidate | None:
    """Pick the page's article text among trafilatura's fast pass, its full cascade and
    the JSON-LD articleBody, by what each text is (prose, and agreement with the others)
    rather than by its length. The fast pass alone decides most pages; the others are
    tried only when it looks wrong or the page states a longer body."""
    fast = fast_pass(tree, url)
    if fast is not None and fast.framed:
        fast = _with_split_parts(tree, url, fast)
    if fast is not None and not fast.framed:
        fast = _recovered_with_lists(tree, url, fast)
    chosen: _Candidate | None = None
    first: _Candidate | None = None  # the fast pass's candidate
    if fast is not None and fast.text.strip():
        cleaned = clean(fast.text)
        chosen = first = _Candidate(cleaned, shape(cleaned.text))
    if needs_full_cascade(fast, chosen.shape if chosen else Shape(0, 0), tree):
        full = _extract_text(tree, url, fast=False)
        if full is not None and (full.text or "").strip():
            cleaned = clean(full.text or "")
            other = _Candidate(cleaned, shape(cleaned.text))
            # the full cascade wins with clearly more sentences: a menu it returns
            # instead of a short story has more words but fewer sentences
            if chosen is None or has_more_prose(other.shape, chosen.shape, FULL_CASCADE_MARGIN):
                chosen = other
    if markup.article_body:
        cleaned = clean(markup.article_body)
        body = _Candidate(cleaned, shape(cleaned.text))
        # the page's own statement of its body, when it holds clearly more sentences
        # than the extracted text and is the same story (a teaser or another article's
        # body is not)
        if chosen is None or (
            has_more_prose(body.shape, chosen.shape, ARTICLE_BODY_MARGIN)
            and _agreement(chosen.cleaned.text, cleaned.text) >= ARTICLE_BODY_MIN_AGREEMENT
        ):
            chosen = body
    # a text recovered element by element gets back the headings and lists between its
    # lines once it is chosen: they are the article's, but no measure of which candidate
    # is the article (the lists' sentences would outweigh a stated articleBody on a page
    # whose recovery also took the sidebar)
    if chosen is first and first is not None and fast is not None and fast.recovered:
        restored = with_sections(tree, fast.text)
        if restored != fast.text:
            cleaned = clean(restored)
            chosen = _Candidate(cleaned, shape(cleaned.text))
    return chosen


def _with_streamed_segments(
    tree: HtmlElement,
    url: str | None,
    markup: PageMetadata,
    clean: Callable[[str], Cleaned],
    chosen: _Candidate | None,
) -> _Candidate | None:
    """The text of the page with its streamed segments in place (archive/streamed.py),
    when it holds clearly more sentences than ``chosen``, the text of the page as served.

    Placed, the segments give the article in the order a reader sees it (WCEB 0046: the
    sections streamed after the footer join the first five, F1 0.49 -> 0.97); but a
    segment may land in a wrapper whose class trafilatura prunes (LessWrong's post body
    goes into a "commentOnSelection" block, WCEB 0384), where the page as served had it
    apart, so both are read (7 of the 567 benchmark pages stream segments).
    """
    placed = deepcopy(tree)
    if not place_streamed_segments(placed):
        return chosen
    other = _choose_text(placed, url, markup, clean)
    if other is not None and (
        chosen is None or has_more_prose(other.shape, chosen.shape, STREAMED_MARGIN)
    ):
        return other
    return chosen


def _is_article(text: Shape, markup: PageMetadata, tree: HtmlElement, min_words: int) -> bool:
    """Whether the chosen text is an article, by what the page says it is and by the
    shape of the text rather than by its length alone.

    ``min_words`` words or more are an article unless almost none of them are in
    sentences on a page that does not say it is an article (a home page of headline
    links). A shorter text is an article when the page says it is one and a share of
    ``min_words`` is in sentences (a news brief; not a gallery's captions).
    """
    if text.words >= min_words:
        if text.prose_share >= PAGE_MIN_PROSE_SHARE:
            return True
    elif text.prose_words < min_words * BRIEF_MIN_SHARE or text.prose_words == 0:
        return False
    return markup.says_article or says_article_in_microdata(tree)


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
    :param min_words: fewer clean words than this and the page is not an article, unless
        it says it is one and its text is prose (a news brief)
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
    page = parse_page(body, content_type)
    if page is None:
        raise NotHtml(f"unparseable HTML: {where}")
    tree, source, encoding = page.tree, page.source, page.encoding
    # every element starts with "<": a body with fewer cannot be over the cap
    if body.count(b"<") > MAX_HTML_ELEMENTS:
        elements = sum(1 for _ in tree.iter())
        if elements > MAX_HTML_ELEMENTS:
            raise TooManyElements(
                f"{elements} elements, over the {MAX_HTML_ELEMENTS} limit: {where}"
            )
    markup = read_metadata(tree, url)
    pruned = prune_tree(tree, url or "", markup.description)
    hints = hints or {}
    titles = (markup.title, hints.get("title"), *page_headlines(tree))
    learned = site_boilerplate or frozenset()

    def clean(raw: str) -> Cleaned:
        return clean_text(
            raw, titles=titles, tags=markup.tags, authors=markup.authors, site_boilerplate=learned
        )

    chosen = _choose_text(tree, url, markup, clean)
    if may_stream(body):
        chosen = _with_streamed_segments(tree, url, markup, clean, chosen)
    if chosen is None:
        raise NoArticleText(f"no article text found: {where}")
    if not _is_article(chosen.shape, markup, tree, min_words):
        found = f"{chosen.shape.words} words of text ({chosen.shape.prose_words} in sentences)"
        if chosen.shape.words < min_words:
            raise NoArticleText(f"{found}, fewer than {min_words}: {where}")
        raise NoArticleText(f"{found}, on a page that does not say it is an article: {where}")
    cleaned = chosen.cleaned
    for kind, count in pruned.items():
        cleaned.removed[kind] = cleaned.removed.get(kind, 0) + count
    text = xml_safe(cleaned.text)
    tokens = words(text)
    # only for articles (hubs and galleries are refused above) and on the pruned tree,
    # where the bylines of related stories are gone
    hinted_published = iso_datetime(hints.get("published"))
    stated = frozenset(
        name
        for name, value in (
            ("title", hints.get("title")),
            ("authors", hints.get("author")),
            ("published", hinted_published),
        )
        if value
    )
    fallback_metadata(tree, markup, url, source, stated=stated)

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
        published=markup.published or hinted_published or hints.get("published"),
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
        text_hash=words_hash(tokens),
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
    XML cannot hold (a value left blank becomes None) and are NFC-normalised (pages
    write the same Bengali, Devanagari or accented Latin letter precomposed or as base
    and combining marks; search and comparison need one form), URLs that are not
    http(s) become None. The fields are checked one by one, so a field added later is
    covered too.

    :param extracted: built from one page; changed in place
    :returns: ``extracted``
    """
    for spec in fields(extracted):
        value = getattr(extracted, spec.name)
        if spec.name in URL_FIELDS:
            value = http_url(value, None)
        elif spec.name == "text":
            value = _nfc(xml_safe(value))
        elif isinstance(value, str):
            value = _nfc(xml_safe_or_none(value))
        elif isinstance(value, list):
            value = [item for item in map(_sanitized_item, value) if item is not None]
        else:  # numbers, and dicts whose keys and values are ours
            continue
        setattr(extracted, spec.name, value)
    # the byline is the authors joined: rebuilt from the cleaned list, so both agree
    extracted.author = ", ".join(extracted.authors) or None
    return extracted


def _sanitized_item(item: Any) -> Any:
    return _nfc(xml_safe_or_none(item)) if isinstance(item, str) else item


@overload
def _nfc(text: str) -> str: ...
@overload
def _nfc(text: None) -> None: ...
@overload
def _nfc(text: str | None) -> str | None: ...
def _nfc(text: str | None) -> str | None:
    if text is None or unicodedata.is_normalized("NFC", text):  # most text: no copy
        return text
    return unicodedata.normalize("NFC", text)
