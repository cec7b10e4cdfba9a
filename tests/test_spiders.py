"""Spiders and middlewares on hand-built responses (no network, no engine)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from archive.sources import SourceFetch
from crawler.cli import cli
from crawler.feedparse import parse_feed
from crawler.middlewares import retry_after_seconds
from crawler.netguard import PrivateAddressGuardMiddleware
from crawler.pagekind import is_article_page
from crawler.run import crawl_settings
from crawler.signals import source_fetched
from crawler.sources import Source
from crawler.spiders.base import REQUESTS_PER_RUN, SOURCE_META, parse_off_reactor
from crawler.spiders.feeds import FeedsSpider
from crawler.spiders.site import SiteSpider
from crawler.spiders.sitemaps import SitemapsSpider

FEED = b"""<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>T</title>
<item><title>Star joins drama</title><link>https://pub.example/tv/star-joins-drama</link>
<pubDate>Tue, 14 May 2024 18:30:00 GMT</pubDate><dc:creator>Ada Brook</dc:creator></item>
<item><title>No link</title></item>
</channel></rss>"""

NEWS_SITEMAP = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://pub.example/new</loc><news:news><news:publication><news:name>Pub</news:name>
<news:language>en</news:language></news:publication>
<news:publication_date>2025-05-02T10:00:00+00:00</news:publication_date>
<news:title>New story</news:title></news:news></url>
<url><loc>https://pub.example/old</loc><lastmod>2020-01-01</lastmod></url>
</urlset>"""


def _collect(requests: AsyncIterator[Request]) -> list[Request]:
    """What a feed or sitemap callback (an async generator) yields."""

    async def collect() -> list[Request]:
        return [request async for request in requests]

    return asyncio.run(collect())


def make_spider(cls: type, **kwargs: object) -> object:
    # reactorless: these tests call spider methods directly, no engine runs
    settings = {**dict(crawl_settings()), "TWISTED_REACTOR_ENABLED": False}
    crawler = get_crawler(cls, settings_dict=settings)
    spider = cls.from_crawler(crawler, **kwargs)
    crawler.spider = spider
    crawler.stats.open_spider()
    return spider


def test_feed_entries_become_requests_with_hints() -> None:
    spider = make_spider(FeedsSpider, sources=[Source("t", "feed", "https://pub.example/rss")])
    response = XmlResponse(
        "https://pub.example/rss", body=FEED, request=Request("https://pub.example/rss")
    )
    requests = _collect(spider.parse_feed(response, source="t"))
    assert [r.url for r in requests] == ["https://pub.example/tv/star-joins-drama"]
    hints = requests[0].cb_kwargs["hints"]
    assert hints["title"] == "Star joins drama"
    assert hints["author"] == "Ada Brook"
    assert hints["published"] == "2024-05-14T18:30:00+00:00"
    assert spider.crawler.stats.get_value("reprint/feeds/entries") == 1


def test_a_long_feed_lets_the_reactor_run_while_it_is_read() -> None:
    # parsed in a thread, its requests handed over in runs: other callbacks run meanwhile
    # (a 2,500-entry feed once held the reactor 400 ms)
    spider = make_spider(FeedsSpider, sources=[Source("t", "feed", "https://pub.example/rss")])
    items = "".join(
        f"<item><title>Story {n}</title><link>https://pub.example/tv/{n}</link></item>"
        for n in range(1000)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Pub</title>{items}'
    response = XmlResponse(
        "https://pub.example/rss",
        body=(body + "</channel></rss>").encode(),
        request=Request("https://pub.example/rss"),
    )

    async def read_beside_a_ticker() -> tuple[int, int]:
        ticks, reading = 0, True

        async def ticker() -> None:
            nonlocal ticks
            while reading:
                ticks += 1
                await asyncio.sleep(0)

        beside = asyncio.ensure_future(ticker())
        requests = [request async for request in spider.parse_feed(response, source="t")]
        reading = False
        await beside
        return len(requests), ticks

    requests, ticks = asyncio.run(read_beside_a_ticker())
    assert requests == 1000
    assert ticks >= 1000 // REQUESTS_PER_RUN


def test_feeds_are_parsed_one_at_a_time_on_the_parsing_thread() -> None:
    # several large feeds parsed at once kept the reactor from the GIL for up to 260 ms
    items = "".join(
        f"<item><title>Story {n}</title><link>https://pub.example/tv/{n}</link></item>"
        for n in range(300)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()
    running, most, threads = 0, 0, set()
    lock = threading.Lock()

    def parse_and_record(url: str) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.current_thread().name)
        try:
            return len(parse_feed(body, url, "application/rss+xml").entries)
        finally:
            with lock:
                running -= 1

    async def parse_four() -> list[int]:
        return await asyncio.gather(
            *(parse_off_reactor(parse_and_record, f"https://pub{n}.example/rss") for n in range(4))
        )

    assert asyncio.run(parse_four()) == [300] * 4
    assert most == 1
    assert len(threads) == 1 and threads.pop().startswith("reprint-parse")


def test_invalid_feed_is_counted_not_raised() -> None:
    spider = make_spider(FeedsSpider, sources=[])
    response = HtmlResponse(
        "https://pub.example/rss",
        body=b"<html><body>Oops</body></html>",
        request=Request("https://pub.example/rss"),
    )
    assert _collect(spider.parse_feed(response, source="t")) == []
    assert spider.crawler.stats.get_value("reprint/feeds/invalid") == 1


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (None, ["https://pub.example/new", "https://pub.example/old"]),
        ("2025-01-01", ["https://pub.example/new"]),
        ("2025-05-02T11:00:00+00:00", []),
    ],
)
def test_news_sitemap_since_filter(since: str | None, expected: list[str]) -> None:
    spider = make_spider(SitemapsSpider, sources=[], since=since)
    spider.since = (
        None
        if since is None
        else datetime.fromisoformat(since).replace(
            tzinfo=datetime.fromisoformat(since).tzinfo or UTC
        )
    )
    response = XmlResponse(
        "https://pub.example/news.xml",
        body=NEWS_SITEMAP,
        request=Request("https://pub.example/news.xml"),
    )
    requests = _collect(spider.parse_sitemap(response, source="s", depth=0))
    assert [r.url for r in requests] == expected
    if expected:
        assert requests[0].cb_kwargs["hints"]["title"] == "New story"


