"""Metadata of a page from each source: JSON-LD, OpenGraph, meta tags, microdata, HTML
elements, trafilatura's guesses and the feed's hints (pages written for these tests)."""

from __future__ import annotations

import json

import pytest

from archive.extract import extract_article
from archive.metadata import iso_datetime, read_time_minutes
from archive.text import words

from .site_builder import STORY

# three paragraphs of the shared test story
PARAGRAPHS = STORY[:3]
URL = "https://www.tidings.example/music/finch-festival/?utm_source=feed"


def page(head: str = "", *, html_attrs: str = "", before: str = "", after: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html{html_attrs}><head><meta charset='utf-8'>"
        f"<title>Finch for Saltmere | Tidings</title>{head}</head><body>"
        f"<nav><a href='/'>Home</a></nav><main><article>{before}{body}{after}</article></main>"
        "</body></html>"
    ).encode()


def test_json_ld() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "#site", "name": "Tidings"},
            {"@type": "Person", "@id": "#rae", "name": "Rae Lindqvist"},
            {
                "@type": "NewsArticle",
                "headline": "Marlow Finch to headline Saltmere Folk Festival",
                "author": [{"@id": "#rae"}, {"@type": "Person", "name": "Ola Brandt"}],
                "datePublished": "2025-05-01T09:00:00+01:00",
                "dateModified": "2025-05-02T18:30:00-04:00",
                "publisher": {"@type": "Organization", "name": "Tidings Media"},
                "image": {"@type": "ImageObject", "url": "/img/finch.jpg"},
                "keywords": ["Marlow Finch", "festivals"],
                "articleSection": "Music",
                "inLanguage": "en-GB",
                "description": "The singer returns to the field where she grew up.",
                "mainEntityOfPage": {"@id": "https://tidings.example/music/finch-festival/"},
            },
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(graph)}</script>'
    ex = extract_article(page(head), URL)
    assert ex.title == "Marlow Finch to headline Saltmere Folk Festival"
    assert ex.authors == ["Rae Lindqvist", "Ola Brandt"]
    assert ex.author == "Rae Lindqvist, Ola Brandt"
    assert ex.published == "2025-05-01T09:00:00+01:00"  # the page's own timezone kept
    assert ex.updated == "2025-05-02T18:30:00-04:00"
    assert ex.site_name == "Tidings Media"
    assert ex.image == "https://www.tidings.example/img/finch.jpg"
    assert ex.tags == ["Marlow Finch", "festivals", "Music"]
    assert ex.section == "Music"
    assert ex.language == "en"
    assert ex.canonical_url == "https://tidings.example/music/finch-festival/"
    assert ex.description == "The singer returns to the field where she grew up."
    assert set(ex.sources.values()) == {"json-ld"}


def test_opengraph() -> None:
    head = (
        '<meta property="og:title" content="Finch to headline Saltmere">'
        '<meta property="og:site_name" content="Tidings">'
        '<meta property="og:url" content="https://tidings.example/music/finch-festival/">'
        '<meta property="og:image" content="https://cdn.tidings.example/finch.jpg">'
        '<meta property="og:locale" content="en_GB">'
        '<meta property="og:description" content="Finch returns home.">'
        '<meta property="article:published_time" content="2025-05-01T08:00:00Z">'
        '<meta property="article:modified_time" content="2025-05-01T12:15:00+0200">'
        '<meta property="article:author" content="https://facebook.example/raelindqvist">'
        '<meta property="article:tag" content="Marlow Finch">'
        '<meta property="article:tag" content="festivals">'
        '<meta property="article:section" content="Music">'
    )
    ex = extract_article(page(head), URL)
    assert ex.title == "Finch to headline Saltmere"
    assert ex.site_name == "Tidings"
    assert ex.canonical_url == "https://tidings.example/music/finch-festival/"
    assert ex.image == "https://cdn.tidings.example/finch.jpg"
    assert ex.language == "en"
    assert ex.published == "2025-05-01T08:00:00+00:00"
    assert ex.updated == "2025-05-01T12:15:00+02:00"
    assert ex.tags == ["Marlow Finch", "festivals", "Music"]
    assert ex.description == "Finch returns home."
    # a profile URL is not a name: the author is left to the next source
    assert "https" not in (ex.author or "")
    for name in ("title", "site_name", "canonical_url", "image", "published", "updated", "tags"):
        assert ex.sources[name] == "opengraph", name


