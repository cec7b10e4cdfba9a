"""trafilatura's discard, article-container and author expressions evaluated in Python
(archive/discards.py): each matcher finds exactly the elements its expression finds, in
the same order, on look-alikes of every test the expression makes and on real pages."""

from __future__ import annotations

import itertools
from copy import copy
from pathlib import Path

import pytest
import trafilatura.main_extractor
import trafilatura.metadata
from lxml import etree, html
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.settings import Extractor
from trafilatura.xpaths import (
    AUTHOR_DISCARD_XPATHS,
    AUTHOR_XPATHS,
    BODY_XPATH,
    OVERALL_DISCARD_XPATH,
    RAW_TREE_PRUNE_XPATH,
    REGEXP_NS,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
)

from archive.discards import (
    ARTICLE_CONTAINERS,
    AUTHOR_PRUNE,
    AUTHOR_SEARCH,
    COMMENT_SECTIONS,
    OVERALL_DISCARD,
    RAW_TREE_PRUNE,
    _element_test,
    discarded_by_name,
    in_author_search,
    in_main_extractor,
    matchers,
)
from archive.parse import parse_page

SAMPLES = Path(__file__).parent / "extraction_sample"
PAIRS = list(
    zip(
        BODY_XPATH[:1]
        + OVERALL_DISCARD_XPATH
        + RAW_TREE_PRUNE_XPATH
        + REMOVE_COMMENTS_AND_LISTS_XPATH
        + AUTHOR_XPATHS
        + AUTHOR_DISCARD_XPATHS[:1],
        ARTICLE_CONTAINERS[:1]
        + OVERALL_DISCARD
        + RAW_TREE_PRUNE
        + COMMENT_SECTIONS
        + AUTHOR_SEARCH
        + AUTHOR_PRUNE[:1],
        strict=True,
    )
)
IDS = [
    "article-containers",
    "overall-blocks",
    "overall-hidden",
    "infinite-scroll",
    "share-buttons",
    "comments",
    "named-author",
    "author-by-name",
    "author-anywhere",
    "author-prune",
]

# the tags the expressions name, and others (trafilatura's converted names included)
TAGS = ["div", "item", "list", "p", "section", "span", "aside", "details", "ol", "ul", "a", "h2"]
TAGS += ["article", "main", "address", "link", "strong", "h3", "h4", "author"]
# each alternative of the expressions' tests, look-alikes that must not match, and
# values where a test's anchor or case decides
VALUES = [
    *("", "x", "cookie-notice", "Cookie", "share", "shared-box", "xshare", "Share-this"),
    *("social", "newsletter", "sidebar", "bread-crumb", "breadcrumb", "button", "author"),
    *("jp-relatedposts", "dpsp-content", "footer", "Footer", "nav", "Nav", "menu", "related"),
    *("message-container", "premium", "ad-slot", "x ad-slot", "head-ad-x", " ad ", "bad"),
    *("bard", "navbar", "subnav", "ZendeskForm", "post-nav", "dfpAd", "dfpad", "outbrain"),
    *("paid-content", "paidcontent", "widget", "byline", "Byline", "share-", "embed", "meta"),
    *("elated", "next-story", "top-stories", "most-popular", "timestamp", "-icon", "yin"),
    *("reply-to", "the reply-", "comments-title", "comments-title x", "hidden", "x hidden"),
    *("hide-me", "-hide-", "noprint", "notloaded", "message", "akismet", "reader-comments"),
    *("display:none", "display: none", "color:red;display:none", "display:block"),
    *("Comment", "comment-list", "Commentary", "commentary-box", "comol", "disqus_thread"),
    *("dsq-comments", "article-comments", "post-comments", "x comments"),
    *("infinite-scroll", "infinitescroll", "mvp-post-add-box", "mvp-post-add-wrap"),
    *("elementor-share-buttons", "elementor-share", "MostPopularStories", "navigation"),
    *("NAV", "Navigation", "true", "false", "teaser", "caption", "post", "entry", "posts"),
    *("articleBody", "articleContent", "entry-content", "art-content", "article__content"),
    *("article-body", "article__body", "articlebody", "body-text", "post_text", "post-body"),
    *("postentry", "post-content", "postContent", "post_inner_wrapper", "article-text"),
    *("articleText", "page-content", "ArticleContent", "article__container", "xpost-text"),
    *("me", "author name", "author-name", "authorname", "AuthorName", "authorName", "Author"),
    *("the-author", "AuthorCard", "AuthorURL", "authorURL", "username", "byl", "BBL", "bbl"),
    *("zuozhe", "bianji", "xiaobian", "channel-name", "submitted-by", "posted-by", "writer"),
    *("journalist-name", "screenname", "x byline", "Bylines", "comments", "x comments-list"),
    *("commentlist", "title", "date", "is-hidden", "quote", "embedly-instagram", "print"),
    *("article-share", "article-support", "article-other", "category", "meta-date"),
    *("meta-reviewer", "ProductReviews", "Figure", "xFigurex", "figure", "sidebar-x"),
]
ATTRIBUTES = ["id", "class", "style", "role", "data-component", "aria-hidden", "itemprop"]
ATTRIBUTES += ["rel", "data-testid"]
# values for attributes in pairs, where which one comes first decides
ORDERED = ["", "x", "cookie-notice", "reply-to", "hidden", "share", "comments-title"]


