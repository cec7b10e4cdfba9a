"""archive/fastpass.py runs trafilatura's first stage with trafilatura's own functions.
These tests hold it to ``trafilatura.bare_extraction(fast=True)`` on every page of the
project's fixtures where trafilatura's rescue stages do not engage, so a trafilatura
release that changes its sequence fails here rather than shifting extraction unseen.
They also check when archive/extract.py asks trafilatura's full cascade for a second
opinion (``needs_full_cascade``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import trafilatura
from lxml import etree
from trafilatura.baseline import html2txt
from trafilatura.core import ESCALATION_MAX_LENGTH, ESCALATION_PAGE_SHARE
from trafilatura.settings import DEFAULT_CONFIG

from archive.clean import clean_text
from archive.extract import extract_article, needs_full_cascade
from archive.fastpass import fast_pass
from archive.parse import parse_html, parse_page
from archive.prose import shape
from archive.settings import FULL_CASCADE_BELOW_CHARS

from .site_builder import STORIES, STORY, article_page

if TYPE_CHECKING:
    from lxml.html import HtmlElement

ROOT = Path(__file__).parent.parent
PAGES = sorted(
    [
        *(ROOT / "tests" / "extraction_sample").glob("*.html"),
        *(ROOT / "tests" / "sites").rglob("*.html"),
        *(ROOT / "crawler" / "demo" / "web").rglob("*.html"),
    ]
)
URL = "https://glossmag.example.com/tv/story"
# trafilatura's baseline rescue engages below this many characters of text
MIN_EXTRACTED_SIZE = DEFAULT_CONFIG.getint("DEFAULT", "MIN_EXTRACTED_SIZE")


def _tree(path: Path) -> HtmlElement | None:
    page = parse_page(path.read_bytes())
    return None if page is None else page.tree


def _rescues_engage(text: str, tree: HtmlElement) -> bool:
    """Whether trafilatura's baseline or recall retry would look at this text."""
    if len(text) < MIN_EXTRACTED_SIZE:
        return True
    return len(text) < ESCALATION_MAX_LENGTH and len(text) < ESCALATION_PAGE_SHARE * len(
        html2txt(tree)
    )


def _comparable(path: Path) -> bool:
    tree = _tree(path)
    if tree is None:
        return False
    ours = fast_pass(tree, URL)
    return ours is not None and not _rescues_engage(ours.text, tree)


def test_most_fixture_pages_are_compared() -> None:
    # the parametrised test below skips the pages where trafilatura's rescues engage (a
    # hub, a gallery): most pages must be left to compare
    compared = [path for path in PAGES if _comparable(path)]
    assert len(compared) >= 0.6 * len(PAGES) >= 20