def test_plain_meta_tags() -> None:
    head = (
        '<meta name="author" content="By Rae Lindqvist and Ola Brandt">'
        '<meta name="pubdate" content="2025-05-01">'
        '<meta name="keywords" content="Marlow Finch, festivals, Saltmere">'
        '<meta name="description" content="Finch returns home.">'
        '<meta http-equiv="content-language" content="en-gb">'
        '<meta name="application-name" content="Tidings">'
    )
    ex = extract_article(page(head), URL)
    assert ex.authors == ["Rae Lindqvist", "Ola Brandt"]
    assert ex.published == "2025-05-01"  # a date without a time stays a date
    assert ex.tags == ["Marlow Finch", "festivals", "Saltmere"]
    assert ex.language == "en"
    assert ex.site_name == "Tidings"
    for name in ("authors", "published", "tags", "language", "site_name", "description"):
        assert ex.sources[name] == "meta", name


def test_character_references_escaped_once_too_often_are_decoded() -> None:
    # the markup holds "&amp;#8216;": the value's text is "&#8216;", meant as "‘"
    head = (
        '<meta property="og:title" content="&amp;#8216;Finch&amp;#8217; returns &amp;amp; '
        'plays">'
        '<meta name="description" content="Tickets &amp;#8211; on sale Friday">'
    )
    ex = extract_article(page(head), URL)
    assert ex.title == "‘Finch’ returns & plays"
    assert ex.description == "Tickets – on sale Friday"


def test_microdata_and_html_elements() -> None:
    byline = (
        '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<span itemprop="name">Rae Lindqvist</span></div>'
        '<time itemprop="datePublished" datetime="2025-05-01T09:00:00+01:00">1 May</time>'
        '<time itemprop="dateModified" datetime="2025-05-03T10:00:00+01:00">3 May</time>'
    )
    head = '<link rel="CANONICAL" href="/music/finch-festival/">'
    ex = extract_article(page(head, html_attrs=' lang="pt-BR"', before=byline), URL)
    assert ex.authors == ["Rae Lindqvist"]
    assert ex.published == "2025-05-01T09:00:00+01:00"
    assert ex.updated == "2025-05-03T10:00:00+01:00"
    assert ex.language == "pt"
    assert ex.canonical_url == "https://www.tidings.example/music/finch-festival/"
    assert ex.sources["authors"] == ex.sources["published"] == "microdata"
    assert ex.sources["language"] == ex.sources["canonical_url"] == "html"


def test_rel_author_and_time_pubdate() -> None:
    byline = (
        '<p>By <a rel="author" href="/authors/rae">Rae Lindqvist</a> '
        '<time pubdate datetime="2025-05-01T09:00:00+01:00">1 May 2025</time></p>'
    )
    ex = extract_article(page(before=byline), URL)
    assert ex.authors == ["Rae Lindqvist"]
    assert ex.published == "2025-05-01T09:00:00+01:00"
    assert ex.sources["authors"] == ex.sources["published"] == "html"


def test_trafilatura_fallback_when_markup_is_silent() -> None:
    heading = (
        "<h1>Marlow Finch to headline Saltmere Folk Festival</h1>"
        "<p class='byline'>By <span class='author'>Rae Lindqvist</span></p>"
    )
    ex = extract_article(page(before=heading), "https://tidings.example/2025/05/01/finch/")
    assert ex.title == "Marlow Finch to headline Saltmere Folk Festival"
    assert ex.authors == ["Rae Lindqvist"]
    assert ex.published == "2025-05-01"
    for name in ("title", "authors", "published"):
        assert ex.sources[name] == "trafilatura", name
    assert "Rae Lindqvist" not in ex.text  # the byline is metadata, not story


