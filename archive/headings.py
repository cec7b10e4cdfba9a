"""Put back the headings of an article that trafilatura recovered element by element.

When trafilatura finds no article container (or one that holds too little text), it
recovers the page's paragraphs, quotes, code and tables one by one, and never its
headings, in any mode: a guide comes out as a run of paragraphs without its section
titles. The headings are found again in the page: a heading whose next text block is a
line of the recovered text, after another such line, is put back before that line. A
heading followed by blocks the recovery left out (a sidebar's title above its links) is
not, and neither is one before the first or after the last recovered line, nor one that
is a link (a teaser's title, above its blurb).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.settings import HEADING_MAX_WORDS
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


def with_headings(tree: HtmlElement, text: str) -> str:
    """``text``, recovered from ``tree`` element by element, with the section headings
    that sit between its lines put back before the line that follows each.

    :param tree: the page the text was recovered from
    :param text: the recovered text, one block a line
    :returns: the text with its headings, or ``text`` when it has none to put back
    """
    lines = text.splitlines()
    at: dict[str, int] = {}
    for index, line in enumerate(lines):
        at.setdefault(_key(line.removeprefix(_ITEM_PREFIX)), index)
    at.pop("", None)
    inserts: dict[int, list[str]] = {}
    pending: list[str] = []
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
                pending.append(content)
            else:
                pending = []
            continue
        key = _key(content)
        if not key:
            continue
        found = at.get(key)
        if found is None:
            # a block the recovery left out: the headings above it are not the text's
            pending = []
            continue
        index = found
        if pending and last >= 0 and index > last:
            inserts.setdefault(index, []).extend(pending)
        pending = []
        last = max(last, index)
    if not inserts:
        return text
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(inserts.get(index, ()))
        out.append(line)
    return "\n".join(out)
