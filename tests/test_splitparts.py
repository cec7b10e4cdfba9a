"""archive/splitparts.py: an article cut into containers of one kind with ads between
them is read whole; containers of one kind that are not one article's parts are not
joined."""

from __future__ import annotations

from archive.extract import extract_article
from archive.fastpass import fast_pass
from archive.parse import parse_html

from .site_builder import STORIES, STORY

URL = "https://glossmag.example/music/finch/"
SECOND = STORIES["ferry"] + STORIES["bakery"]
TITLE = "Marlow Finch to headline Saltmere Folk Festival"


def _part(lines: list[str], kind: str = "article__body") -> str:
    # a grid row: the part beside an empty ad rail
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    return f"<div class='row'><div class='{kind}'>{paragraphs}</div><aside></aside></div>"


def _page(middle: str, *, head: str = f"<h1>{TITLE}</h1>") -> bytes:
    return (
        f"<html><head><title>{TITLE}</title></head><body>{head}"
        f"<div class='chunks'>{middle}</div>"
        "<footer><p>Tidings is a fictional publisher.</p></footer></body></html>"
    ).encode()


AD = "<div class='ad'>Advertisement</div>"


def test_the_parts_of_a_split_article_are_read_in_order() -> None:
    page = _page(_part(STORY) + AD + _part(SECOND))
    tree = parse_html(page)
    assert tree is not None
    first = fast_pass(tree, URL)
    assert first is not None and SECOND[0] not in first.text  # trafilatura takes one part
    lines = extract_article(page, URL).text.splitlines()
    assert lines[: len(STORY) + len(SECOND)] == STORY + SECOND


def test_containers_of_one_kind_that_are_not_one_storys_are_not_joined() -> None:
    # the next story of an endless-scroll page, in an <article> of its own or under its
    # own headline, built with the same classes
    for middle in (
        f"<article>{_part(STORY)}</article>{AD}<article>{_part(SECOND)}</article>",
        f"{_part(STORY)}{AD}<h1>Saltmere ferry to run at night</h1>{_part(SECOND)}",
    ):
        text = extract_article(_page(middle), URL).text
        assert STORY[0] in text and SECOND[0] not in text


def test_parts_the_first_text_does_not_start_with_are_not_joined() -> None:
    # comments, or teasers after the article, built of one kind of container: the
    # extracted text is not their first
    story = "".join(f"<p>{line}</p>" for line in STORY)
    teasers = "".join(_part(STORIES[name][:2], "teaser-text") for name in ("ferry", "bakery"))
    text = extract_article(_page(f"<div class='story-body'>{story}</div>{teasers}"), URL).text
    assert STORY[0] in text and SECOND[0] not in text
