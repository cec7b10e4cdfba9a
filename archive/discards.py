"""trafilatura's discard, article-container and author expressions evaluated in Python:
the same elements, in a third of the time.

trafilatura finds the blocks it prunes (navigation, sharing and comment sections, hidden
blocks, infinite-scroll teasers) and the article's container with XPath expressions
tested on every element of a page, most of them EXSLT regular expressions
(``re:test``). libxml2 tests each element's tag in turn, then calls back into Python's
``re`` once per test of each candidate. The same tests written in Python over
``iterdescendants(tags)`` find the same elements, in the same order. Per page, on full
trees of the 115 news pages of the extraction benchmark (of all 1,115 pages of both
extraction sets):

- OVERALL_DISCARD_XPATH: 1.97 + 1.87 -> 0.65 + 0.58 ms (7.5 + 6.4 -> 2.4 + 2.0);
- the raw-tree and comment-section prune: 1.89 -> 0.45 ms;
- BODY_XPATH's first expression: 0.82 -> 0.29 ms (2.65 -> 0.94);
- the author search (AUTHOR_XPATHS, and AUTHOR_DISCARD_XPATHS pruned before it), whole
  ``trafilatura.metadata.extract_author`` calls: 8.6 -> 4.2 ms (issue 10's eighth round:
  3.7% of the workers' time in a crawl, on pages whose markup names no author).

The discard expressions were 13% of the extraction workers' time in a crawl (py-spy,
issue 10); the extracted texts and metadata of all 1,115 pages are the same with them.

Each matcher is written from one expression of the trafilatura version pinned in
pyproject.toml and reads its regular expressions from that expression's text. It stands
in for the expression only while the text is the one it was written from (its SHA-256
below): a trafilatura release that changes an expression gets its own XPath back, and
tests/test_discards.py fails until the matcher is brought up to date. Those tests hold
every matcher to its expression on look-alikes (attribute order, empty and missing
attributes, each test of the expression), and on the fixture pages.

The same tests serve one element on its own (:func:`discarded_by_name`, for the page's
main paragraph block in archive/clean.py), where an expression searching below the
element it runs on cannot.

XPath semantics kept here: a missing attribute compares as the empty string; ``@a|@b``
as a string is the value of whichever of the two comes first in the element's markup;
``.//*`` is every element below the tree's root, not the root itself, nor comments.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import trafilatura.main_extractor
import trafilatura.metadata
from lxml import etree
from lxml.etree import XPath
from trafilatura.xpaths import (
    AUTHOR_DISCARD_XPATHS,
    AUTHOR_XPATHS,
    BODY_XPATH,
    OVERALL_DISCARD_XPATH,
    RAW_TREE_PRUNE_XPATH,
    REGEXP_NS,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

Matcher = Callable[["_Element"], list["_Element"]]
# one element's test: whether the expression would pick it out of a tree holding it
Test = Callable[["_Element"], bool]


def _digest(expression: XPath) -> str:
    return hashlib.sha256(expression.path.encode()).hexdigest()


def _pattern(expression: XPath, attribute: str, nth: int = 0) -> Callable[[str], object]:
    """The ``nth`` regular expression ``expression`` tests ``@attribute`` with."""
    found = re.findall(rf"re:test\(@{attribute}, '([^']*)'\)", expression.path)
    return re.compile(found[nth]).search


# an element's XPath string value: the text of all its descendants
_STRING = XPath("string()")


def _first(element: _Element, one: str, other: str, a: str | None, b: str | None) -> str:
    """``string(@one|@other)``: the value of whichever attribute comes first in the
    element's markup (``a`` and ``b`` their values, None when missing)."""
    if a is None or b is None:
        return a if a is not None else (b or "")
    for name in element.keys():  # noqa: SIM118 (attribute order, not only names)
        if name == one:
            return a
        if name == other:
            return b
    return a  # not reached: both are attributes of the element


def _overall_blocks(expression: XPath) -> Test:
    """OVERALL_DISCARD_XPATH[0]: navigation, sharing, related links, ads, bylines."""
    by_id, by_class = _pattern(expression, "id"), _pattern(expression, "class")

    def test(element: _Element) -> bool:
        get = element.get
        id_, class_, role = get("id"), get("class"), get("role")
        component = get("data-component")
        return bool(
            get("data-lp-replacement-content") is not None
            or (role is not None and "nav" in role.replace("N", "n"))
            or (component is not None and "MostPopularStories" in component)
            or "cookie" in _first(element, "id", "class", id_, class_)
            or by_id(id_ or "")
            or by_class(class_ or "")
        )

    return test


