"""trafilatura's main extractor alone: the first stage of its cascade, without the rescues.

``trafilatura.bare_extraction(fast=True)`` runs, after its main extractor, a baseline
rescue for texts under 250 characters and a recall retry for texts under 3,000 characters,
and to decide the second it measures the whole page's text (``html2txt``, a copy of the
tree and a cleaning pass: ~6 ms a page). It also copies the tree three times so that those
stages can see it unchanged. In :mod:`archive.extract` the fast pass is only the first
opinion: when its text is short or covers little of the page, the full cascade runs
anyway (``needs_full_cascade``), so those rescues are paid for twice. Measured on the 115
pages of the extraction benchmark, the rescues and copies were 5 of the 20 ms trafilatura
took a page (issue 10).

This module runs the same steps as trafilatura's first stage with its own functions, on
one copy of the tree: tree cleaning, raw-tree pruning, tag conversion, the main
extractor, text output. It follows ``trafilatura.core.trafilatura_sequence`` of the
trafilatura version pinned in pyproject.toml, and ``tests/test_fastpass.py`` checks that
it returns what ``bare_extraction(fast=True)`` returns on every page where trafilatura's
rescues do not engage, so a trafilatura upgrade that changes the sequence fails there.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml.etree import XPath
from trafilatura.core import _forum_thread_page
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.xml import xmltotxt

from archive.discards import COMMENT_SECTIONS, RAW_TREE_PRUNE, in_main_extractor

if TYPE_CHECKING:
    from lxml.etree import _Element
    from lxml.html import HtmlElement


_COUNT_ELEMENTS = XPath("count(//*)")
_COUNT_DONE = XPath("count(//done)")
# characters of text under an element (0.14 ms on a cleaned page; normalising its
# whitespace first costs a third more and changes one decision on the two benchmark sets:
# WCEB 0121, a recovery found with it, +0.003)
_TEXT_CHARS = XPath("string-length(string())")
# the elements trafilatura's main pass copied into its result and marked as taken
_TAKEN = XPath("//done[not(ancestor::done)]")
# the last paragraph of an extracted text, and the paragraphs of a tree with a given text
_LAST_PARAGRAPH = XPath("(.//p)[last()]")
_PARAGRAPH_WITH_TEXT = XPath("//p[normalize-space()=$text]")


@dataclass(slots=True)
class FastText:
    """The main extractor's result: its text and the element tree it came from."""

    text: str
    body: _Element
    # whether trafilatura's main pass took the text from a container it holds for the
    # article (its BODY_XPATH); if not, the text was recovered element by element
    framed: bool = True
    # whether the text was recovered element by element because the main pass took too
    # little from its container (a container holding a lone heading counts as framed
    # above but not here): such a text has none of the article's headings and lists
    recovered: bool = False


def fast_pass(tree: HtmlElement, url: str | None, *, recall: bool = False) -> FastText | None:
    """Extract the main text of ``tree`` with trafilatura's main extractor alone.

    On a page without an article container trafilatura recovers the text element by
    element, and in its balanced mode it recovers paragraphs, quotes, code and tables
    only: an article's lists are lost. ``recall`` runs its recall mode, which recovers
    lists, divisions and line breaks too (footers with them); :mod:`archive.extract`
    decides what of that text to keep.

    :param tree: a parsed page; left unchanged (the pass works on a copy)
    :param url: the page's URL (trafilatura resolves relative links with it)
    :param recall: trafilatura's recall mode instead of its balanced mode
    :returns: None when the text is shorter than trafilatura's minimum output size
    """
    options = Extractor(fast=True, comments=False, tables=True, url=url, recall=recall)
    work = copy(tree)
    # comments are off, so trafilatura prunes comment sections and their lists from the
    # raw tree, except on a forum thread, where the posts live in those containers
    # (trafilatura's RAW_TREE_PRUNE_XPATH and REMOVE_COMMENTS_AND_LISTS_XPATH, evaluated
    # in Python: archive/discards.py)
    prune = RAW_TREE_PRUNE
    if not _forum_thread_page(work):
        prune = RAW_TREE_PRUNE + COMMENT_SECTIONS
    # trafilatura prunes first and cleans second; cleaning first gives the same tree (the
    # prune's XPaths match containers by their id and class, and cleaning only removes
    # elements the prune would leave to it: scripts, navigation, forms) and runs those
    # XPaths over hundreds of elements a page fewer: 7.5 -> 6.3 ms a page on the benchmark
    work = prune_unwanted_nodes(tree_cleaning(work, options), prune)
    work = convert_tags(work, options, url)
    # trafilatura's main pass takes the article container's elements out of the tree or
    # marks them "done"; an untouched tree means the text was recovered element by
    # element (two counts in C, where testing its container XPaths again cost ~1 ms)
    elements = _COUNT_ELEMENTS(work)
    before = _TEXT_CHARS(work)
    with in_main_extractor():
        body, raw_text = extract_content(work, options)
    framed = _COUNT_ELEMENTS(work) != elements or bool(_COUNT_DONE(work))
    if len(raw_text) < options.min_output_size:
        return None
    return FastText(
        text=xmltotxt(body, options.formatting),
        body=body,
        framed=framed,
        recovered=_recovered(work, body, before, options.min_extracted_size),
    )


def _recovered(work: _Element, body: _Element, before: float, threshold: int) -> bool:
    """Whether trafilatura's main pass recovered ``body`` element by element: it took
    less than ``threshold`` characters of text out of ``work`` (moved into its result,
    or copied and renamed "done"), or the last paragraph of the result is still in
    ``work`` (the recovery works on a copy of the tree). Text the main pass pruned from
    a container counts as taken, so the first test alone misses a recovery after a
    pruned container (3 of the 47 on the benchmark sets); the second alone misses 7,
    whose last paragraph's text differs from its source's.

    :param work: the tree after the main pass
    :param body: the main pass's result
    :param before: the characters of text in ``work`` before the main pass
    :param threshold: trafilatura's minimum for a container's text
    """
    taken = before - _TEXT_CHARS(work) + sum(_TEXT_CHARS(done) for done in _TAKEN(work))
    if taken < threshold:
        return True
    last = _LAST_PARAGRAPH(body)
    wanted = " ".join("".join(last[0].itertext()).split()) if last else ""
    return bool(wanted) and bool(_PARAGRAPH_WITH_TEXT(work, text=wanted))
