"""Put back the headings and lists of an article that trafilatura recovered element by
element.

When trafilatura finds no article container (or one that holds too little text), it
recovers the page's paragraphs, quotes, code and tables one by one, and never its
headings, in any mode, nor (in its balanced mode) its lists: a guide comes out as a run of
paragraphs without its section titles and bullet points. They are found again in the
page: a heading, or a list's items, whose next text block is a line of the recovered
text, after another such line, are put back before that line. A heading or list followed
by blocks the recovery left out (a sidebar's title above its links) is not, and neither
is one before the first or after the last recovered line, nor a heading that is a link (a
teaser's title, above its blurb) or a list item that is mostly links (a menu).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.settings import HEADING_MAX_WORDS, LIST_ITEM_MAX_LINK_SHARE
from archive.text import words

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Section headings below the page's headline (the <h1> is the headline, cleaned apart)
_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# The blocks whose text trafilatura's recovery may have taken, each a line of its text
_BLOCKS = ("p", "li", "blockquote", "pre", "td", "th", "dd", "dt", *_HEADINGS)
# trafilatura marks a list item with this prefix in its text output
_ITEM_PREFIX = "- "


def _key(text: str) -> str:
    return " ".join(words(text))


def _drop_headings(pending: list[tuple[str, bool]]) -> None:
    """Drop the headings at the end of ``pending``: the block after them is not the text's."""
    while pending and pending[-1][1]:
        pending.pop()


def with_sections(tree: HtmlElement, text: str) -> str:
    """``text``, recovered from ``tree`` element by element, with the section headings
    and list items that sit between its lines put back before the line that follows each.

    :param tree: the page the text was recovered from
    :param text: the recovered text, one block a line
    :returns: the text with its headings and lists, or ``text`` when it has none to put
        back
    """
    lines = text.splitlines()
    at: dict[str, int] = {}
    for index, line in enumerate(lines):
        at.setdefault(_key(line.removeprefix(_ITEM_PREFIX)), index)
    at.pop("", None)
    inserts: dict[int, list[str]] = {}
    # what sits since the last recovered line: (text, whether it is a heading)
    pending: list[tuple[str, bool]] = []
    last = -1  # index of the last recovered line met in the page, -1 before the first
    for block in tree.iter(*_BLOCKS):
        content = " ".join(block.text_content().split())
        if block.tag in _HEADINGS:
            # a linked heading is the title of a teaser for another page
            if (
                content
                and len(content.split()) <= HEADING_MAX_WORDS
                and next(block.iter("a"), None) is None
            ):
                pending.append((content, True))
            else:
                _drop_headings(pending)
            continue
        key = _key(content)
        if not key:
            continue
        found = at.get(key)
        if found is None and block.tag == "li":
            if block.find(".//p") is not None or block.find(".//li") is not None:
                continue  # a container: its paragraphs and items are met one by one
            linked = sum(len(" ".join(a.text_content().split())) for a in block.iter("a"))
            if linked < LIST_ITEM_MAX_LINK_SHARE * len(content):
                pending.append((_ITEM_PREFIX + content, False))
                continue
        if found is None:
            # a block the recovery left out: the headings right above it are not the text's
            _drop_headings(pending)
            continue
        index = found
        if pending and last >= 0 and index > last:
            inserts.setdefault(index, []).extend(line for line, _ in pending)
        pending = []
        last = max(last, index)
    if not inserts:
        return text
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(inserts.get(index, ()))
        out.append(line)
    return "\n".join(out)