def _look_alikes() -> etree._Element:
    """A page of every tag with every value in every attribute, twice among siblings,
    and in pairs of either order (``@id|@class`` reads whichever comes first), some
    holding a headline (the infinite-scroll test), with comments between them."""
    body = etree.Element("body")
    for tag in TAGS:
        for attribute, value in itertools.product(ATTRIBUTES, VALUES):
            group = etree.SubElement(body, "div")
            etree.SubElement(group, tag, {attribute: value}).text = "text"
            # a second like it: an expression's [1] keeps only the first of siblings
            etree.SubElement(group, tag, {attribute: value}).text = "text again"
        etree.SubElement(body, tag, {"data-lp-replacement-content": ""})
        for first, second in itertools.permutations(("id", "class", "style"), 2):
            for one, other in itertools.product(ORDERED, ORDERED):
                element = etree.SubElement(body, tag)
                element.set(first, one)
                element.set(second, other)
        for value in ("infinite-scroll", "mvp-post-add-box", "comment-list"):
            holder = etree.SubElement(body, tag, {"class": value, "id": value})
            etree.SubElement(holder, "h1").text = "A headline"
            etree.SubElement(holder, tag, {"class": "share"})  # a match inside a match
            body.append(etree.Comment("a comment between blocks"))
        # the author expression's "rel='me'": a child element <rel> whose text is "me"
        for text in ("me", "me too", ""):
            etree.SubElement(etree.SubElement(body, tag), "rel").text = text
    # the root is never a match of ".//*", and can be one of "//*"
    root = etree.Element("html", {"class": "share hidden"})
    root.append(body)
    return root


@pytest.mark.parametrize(("expression", "matcher"), PAIRS, ids=IDS)
def test_each_matcher_stands_in_for_its_expression(expression: object, matcher: object) -> None:
    """Every expression of the pinned trafilatura has its matcher: a release that
    changes one gets its XPath back (slower) and this fails until the matcher is updated."""
    assert matcher is not expression
    assert not isinstance(matcher, etree.XPath)


@pytest.mark.parametrize(("expression", "matcher"), PAIRS, ids=IDS)
def test_a_matcher_finds_what_its_expression_finds_on_look_alikes(
    expression: etree.XPath, matcher: etree.XPath
) -> None:
    tree = _look_alikes()
    expected = expression(tree)
    assert expected, "the look-alikes exercise this expression"
    assert len(expected) < sum(1 for _ in tree.iter(etree.Element)) - 2  # and its misses
    assert matcher(tree) == expected


def test_an_author_search_matcher_tests_the_root_too() -> None:
    """The author expressions search the whole document ("//*"): its root element is
    one of the candidates, where the discard expressions (".//*") start below it."""
    for expression, matcher in zip(AUTHOR_XPATHS, AUTHOR_SEARCH, strict=True):
        # a fragment's root: a <div> every one of the expressions picks
        root = etree.Element("div", {"class": "author authorName byline"})
        etree.SubElement(etree.SubElement(root, "div"), "p", {"class": "byline"})
        assert matcher(root) == expression(root)
        assert root in expression(root)
        # run on an element inside the document, the search still starts at its root
        assert matcher(root[0]) == expression(root[0])