def test_sitemap_gzip_bomb_is_refused() -> None:
    import gzip

    spider = make_spider(SitemapsSpider, sources=[])
    spider.since = None
    # past the 50 MB a sitemap may have (sitemaps.org), in 60 KB of gzip
    bomb = gzip.compress(b"<urlset>" + b" " * (51 * 1024 * 1024) + b"</urlset>", 1)
    response = Response(
        "https://pub.example/s.xml.gz", body=bomb, request=Request("https://pub.example/s.xml.gz")
    )
    assert _collect(spider.parse_sitemap(response, source="s", depth=0)) == []
    assert spider.crawler.stats.get_value("reprint/sitemaps/too_large") == 1


def _html(url: str, head: str = "", paragraphs: int = 3) -> HtmlResponse:
    words = " ".join(["word"] * 30)
    body = f"<html><head>{head}</head><body>{f'<p>{words}</p>' * paragraphs}</body></html>"
    return HtmlResponse(url, body=body.encode(), encoding="utf-8")


@pytest.mark.parametrize("ld_type", ["NewsArticle", "LiveBlogPosting", "ReviewNewsArticle"])
def test_the_site_spider_takes_as_articles_what_extraction_does(ld_type: str) -> None:
    # one list of JSON-LD article types (archive.jsonld.ARTICLE_TYPES): a live blog was
    # an article for extraction but a hub for the site spider, which then never stored it
    head = f'<script type="application/ld+json">{{"@type": "{ld_type}"}}</script>'
    assert is_article_page(_html("https://p.example/live", head, paragraphs=0))


def test_page_kind() -> None:
    assert is_article_page(
        _html("https://p.example/x", '<meta property="og:type" content="article">')
    )
    assert is_article_page(_html("https://p.example/tv/star-joins-the-cast-of-drama/"))
    assert not is_article_page(_html("https://p.example/tv/"))
    assert not is_article_page(_html("https://p.example/tag/star-joins-the-cast/"))
    assert not is_article_page(
        _html("https://p.example/tv/star-joins-the-cast-of-drama/", paragraphs=0)
    )
    assert not is_article_page(
        _html("https://p.example/x", '<meta property="og:type" content="website">')
    )


def test_retry_after_values() -> None:
    now = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Thu, 01 May 2025 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Thu, 01 May 2025 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "ftp://ftp.pub.example/pub/story.html",
        "data:text/html,<p>a story</p>",
        "s3://pub-bucket/story.html",
        "http:///story.html",  # no host
    ],
)
def test_guard_refuses_all_but_http_with_a_host(url: str) -> None:
    spider = make_spider(SitemapsSpider, sources=[])
    crawler = spider.crawler
    guard = build_from_crawler(PrivateAddressGuardMiddleware, crawler)
    request = Request(url, errback=spider.on_error)
    with pytest.raises(IgnoreRequest, match=r"^not an http\(s\) URL") as refused:
        asyncio.run(guard.process_request(request))
    failure = Failure(refused.value)
    failure.request = request  # as the engine sets it for an errback
    spider.on_error(failure)
    assert crawler.stats.get_value("reprint/skipped/not_http_url") == 1
    scheme = url.split(":", 1)[0]
    if scheme != "http":  # and no download handler would fetch it had it got through
        assert crawler.settings.getdict("DOWNLOAD_HANDLERS")[scheme] is None
    # a public http(s) URL still passes (an address: a name would be resolved first)
    assert asyncio.run(guard.process_request(Request("https://93.184.216.34/story.html"))) is None


