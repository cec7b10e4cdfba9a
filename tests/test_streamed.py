"""archive/streamed.py: the segments a React page streams after its shell are read where a
browser shows them, and extraction takes that text when it holds more of the article."""

from __future__ import annotations

from archive.extract import extract_article
from archive.parse import parse_html
from archive.streamed import may_stream, place_streamed_segments

from .site_builder import STORIES, STORY

URL = "https://glossmag.example/music/finch/"
FIRST = STORY
STREAMED = STORIES["ferry"] + STORIES["bakery"]
FOOTER = "Tidings is a fictional publisher registered in Saltmere."


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def _streamed_page(hole: str = "<template id='B:1'></template>") -> bytes:
    # the shell: the article's first part, the template where the rest goes with its
    # "Loading" fallback, a footer; the rest arrives after the footer, hidden, with the
    # script that moves it
    return (
        "<html><head><title>Marlow Finch to headline Saltmere Folk Festival</title></head>"
        "<body><main><article><h1>Marlow Finch to headline Saltmere Folk Festival</h1>"
        f"<div class='body'>{_paragraphs(FIRST)}</div>{hole}<div>Loading...</div>"
        f"</article></main><footer><p>{FOOTER}</p></footer>"
        f"<div hidden id='S:1'><div class='body'>{_paragraphs(STREAMED)}</div></div>"
        "<script>$RC('B:1','S:1')</script></body></html>"
    ).encode()


def test_a_streamed_segment_takes_its_templates_place() -> None:
    tree = parse_html(_streamed_page())
    assert tree is not None
    assert place_streamed_segments(tree) == 1
    assert not tree.xpath("//template") and not tree.xpath("//*[@hidden]")
    text = " ".join(tree.text_content().split())
    assert text.index(STREAMED[0]) < text.index(FOOTER)
    assert text.index(FIRST[-1]) < text.index(STREAMED[0])


def test_a_placeholder_is_filled_too() -> None:
    tree = parse_html(_streamed_page("<template id='P:1'></template>"))
    assert tree is not None and place_streamed_segments(tree) == 1


def test_the_article_is_read_with_its_streamed_part_in_order() -> None:
    text = extract_article(_streamed_page(), URL).text
    lines = text.splitlines()
    assert lines[: len(FIRST) + len(STREAMED)] == FIRST + STREAMED
    assert FOOTER not in text


def test_hidden_blocks_that_are_not_segments_stay_where_they_are() -> None:
    # a hidden div named otherwise, a segment whose template the page lacks, a template
    # inside its own segment
    for page in (
        _streamed_page().replace(b"id='S:1'", b"id='S1'"),
        _streamed_page().replace(b"id='B:1'", b"id='B:2'"),
        _streamed_page("").replace(
            b"<div class='body'><p>The ferry",
            b"<template id='B:1'></template><div class='body'><p>The ferry",
        ),
    ):
        tree = parse_html(page)
        assert tree is not None
        assert place_streamed_segments(tree) == 0
        assert len(tree.xpath("//*[@hidden]")) == 1


def test_a_segment_placed_where_the_extractor_prunes_it_keeps_the_served_text() -> None:
    # the template sits in a block whose class trafilatura prunes as comments: the page
    # with its segment placed has less article than the page as served
    page = (
        "<html><head><title>Saltmere ferry</title></head><body>"
        "<div class='shell'><h1>Saltmere ferry</h1>"
        "<div class='commentOnSelection'><template id='P:1'></template></div></div>"
        f"<div hidden id='S:1'><div>{_paragraphs(STREAMED)}</div></div></body></html>"
    ).encode()
    text = extract_article(page, URL).text
    assert all(line in text for line in STREAMED)


def test_a_streamed_segment_is_told_by_its_id_in_either_quote() -> None:
    assert may_stream(b'<div hidden id="S:1"><p>x</p></div>')
    assert may_stream(b"<div hidden id='S:12'><p>x</p></div>")
    # "S:" elsewhere: a speaker's label, a class, an unquoted id
    for other in (b"<p>S: I was there.</p>", b'<p class="S:1">x</p>', b"<div id=S:1>x</div>"):
        assert not may_stream(other), other