def _overall_hidden(expression: XPath) -> Test:
    """OVERALL_DISCARD_XPATH[1]: comment titles, replies, hidden and unprinted blocks."""
    by_id, by_class = _pattern(expression, "id"), _pattern(expression, "class")

    def test(element: _Element) -> bool:
        get = element.get
        id_, class_, style = get("id"), get("class"), get("style")
        if id_ is None and class_ is None and style is None:
            return get("aria-hidden") == "true"
        return bool(
            class_ == "comments-title"
            or _first(element, "id", "class", id_, class_).startswith("reply-")
            or "hidden" in _first(element, "id", "style", id_, style)
            or (style is not None and ("display:none" in style or "display: none" in style))
            or by_id(id_ or "")
            or by_class(class_ or "")
            or get("aria-hidden") == "true"
        )

    return test


def _infinite_scroll(expression: XPath) -> Test:
    """RAW_TREE_PRUNE_XPATH[0]: infinite-scroll and post-add blocks without a headline."""
    scroll_id, scroll_class = _pattern(expression, "id"), _pattern(expression, "class")
    add_id, add_class = _pattern(expression, "id", 1), _pattern(expression, "class", 1)

    def test(element: _Element) -> bool:
        id_, class_ = element.get("id") or "", element.get("class") or ""
        return bool(
            (scroll_id(id_) or scroll_class(class_))
            and (element.find(".//h1") is None or add_id(id_) or add_class(class_))
        )

    return test


def _share_buttons(expression: XPath) -> Test:
    """RAW_TREE_PRUNE_XPATH[1]: Elementor's share buttons."""

    def test(element: _Element) -> bool:
        return "elementor-share-buttons" in (element.get("class") or "")

    return test


def _comment_sections(expression: XPath) -> Test:
    """REMOVE_COMMENTS_AND_LISTS_XPATH[0]: comment sections (lists only by a strict name)."""
    section_id, section_class = _pattern(expression, "id"), _pattern(expression, "class")
    list_id = _pattern(expression, "id", 1)

    def test(element: _Element) -> bool:
        id_, class_ = element.get("id") or "", element.get("class") or ""
        return bool(
            (section_id(id_) or section_class(class_))
            and (element.tag not in ("ol", "ul") or list_id(id_) or section_class(class_))
        )

    return test


def _article_container(expression: XPath) -> Test:
    """BODY_XPATH[0]: article containers by their names (its ``[1]`` is applied by
    :func:`_first_of_siblings`)."""
    by_id, by_class = _pattern(expression, "id"), _pattern(expression, "class")

    def test(element: _Element) -> bool:
        get = element.get
        id_, class_ = get("id"), get("class")
        return bool(
            class_ in ("post", "entry")
            or get("itemprop") == "articleBody"
            or id_ == "articleContent"
            or by_id(id_ or "")
            or by_class(class_ or "")
        )

    return test


def _named_author(expression: XPath) -> Test:
    """AUTHOR_XPATHS[0]: an author by a specific name, and ``<author>`` elements (its
    ``|//author``)."""
    by_class = _pattern(expression, "class")

    def test(element: _Element) -> bool:
        if element.tag == "author":
            return True
        get = element.get
        class_ = get("class")
        return bool(
            get("rel") == "author"
            or get("id") == "author"
            or class_ == "author"
            or get("itemprop") == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or by_class(class_ or "")
            # the expression's "rel='me'" (no @): a child element <rel> whose text is "me"
            or any(_STRING(child) == "me" for child in element.iterchildren("rel"))
        )

    return test


def _author_by_name(expression: XPath) -> Test:
    """AUTHOR_XPATHS[1]: bylines by their generic names."""
    by_id, by_class = _pattern(expression, "id"), _pattern(expression, "class")

    def test(element: _Element) -> bool:
        get = element.get
        class_ = get("class")
        return bool(
            class_ in ("byline", "username", "byl", "BBL")
            or "author" in (get("itemprop") or "")
            or by_id(get("id") or "")
            or by_class(class_ or "")
        )

    return test