def test_robots_sitemaps_must_be_http() -> None:
    spider = make_spider(SitemapsSpider, sources=[])
    robots = (
        b"User-agent: *\nSitemap: file:///etc/hostname\nSitemap: ftp://pub.example/s.xml\n"
        b"Sitemap: /news-sitemap.xml\n"
    )
    url = "https://pub.example/robots.txt"
    response = TextResponse(url, body=robots, request=Request(url))
    requests = list(spider.parse_robots(response, source="s", depth=0))
    assert [r.url for r in requests] == ["https://pub.example/news-sitemap.xml"]
    assert spider.crawler.stats.get_value("reprint/skipped/not_http_url") == 2


def test_site_follows_only_http_links_of_its_host() -> None:
    spider = make_spider(SiteSpider, sources=[])
    spider.max_depth, spider.max_pages = 3, 10
    spider.scheduled, spider.seen = {}, set()
    spider.link_extractor = LinkExtractor()
    url = "https://pub.example/news/"
    links = ["/news/a-story", "ftp://pub.example/news/b-story", "file:///etc/hostname"]
    body = "".join(f'<a href="{link}">story</a>' for link in links).encode()
    response = HtmlResponse(url, body=body, request=Request(url))
    requests = [
        r for r in spider.parse_page(response, source="s", depth=0) if isinstance(r, Request)
    ]
    assert [r.url for r in requests] == ["https://pub.example/news/a-story"]


def _reported(spider: object) -> list[SourceFetch]:
    fetches: list[SourceFetch] = []
    # weak=False: the receiver is a lambda nothing else holds
    spider.crawler.signals.connect(
        lambda fetch: fetches.append(fetch), signal=source_fetched, weak=False
    )
    return fetches


def _source_response(url: str, body: bytes, kind: str, cls: type = Response) -> Response:
    request = Request(url, meta={SOURCE_META: Source("s", kind, url)})
    return cls(url, body=body, request=request)


def test_unusable_sources_report_their_problem() -> None:
    sitemaps = make_spider(SitemapsSpider, sources=[])
    sitemaps.since = None
    sitemap_fetches = _reported(sitemaps)
    url = "https://pub.example/news.xml.gz"
    response = _source_response(url, b"\x1f\x8b\x08\x00" + bytes(range(256)), "sitemap")
    assert _collect(sitemaps.parse_sitemap(response, source="s", depth=0)) == []
    assert sitemaps.crawler.stats.get_value("reprint/sitemaps/corrupted_gzip") == 1
    assert [f.problem.split(" (")[0] for f in sitemap_fetches] == ["corrupted gzip"]
    assert sitemap_fetches[0].url == url

    feeds = make_spider(FeedsSpider, sources=[])
    feed_fetches = _reported(feeds)
    page = b"<html><head><title>Home</title></head><body>No feed here</body></html>"
    response = _source_response("https://pub.example/", page, "feed", HtmlResponse)
    assert _collect(feeds.parse_feed(response, source="s")) == []
    assert [f.problem for f in feed_fetches] == ["not a feed: a page naming no feed"]


def test_feed_discovery_follows_at_most_its_cap() -> None:
    spider = make_spider(FeedsSpider, sources=[])
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/feed/{n}.xml">' for n in range(40)
    )
    page = f"<html><head>{links}</head><body>Home</body></html>".encode()
    response = _source_response("https://pub.example/", page, "feed", HtmlResponse)

    requests = _collect(spider.parse_feed(response, source="s"))

    cap = spider.settings.getint("REPRINT_FEED_DISCOVERY_MAX")
    assert [r.url for r in requests] == [f"https://pub.example/feed/{n}.xml" for n in range(cap)]
    assert spider.crawler.stats.get_value("reprint/feeds/discovered_over_cap") == 40 - cap


def test_every_kind_of_source_names_the_spider_that_declares_it() -> None:
    # the one registry (crawler.sources.SOURCE_KINDS): sources.toml, `reprint crawl`'s
    # options and the runner read it; a spider registered under another kind would
    # silently crawl nothing
    from crawler.run import spider_for
    from crawler.sources import SOURCE_KINDS

    for kind in SOURCE_KINDS:
        assert spider_for(kind.name).source_kind == kind.name
    options = {p.opts[0] for p in cli.commands["crawl"].params}  # type: ignore[attr-defined]
    assert {kind.option for kind in SOURCE_KINDS} <= options
