"""Downloader middlewares of reprint, in-process on hand-built responses."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.middlewares import MetaRefreshHeadMiddleware
from crawler.run import crawl_settings

URL = "https://tidings.example/tv/story"
ARTICLE = b"<p>" + b"Glasshouse Bay is back for a third season. " * 4000 + b"</p>"


def _middleware() -> MetaRefreshHeadMiddleware:
    # reactorless: the middleware is called directly, no engine runs
    settings = {**dict(crawl_settings()), "TWISTED_REACTOR_ENABLED": False}
    crawler = get_crawler(Spider, settings_dict=settings)
    return MetaRefreshHeadMiddleware.from_crawler(crawler)


def _response(head: str, encoding: str = "utf-8") -> HtmlResponse:
    html = f"<html><head>{head}</head><body>".encode(encoding) + ARTICLE
    return HtmlResponse(URL, body=html, encoding=encoding)


def test_the_crawl_uses_it_in_place_of_scrapys() -> None:
    middlewares = crawl_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["crawler.middlewares.MetaRefreshHeadMiddleware"] == 580


@pytest.mark.parametrize(
    "head",
    [
        '<meta http-equiv="refresh" content="0; url=https://tidings.example/amp/story">',
        '<META HTTP-EQUIV="Refresh" CONTENT="0;URL=https://tidings.example/amp/story">',
    ],
)
def test_a_meta_refresh_still_redirects(head: str) -> None:
    result = _middleware().process_response(Request(URL), _response(head))
    assert isinstance(result, Request) and result.url == "https://tidings.example/amp/story"


def test_a_utf16_page_is_checked_the_full_way() -> None:
    head = '<meta http-equiv="refresh" content="0; url=https://tidings.example/amp/story">'
    result = _middleware().process_response(Request(URL), _response(head, "utf-16"))
    # (Scrapy's own parsing appends the encoded BOM to the URL: its behaviour, kept)
    assert isinstance(result, Request)
    assert result.url.startswith("https://tidings.example/amp/story")


def test_a_page_without_refresh_passes_as_is() -> None:
    # look-alikes: the word in the text and a refresh-less meta tag
    response = _response('<meta name="description" content="A fresh start">')
    assert _middleware().process_response(Request(URL), response) is response