def _author_anywhere(expression: XPath) -> Test:
    """AUTHOR_XPATHS[2]: the last resort, any element named for a byline."""
    by_id, by_class = _pattern(expression, "id"), _pattern(expression, "class")

    def test(element: _Element) -> bool:
        get = element.get
        return bool(
            "Byline" in (get("data-component") or "")
            or "author" in (get("itemprop") or "")
            or by_id(get("id") or "")
            or by_class(get("class") or "")
        )

    return test


def _not_the_byline(expression: XPath) -> Test:
    """AUTHOR_DISCARD_XPATHS[0]: comments, sidebars, quotes, titles and dates, pruned
    before the author search."""
    by_id, by_class = _pattern(expression, "id"), _pattern(expression, "class")

    def test(element: _Element) -> bool:
        get = element.get
        id_, class_ = get("id"), get("class")
        return bool(
            id_ == "comments"
            or class_ in ("comments", "title", "date")
            or by_id(id_ or "")
            or by_class(class_ or "")
            or "Figure" in (get("data-component") or "")
        )

    return test


def _every(tags: tuple[Any, ...], test: Test) -> Matcher:
    """``.//*[tag tests][test]``: every element below the root that passes."""

    def matches(tree: _Element) -> list[_Element]:
        return [element for element in tree.iterdescendants(*tags) if test(element)]

    return matches


def _everywhere(tags: tuple[Any, ...], test: Test) -> Matcher:
    """``//*[tag tests][test]``: every element of the tree's document that passes, its
    root element too."""

    def matches(tree: _Element) -> list[_Element]:
        root = tree.getroottree().getroot()
        return [element for element in root.iter(*tags) if test(element)]

    return matches


def _first_of_siblings(tags: tuple[Any, ...], test: Test) -> Matcher:
    """``.//*[tag tests][test][1]``: the ``[1]`` applies to each parent's children
    (``.//*`` is ``descendant-or-self::node()/*``), so the first match among its
    siblings, not the first of the page."""

    def matches(tree: _Element) -> list[_Element]:
        found, parents = [], set()
        for element in tree.iterdescendants(*tags):
            if test(element):
                parent = element.getparent()
                if parent not in parents:
                    parents.add(parent)
                    found.append(element)
        return found

    return matches


_BLOCKS = ("div", "item", "list", "p", "section", "span")
_CONTAINERS = ("div", "section", "aside")
# the expression's SHA-256: the tags it names (lxml's Element: any), its test written from
# it, and how the two make its matches
_WRITTEN_FROM: dict[
    str, tuple[tuple[Any, ...], Callable[[XPath], Test], Callable[..., Matcher]]
] = {
    "caaa561ceca17064773e97bf7c610f55e6c6a64a2477328c060642912d489b3b": (
        ("article", "div", "main", "section"),
        _article_container,
        _first_of_siblings,
    ),
    "a837e58a1b1ea116ce1dada53d856dec093fe9f64b37dc503698e30f96a87dd3": (
        _BLOCKS,
        _overall_blocks,
        _every,
    ),
    "c1d5b70b8cd03783545d6b715c69062ae6967c222b2d8f4e2399762362d426c0": (
        (etree.Element,),
        _overall_hidden,
        _every,
    ),
    "01e7c660fd6406f29932819d2dbd7530e2f3bdac11dde83565e977e391303444": (
        _CONTAINERS,
        _infinite_scroll,
        _every,
    ),
    "3c7afe92279543d5530365aa7b921c6e5b51243033e5622cae1dc85e08976f87": (
        _CONTAINERS,
        _share_buttons,
        _every,
    ),
    "9cc18d34e6e2d258172b5df02bc44e578c95ef709b8e06722846c7a410c3a46f": (
        ("div", "list", "section", "details", "ol", "ul"),
        _comment_sections,
        _every,
    ),
    "4d49fee6aa1c77f41b63f65c014f6b50ea6af77795067d2ff513624f8b9323f7": (
        ("a", "address", "div", "link", "p", "span", "strong", "author"),
        _named_author,
        _everywhere,
    ),
    "6120fddc3d75e8ea3141a2627a84df8aed293cac91fc1b45773c0441031df9ef": (
        ("a", "div", "h3", "h4", "p", "span"),
        _author_by_name,
        _everywhere,
    ),
    "4ff2ef32ff7c0e5f888a4d654209efe14f0af625af5022a3ff9be3cc31e2b91c": (
        (etree.Element,),
        _author_anywhere,
        _everywhere,
    ),
    "82f43e48c571d06b5e8f72043c2295e4342ed07ddec04f10b5836b84c3d98a35": (
        ("a", "div", "section", "span"),
        _not_the_byline,
        _every,
    ),
}


