"""trafilatura's discard expressions evaluated in Python (archive/discards.py): each
matcher finds exactly the elements its expression finds, in the same order, on
look-alikes of every test the expression makes and on real pages."""

from __future__ import annotations

import itertools
from copy import copy
from pathlib import Path

import pytest
import trafilatura.main_extractor
from lxml import etree, html
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.settings import Extractor
from trafilatura.xpaths import (
    BODY_XPATH,
    OVERALL_DISCARD_XPATH,
    RAW_TREE_PRUNE_XPATH,
    REGEXP_NS,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
)

from archive.discards import (
    ARTICLE_CONTAINERS,
    COMMENT_SECTIONS,
    OVERALL_DISCARD,
    RAW_TREE_PRUNE,
    _element_test,
    discarded_by_name,
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
        + REMOVE_COMMENTS_AND_LISTS_XPATH,
        ARTICLE_CONTAINERS[:1] + OVERALL_DISCARD + RAW_TREE_PRUNE + COMMENT_SECTIONS,
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
]

# the tags the expressions name, and others (trafilatura's converted names included)
TAGS = ["div", "item", "list", "p", "section", "span", "aside", "details", "ol", "ul", "a", "h2"]
TAGS += ["article", "main"]
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
]
ATTRIBUTES = ["id", "class", "style", "role", "data-component", "aria-hidden", "itemprop"]
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
    root = etree.Element("html", {"class": "share hidden"})  # the root is never a match
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


def _cleaned_pages() -> list[html.HtmlElement]:
    """The fixture pages as trafilatura's main extractor sees them (cleaned and
    converted) and as its raw prune sees them (cleaned only)."""
    options = Extractor(fast=True, comments=False, tables=True)
    trees = []
    for path in sorted(SAMPLES.glob("*.html")):
        page = parse_page(path.read_bytes(), None)
        assert page is not None
        cleaned = tree_cleaning(copy(page.tree), options)
        trees += [cleaned, convert_tags(copy(cleaned), options)]
    return trees


@pytest.mark.parametrize(("expression", "matcher"), PAIRS, ids=IDS)
def test_a_matcher_finds_what_its_expression_finds_on_real_pages(
    expression: etree.XPath, matcher: etree.XPath
) -> None:
    for tree in _cleaned_pages():
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
