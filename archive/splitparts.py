"""Find an article split over sibling containers, and join its parts.

Some templates cut an article's body into several containers of one kind with ads or
asides between them (``div.article__body`` pieces, each in a grid row beside an ad rail).
trafilatura takes the first container that matches its article patterns and leaves the
rest (extraction benchmark 2f42ef1d: the first 584 of 1,300 words, in every mode). The
parts are told by their markup: two or more elements of one tag and class (or itemprop)
that are parents of paragraphs, within one story: one ``<article>`` (or none) around
them all and no ``<h1>`` after the first, so the next story of an endless-scroll page,
built with the same classes, is not one of them.
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING

from archive.settings import SPLIT_PART_MIN_CHARS

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# blocks that stand for the whole page: never an article part, nor the block joining parts
_PAGE_LEVEL = frozenset({"html", "body"})
# the attributes that name a part's kind, and that the joining block takes from the parts
_KIND_ATTRIBUTES = ("class", "itemprop")


def split_parts(tree: HtmlElement) -> list[list[HtmlElement]]:
    """Groups of elements of one tag and class (or itemprop) that each hold at least
    ``SPLIT_PART_MIN_CHARS`` characters of paragraphs, two or more a group, in page
    order."""
    held: dict[tuple[str, ...], dict[HtmlElement, list[HtmlElement]]] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is None or parent.tag in _PAGE_LEVEL:
            continue
        names = tuple((parent.get(name) or "").strip() for name in _KIND_ATTRIBUTES)
        if any(names):
            held.setdefault((parent.tag, *names), {}).setdefault(parent, []).append(paragraph)
    # the paragraphs' text is measured only in kinds with two parents or more: 0.31 ms a
    # page on the benchmark sets, against 0.42 measuring every paragraph
    groups = []
    for parents in held.values():
        if len(parents) < 2:
            continue
        parts = [
            parent
            for parent, paragraphs in parents.items()
            if sum(len(p.text_content()) for p in paragraphs) >= SPLIT_PART_MIN_CHARS
        ]
        if len(parts) >= 2:
            groups.append(parts)
    return groups


def _joining_block(parts: list[HtmlElement]) -> HtmlElement | None:
    """The smallest block holding every part, when the parts are one story's."""
    stories = {next(part.iterancestors("article"), None) for part in parts}
    if len(stories) > 1:
        return None
    others = [set(part.iterancestors()) for part in parts[1:]]
    for ancestor in parts[0].iterancestors():
        if all(ancestor in chain for chain in others):
            if ancestor.tag in _PAGE_LEVEL or _headline_after(ancestor, parts[0]):
                return None
            return ancestor
    return None


def _headline_after(block: HtmlElement, first: HtmlElement) -> bool:
    """Whether ``block`` holds an ``<h1>`` after ``first``: the next story's headline."""
    met = False
    for element in block.iter():
        if element is first:
            met = True
        elif met and element.tag == "h1":
            return True
    return False


def joined(tree: HtmlElement, parts: list[HtmlElement]) -> HtmlElement | None:
    """A copy of ``tree`` in which the smallest block holding all ``parts`` carries their
    class (and itemprop) and the parts do not, so that an extractor that takes the first
    block of that kind takes them all, with what lies between them.

    :returns: None when the parts are not one story's, or only the page holds them all
    """
    block = _joining_block(parts)
    if block is None:
        return None
    root = tree.getroottree()
    block_path = root.getpath(block)
    part_paths = [root.getpath(part) for part in parts]
    copy = deepcopy(tree)
    copied = copy.getroottree()
    for path in part_paths:
        part = copied.xpath(path)[0]
        for name in _KIND_ATTRIBUTES:
            part.attrib.pop(name, None)
    target = copied.xpath(block_path)[0]
    for name in _KIND_ATTRIBUTES:
        value = parts[0].get(name)
        if value is None:
            target.attrib.pop(name, None)
        else:
            target.set(name, value)
    return copy