@pytest.mark.parametrize(
    "byline",
    [
        "<p class='byline'>By <span>Rae Lindqvist</span></p>",
        "<p>By <span class='AuthorName'>Rae Lindqvist</span></p>",
        "<p>By <a data-testid='AuthorURL' href='/rae'>Rae Lindqvist</a></p>",
        "<div id='author-box'>Rae Lindqvist</div>",
        "<div data-component='Byline'>Rae Lindqvist</div>",
        "<p>By <author>Rae Lindqvist</author></p>",
        "<p class='BBL'>Rae Lindqvist</p>",
    ],
    ids=["byline class", "class", "data-testid", "id", "data-component", "element", "BBL"],
)
def test_the_author_search_runs_wherever_its_attributes_name_one(byline: str) -> None:
    # the search is skipped on pages whose attributes it reads name no author; each kind
    # of attribute it reads still leads to it
    ex = extract_article(page(before=byline), "https://tidings.example/finch/")
    assert ex.authors == ["Rae Lindqvist"]
    assert ex.sources["authors"] == "trafilatura"


def test_an_author_word_outside_the_searched_attributes_finds_no_author() -> None:
    # "author" in a script and in a link's text (the byte search passes them), nothing in
    # the attributes trafilatura's search reads: no author, as that search would say
    script = "<script>var page = {author: 'Rae Lindqvist', writer: true};</script>"
    link = "<p><a href='/authors'>Our authors</a> write for Tidings.</p>"
    ex = extract_article(page(head=script, after=link), "https://tidings.example/finch/")
    assert ex.authors == [] and "authors" not in ex.sources


def test_the_listings_statement_comes_before_trafilaturas_guess() -> None:
    # the page states nothing in markup; the feed that listed it states a headline and a
    # date: those are taken, and trafilatura guesses only the byline the feed lacks
    heading = (
        "<h1>Marlow Finch to headline Saltmere Folk Festival</h1>"
        "<p class='byline'>By <span class='author'>Rae Lindqvist</span></p>"
    )
    hints = {"title": "Finch headlines Saltmere", "published": "Thu, 01 May 2025 09:00:00 +0100"}
    url = "https://tidings.example/2025/05/01/finch/"
    ex = extract_article(page(before=heading), url, hints=hints)
    assert (ex.title, ex.published) == ("Finch headlines Saltmere", "2025-05-01T09:00:00+01:00")
    assert ex.sources["title"] == ex.sources["published"] == "hints"
    assert ex.authors == ["Rae Lindqvist"]
    assert ex.sources["authors"] == "trafilatura"
    # a date the listing garbles is no statement: the page's date is guessed as before
    garbled = extract_article(page(before=heading), url, hints={"published": "soon"})
    assert (garbled.published, garbled.sources["published"]) == ("2025-05-01", "trafilatura")


def test_markup_wins_over_trafilatura_and_hints_fill_the_rest() -> None:
    head = '<meta property="og:title" content="Finch to headline Saltmere">'
    hints = {"title": "Feed title", "author": "Feed Author", "tags": ["feed-tag"]}
    ex = extract_article(page(head), URL, hints=hints)
    assert ex.title == "Finch to headline Saltmere"
    assert ex.authors == ["Feed Author"]
    assert ex.sources["authors"] == "hints"
    assert ex.tags == ["feed-tag"]


def test_word_count_and_read_time() -> None:
    ex = extract_article(page(), URL)
    assert ex.word_count == len(words(" ".join(PARAGRAPHS)))
    assert ex.read_time_minutes == 1
    assert read_time_minutes(0) == 0
    assert read_time_minutes(238) == 1
    assert read_time_minutes(239) == 2
    assert ex.site == "tidings.example"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-01T09:00:00Z", "2025-05-01T09:00:00+00:00"),
        ("2025-05-01T09:00:00+0100", "2025-05-01T09:00:00+01:00"),
        ("2025-05-01 09:00:00 -05:00", "2025-05-01T09:00:00-05:00"),
        ("2025-05-01T09:00:00", "2025-05-01T09:00:00"),  # no zone stated: none invented
        ("2025-05-01", "2025-05-01"),
        ("1 May 2025", "2025-05-01"),
        ("Thu, 01 May 2025 09:00:00 BST", "2025-05-01T09:00:00+01:00"),
        ("on Thursday", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_datetime_keeps_the_stated_timezone(value: str | None, expected: str | None) -> None:
    assert iso_datetime(value) == expected
