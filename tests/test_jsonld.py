"""One JSON-LD reading (archive/jsonld.py) for the metadata reader and the site spider's
page kind: in every shape publishers print it, an article for one is an article for the
other (a live blog was an article for metadata but a hub for the site spider)."""

from __future__ import annotations

import json
from typing import Any

import lxml.html
import pytest
from scrapy.http import HtmlResponse

from archive.jsonld import as_list, json_ld_objects, resolve
from archive.metadata import read_metadata
from crawler.pagekind import is_article_page

HEADLINE = "Live: the Saltmere Folk Festival, day two"
LIVE_BLOG = {"@type": "LiveBlogPosting", "headline": HEADLINE}
# a URL and a page that say nothing about their kind but in JSON-LD
URL = "https://tidings.example/live"

SHAPES: dict[str, list[str]] = {
    "one object": [json.dumps(LIVE_BLOG)],
    "a list": [json.dumps([{"@type": "Organization", "name": "Tidings"}, LIVE_BLOG])],
    "a type list": [json.dumps({**LIVE_BLOG, "@type": ["LiveBlogPosting", "Thing"]})],
    "an @graph": [json.dumps({"@graph": [{"@type": "WebSite", "name": "Tidings"}, LIVE_BLOG]})],
    "a WebPage's mainEntity": [json.dumps({"@type": "WebPage", "mainEntity": LIVE_BLOG})],
    "after a broken block": ['{"@type": "NewsArticle", ', json.dumps(LIVE_BLOG)],
    # a raw line break inside a string: not strict JSON, as browsers read it anyway
    "with a control character": [json.dumps(LIVE_BLOG).replace("day two", "day\ntwo")],
}


def _page(blocks: list[str]) -> bytes:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return f"<html><head>{scripts}</head><body><p>Updates follow.</p></body></html>".encode()


@pytest.mark.parametrize("blocks", SHAPES.values(), ids=SHAPES.keys())
def test_a_live_blog_is_an_article_for_metadata_and_for_the_site_spider(
    blocks: list[str],
) -> None:
    body = _page(blocks)
    md = read_metadata(lxml.html.fromstring(body), URL)
    assert (md.title, md.sources["title"]) == (HEADLINE, "json-ld")
    assert is_article_page(HtmlResponse(URL, body=body, encoding="utf-8"))


def test_a_page_without_an_article_object_is_neither() -> None:
    body = _page([json.dumps({"@type": "WebPage", "name": "Live"}), "not json"])
    assert "title" not in read_metadata(lxml.html.fromstring(body), URL).sources
    assert not is_article_page(HtmlResponse(URL, body=body, encoding="utf-8"))


def test_objects_come_in_document_order_and_references_resolve() -> None:
    person = {"@type": "Person", "@id": "#rae", "name": "Rae Lindqvist"}
    graph = {"@graph": [person, {**LIVE_BLOG, "author": [{"@id": "#rae"}, {"@id": "#gone"}]}]}
    objects = json_ld_objects([json.dumps(graph), "", json.dumps([1, "x", None])])
    assert [o.get("@type") for o in objects] == [None, "Person", "LiveBlogPosting"]
    authors: Any = resolve(objects[2]["author"], objects)
    assert authors == [person, {"@id": "#gone"}]  # an unknown reference stays as written
    assert as_list(None) == [] and as_list("a") == ["a"] and as_list(["a"]) == ["a"]