@pytest.mark.parametrize("path", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_fast_pass_is_trafilaturas_first_stage(path: Path) -> None:
    tree = _tree(path)
    if tree is None:
        pytest.skip("not HTML")
    before = etree.tostring(tree)
    ours = fast_pass(tree, URL)
    # the caller's tree is shared with metadata and the full cascade: left as it was
    assert etree.tostring(tree) == before
    theirs = trafilatura.bare_extraction(
        tree, url=URL, fast=True, with_metadata=False, include_comments=False, include_tables=True
    )
    their_text = theirs.text if isinstance(theirs, trafilatura.settings.Document) else None
    if ours is None or _rescues_engage(ours.text, tree):
        pytest.skip("trafilatura's rescue stages engage on this page")
    assert ours.text == their_text


# --- when the full cascade runs ----------------------------------------------------------


def _cascade_runs(page: bytes) -> bool:
    tree = parse_html(page)
    assert tree is not None
    found = fast_pass(tree, URL)
    assert found is not None
    assert len(found.text) < FULL_CASCADE_BELOW_CHARS  # every page here is a short text
    return needs_full_cascade(found, shape(clean_text(found.text).text), tree)


BRIEF = STORY[:3]


def test_a_short_story_that_is_the_pages_paragraph_text_is_not_extracted_twice() -> None:
    assert not _cascade_runs(article_page(BRIEF))


def test_a_short_text_on_a_page_with_more_paragraphs_elsewhere_gets_the_cascade() -> None:
    # the fast pass keeps the <article>; the page's other paragraphs (here in a <section>
    # of their own, as on pages whose article is split by the template) may be the story
    rest = "".join(f"<p>{line}</p>" for line in STORIES["ferry"] + STORIES["bakery"])
    page = article_page(BRIEF, extra="").replace(
        b"</main>", f"</main><section class='sidebar'>{rest}</section>".encode()
    )
    assert _cascade_runs(page)


def test_a_short_text_on_a_page_without_paragraphs_gets_the_cascade() -> None:
    # text in <div>s only: the paragraph count cannot tell a story from a fragment
    page = article_page(BRIEF).replace(b"<p>", b"<div>").replace(b"</p>", b"</div>")
    assert _cascade_runs(page)


# --- a page without an article container ---------------------------------------------

REASONS = [
    "The ferry runs twice a day in winter and four times a day from May to September.",
    "Tickets are sold at the harbour office, which opens an hour before each sailing.",
    "Cyclists travel free on the first and last sailing of the day, the council said.",
]
FOOTER = "<div class='bottom'>Tidings Ltd, 4 Quay Street, Saltmere. Registered in England.</div>"


def _unframed_page(*, footer: str = FOOTER) -> bytes:
    # no <article>, <main> or class trafilatura takes for an article container
    items = "".join(f"<li>{line}</li>" for line in REASONS)
    return (
        "<html><head><title>Saltmere ferry</title></head><body><div class='wrap'>"
        f"<div class='col'><h1>Saltmere ferry</h1><p>{STORY[0]}</p><p>{STORY[1]}</p>"
        f"<h2>What changes for passengers</h2><ul>{items}</ul><p>{STORY[2]}</p>"
        f"<p>{STORY[3]}</p></div>{footer}</div></body></html>"
    ).encode()


def test_the_lists_of_an_article_without_a_container_are_kept() -> None:
    tree = parse_html(_unframed_page())
    assert tree is not None
    found = fast_pass(tree, URL)
    assert found is not None and not found.framed
    assert REASONS[0] not in found.text  # trafilatura's balanced recovery drops the list
    text = extract_article(_unframed_page(), URL).text
    assert all(line in text for line in REASONS)
    assert STORY[0] in text and STORY[3] in text
    # the recall mode recovers the footer too; it lies after the article's paragraphs
    recalled = fast_pass(tree, URL, recall=True)
    assert recalled is not None and "Registered in England" in recalled.text
    assert "Registered in England" not in text


def test_an_article_in_a_container_is_extracted_once() -> None:
    page = article_page(STORY)
    tree = parse_html(page)
    assert tree is not None
    found = fast_pass(tree, URL)
    assert found is not None and found.framed


# --- headings of a text recovered element by element ----------------------------------


CHANGES = [
    "The last sailing leaves the harbour at midnight.",
    "Bicycles travel free on every sailing after ten.",
]


def _recovered_page(frame: str = "") -> bytes:
    # no article container (or, with ``frame``, one that holds only that), two section
    # headings and a list; a linked teaser title and a sidebar's heading above its links
    # as look-alikes
    return (
        "<html><head><title>Saltmere ferry</title></head><body><div class='wrap'>"
        f"{frame}<div class='col'><h1>Saltmere ferry</h1><p>{STORY[0]}</p>"
        f"<h2>Why the ferry runs at night</h2><p>{STORY[1]}</p>"
        f"<ul><li>{CHANGES[0]}</li><li>{CHANGES[1]}</li></ul>"
        "<h3>From the harbour desk</h3><ul><li><a href='/a'>Fares</a></li>"
        f"<li><a href='/b'>Timetable</a></li></ul><p>{STORY[2]}</p>"
        f"<h3><a href='/lifeboat'>Lifeboat crew welcomes volunteers</a></h3><p>{STORY[3]}</p>"
        f"<h2>What residents said</h2><p>{REASONS[0]}</p><p>{REASONS[1]}</p>"
        "</div></div></body></html>"
    ).encode()


LINKS = "".join(
    f"<a href='/{n}'>Saltmere harbour news and the ferry timetable, part {n}</a> " for n in range(8)
)


@pytest.mark.parametrize(
    "frame",
    [
        "",
        # a container holding a lone heading
        "<div class='content'><h2>Saltmere news</h2></div>",
        # a container trafilatura empties as links: it takes text out of the tree and
        # still recovers the article element by element
        f"<div class='content'><div>{LINKS}</div></div>",
    ],
)
def test_the_headings_and_lists_of_a_recovered_article_are_put_back(frame: str) -> None:
    tree = parse_html(_recovered_page(frame))
    assert tree is not None
    found = fast_pass(tree, URL)
    assert found is not None and found.recovered
    assert "Why the ferry runs at night" not in found.text  # trafilatura's recovery drops it
    text = extract_article(_recovered_page(frame), URL).text
    assert text.splitlines() == [
        STORY[0],
        "Why the ferry runs at night",
        STORY[1],
        f"- {CHANGES[0]}",
        f"- {CHANGES[1]}",
        STORY[2],
        STORY[3],
        "What residents said",
        REASONS[0],
        REASONS[1],
    ]


def test_an_article_in_a_container_is_not_recovered() -> None:
    tree = parse_html(article_page(STORY))
    assert tree is not None
    found = fast_pass(tree, URL)
    assert found is not None and not found.recovered