def _real_pages() -> list[html.HtmlElement]:
    """The fixture pages as parsed (the author search sees them so), as trafilatura's
    raw prune sees them (cleaned) and as its main extractor sees them (cleaned and
    converted)."""
    options = Extractor(fast=True, comments=False, tables=True)
    trees = []
    for path in sorted(SAMPLES.glob("*.html")):
        page = parse_page(path.read_bytes(), None)
        assert page is not None
        cleaned = tree_cleaning(copy(page.tree), options)
        trees += [page.tree, cleaned, convert_tags(copy(cleaned), options)]
    return trees


@pytest.mark.parametrize(("expression", "matcher"), PAIRS, ids=IDS)
def test_a_matcher_finds_what_its_expression_finds_on_real_pages(
    expression: etree.XPath, matcher: etree.XPath
) -> None:
    for tree in _real_pages():
        assert matcher(tree) == expression(tree)


def test_the_main_extractor_gets_the_matchers_for_the_call_only() -> None:
    """Plain trafilatura elsewhere in the process (a benchmark's) stays as released."""
    released = trafilatura.main_extractor.OVERALL_DISCARD_XPATH
    with in_main_extractor():
        assert trafilatura.main_extractor.OVERALL_DISCARD_XPATH == OVERALL_DISCARD
    assert trafilatura.main_extractor.OVERALL_DISCARD_XPATH is released
    with pytest.raises(RuntimeError), in_main_extractor():
        raise RuntimeError("an extraction that fails")
    assert trafilatura.main_extractor.OVERALL_DISCARD_XPATH is released


def test_the_author_search_gets_the_matchers_for_the_call_only() -> None:
    released = trafilatura.metadata.AUTHOR_XPATHS, trafilatura.metadata.AUTHOR_DISCARD_XPATHS
    with in_author_search():
        assert trafilatura.metadata.AUTHOR_XPATHS == AUTHOR_SEARCH
        assert trafilatura.metadata.AUTHOR_DISCARD_XPATHS == AUTHOR_PRUNE
    with pytest.raises(RuntimeError), in_author_search():
        raise RuntimeError("a search that fails")
    now = trafilatura.metadata.AUTHOR_XPATHS, trafilatura.metadata.AUTHOR_DISCARD_XPATHS
    assert now[0] is released[0] and now[1] is released[1]


def test_the_author_search_finds_the_same_author_with_the_matchers() -> None:
    """trafilatura's whole author search (prune, search, the first short text) on the
    fixture pages and on bylines it must find or pass over."""
    pages = [tree for tree in _real_pages()[::3]]
    pages += [
        html.fromstring(markup)
        for markup in (
            '<html><body><div class="comments"><span class="author">Not Her</span></div>'
            '<p class="byline">By Rae Lindqvist</p></body></html>',
            '<html><body><section class="sidebar"><a rel="author">Not Him</a></section>'
            '<div id="author-box">Kit Arden</div></body></html>',
            "<html><body><author>Kit Arden</author><time>today</time></body></html>",
        )
    ]
    found = 0
    for tree in pages:
        released = trafilatura.metadata.extract_author(tree)
        with in_author_search():
            assert trafilatura.metadata.extract_author(tree) == released
        found += released is not None
    assert found >= 3


def test_one_element_is_discarded_by_name_as_the_expressions_would_pick_it() -> None:
    """The main paragraph block's test (archive/clean.py): the written tests on one
    element agree with trafilatura's expressions rewritten to test the element itself."""
    itself = [
        etree.XPath(
            x.path.strip().replace(".//*", "boolean(self::*", 1) + ")",
            namespaces={"re": REGEXP_NS},
        )
        for x in OVERALL_DISCARD_XPATH
    ]
    elements = list(_look_alikes().iter(etree.Element))
    verdicts = [discarded_by_name(element) for element in elements]
    assert verdicts == [any(test(element) for test in itself) for element in elements]
    assert any(verdicts) and not all(verdicts)


def test_an_expression_no_matcher_was_written_from_is_used_as_it_is() -> None:
    """A trafilatura release that changes an expression: its own XPath finds the elements,
    and one element is tested by the expression rewritten to test the element itself."""
    changed = etree.XPath(OVERALL_DISCARD_XPATH[0].path + " ", namespaces={"re": REGEXP_NS})
    assert matchers([changed]) == [changed]
    tree = _look_alikes()
    elements = list(tree.iter(etree.Element))
    by_itself = _element_test(changed)
    picked = set(changed(tree))
    assert [by_itself(element) for element in elements] == [e in picked for e in elements]