def matchers(expressions: list[XPath]) -> list[XPath]:
    """``expressions`` with each one a matcher here was written from replaced by it (the
    others as they are); typed as XPaths, whose call they answer alike."""
    replaced = []
    for expression in expressions:
        written = _WRITTEN_FROM.get(_digest(expression))
        if written is None:
            replaced.append(expression)
            continue
        tags, test, matcher = written
        replaced.append(cast("XPath", matcher(tags, test(expression))))
    return replaced


def _element_test(expression: XPath) -> Test:
    """Whether ``expression`` (``.//*[...]``) would pick one given element out of a tree
    holding it: the test written from it, or else the expression rewritten to test the
    element itself (run from its parent, the expression would search its whole subtree:
    3.4 ms a page where the main paragraph block's test ran, archive/clean.py)."""
    written = _WRITTEN_FROM.get(_digest(expression))
    if written is not None:
        tags, test, _ = written
        written_test = test(expression)
        if etree.Element in tags:
            return written_test
        return lambda element: element.tag in tags and written_test(element)
    itself = XPath(
        expression.path.strip().replace(".//*", "boolean(self::*", 1) + ")",
        namespaces={"re": REGEXP_NS},
    )
    return lambda element: bool(itself(element))


ARTICLE_CONTAINERS = matchers(BODY_XPATH)
RAW_TREE_PRUNE = matchers(RAW_TREE_PRUNE_XPATH)
COMMENT_SECTIONS = matchers(REMOVE_COMMENTS_AND_LISTS_XPATH)
OVERALL_DISCARD = matchers(OVERALL_DISCARD_XPATH)
_OVERALL_DISCARD_TESTS = [_element_test(expression) for expression in OVERALL_DISCARD_XPATH]
AUTHOR_SEARCH = matchers(AUTHOR_XPATHS)
AUTHOR_PRUNE = matchers(AUTHOR_DISCARD_XPATHS)


def discarded_by_name(element: _Element) -> bool:
    """Whether trafilatura's main extractor discards ``element`` for its tag, names or
    style (OVERALL_DISCARD_XPATH), wherever it stands."""
    return any(test(element) for test in _OVERALL_DISCARD_TESTS)


@contextmanager
def in_main_extractor() -> Iterator[None]:
    """Run trafilatura's main extractor with the matchers for its article containers
    (BODY_XPATH) and OVERALL_DISCARD_XPATH.

    The main extractor reads those lists from its module at each call; they are swapped
    in for the duration only, so trafilatura used elsewhere in the process (a
    benchmark's plain trafilatura above all) stays as released. Threads that overlap
    here can leave the matchers in place: they find the same elements.
    """
    module = trafilatura.main_extractor
    saved = module.BODY_XPATH, module.OVERALL_DISCARD_XPATH
    module.BODY_XPATH, module.OVERALL_DISCARD_XPATH = ARTICLE_CONTAINERS, OVERALL_DISCARD
    try:
        yield
    finally:
        module.BODY_XPATH, module.OVERALL_DISCARD_XPATH = saved


@contextmanager
def in_author_search() -> Iterator[None]:
    """Run trafilatura's author search (``trafilatura.metadata.extract_author``) with the
    matchers for its expressions (AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS), swapped in
    for the duration only, as :func:`in_main_extractor` does."""
    module = trafilatura.metadata
    saved = module.AUTHOR_XPATHS, module.AUTHOR_DISCARD_XPATHS
    module.AUTHOR_XPATHS, module.AUTHOR_DISCARD_XPATHS = AUTHOR_SEARCH, AUTHOR_PRUNE
    try:
        yield
    finally:
        module.AUTHOR_XPATHS, module.AUTHOR_DISCARD_XPATHS = saved
