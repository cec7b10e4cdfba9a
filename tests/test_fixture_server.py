"""The fixture web server, and the demo web it serves agreeing with its manifest."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest

from crawler.demo.server import (
    DEMO_WEB_ROOT,
    BadRoutes,
    FixtureWeb,
    NotStarted,
    UnknownSite,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

SITES_ROOT = Path(__file__).parent / "sites"
HOSTILE = SITES_ROOT / "hostile"
MANIFEST = json.loads((DEMO_WEB_ROOT / "stories.json").read_text(encoding="utf-8"))
DEMO_SITES = ("dailyfeed", "glossmag", "newshub")
#: Budget for the embedded demo web: it ships inside the wheel.
DEMO_WEB_MAX_BYTES = 200_000
#: The brief for the original outlet's articles.
ARTICLE_WORDS = (350, 700)
ARTICLE_PARAGRAPHS = (6, 12)
#: The hostile /slow route's delay_ms.
SLOW_ROUTE_S = 0.3
RSS_NS = {"dc": "http://purl.org/dc/elements/1.1/"}
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}
SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # surface 3xx to the test instead of following it


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Fetched:
    """Fetch without following redirects; error statuses are returned, not raised."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _OPENER.open(request) as response:
            return Fetched(response.status, dict(response.headers.items()), response.read())
    except HTTPError as err:
        with err:  # HTTPError holds the open response; close it (filterwarnings=error)
            return Fetched(err.code, dict(err.headers.items()), err.read())


def port_of(base: str) -> int:
    port = urlsplit(base).port
    assert port is not None
    return port


@pytest.fixture(scope="module")
def demo() -> Iterator[FixtureWeb]:
    with FixtureWeb(DEMO_WEB_ROOT) as web:
        yield web


@pytest.fixture(scope="module")
def hostile() -> Iterator[FixtureWeb]:
    with FixtureWeb(SITES_ROOT, sites=["hostile"]) as web:
        yield web


# ---------------------------------------------------------------- lifecycle and API


def test_every_subdirectory_is_a_site_on_its_own_port(demo: FixtureWeb) -> None:
    assert demo.sites == DEMO_SITES
    ports = [port_of(base) for base in demo.bases.values()]
    assert all(port > 0 for port in ports)
    assert len(set(ports)) == len(DEMO_SITES)
    assert all(base.startswith("http://127.0.0.1:") for base in demo.bases.values())


def test_url_joins_base_and_path(demo: FixtureWeb) -> None:
    assert demo.url("glossmag", "/tv/") == demo.bases["glossmag"] + "/tv/"
    assert demo.url("newshub") == demo.bases["newshub"] + "/"
    with pytest.raises(UnknownSite, match="nosuchsite"):
        demo.url("nosuchsite")
    with pytest.raises(ValueError, match="must start with '/'"):
        demo.url("glossmag", "tv/")


def test_ports_are_unknown_before_start() -> None:
    web = FixtureWeb(DEMO_WEB_ROOT, sites=["glossmag"])
    with pytest.raises(NotStarted):
        _ = web.bases
    web.stop()  # stopping a never-started web is harmless


def test_unknown_site_directory_is_refused() -> None:
    with pytest.raises(UnknownSite, match="nosuchsite"):
        FixtureWeb(DEMO_WEB_ROOT, sites=["nosuchsite"])


def test_served_as_soon_as_start_returns() -> None:
    web = FixtureWeb(DEMO_WEB_ROOT, sites=["glossmag"]).start()
    try:
        assert fetch(web.url("glossmag", "/robots.txt")).status == 200
    finally:
        web.stop()


def test_stop_frees_the_ports() -> None:
    web = FixtureWeb(DEMO_WEB_ROOT).start()
    ports = [port_of(base) for base in web.bases.values()]
    web.stop()
    web.stop()  # idempotent
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port)).close()
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))


def test_requests_are_recorded_with_site_and_path(demo: FixtureWeb) -> None:
    fetch(demo.url("dailyfeed", "/robots.txt"))
    fetch(demo.url("glossmag", "/tv/?page=1"))
    assert ("dailyfeed", "/robots.txt") in demo.requests
    assert ("glossmag", "/tv/?page=1") in demo.requests


@pytest.mark.slow
def test_concurrent_requests_are_all_recorded() -> None:
    paths = [f"/about/?n={n}" for n in range(20)]
    with FixtureWeb(DEMO_WEB_ROOT, sites=["glossmag"]) as web:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda p: fetch(web.url("glossmag", p)).status, paths))
        assert statuses == [200] * len(paths)
        assert sorted(web.requests) == sorted(("glossmag", p) for p in paths)


def test_server_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    with FixtureWeb(SITES_ROOT, sites=["hostile"]) as web:
        for path in ("/", "/missing", "/server-error", "/no-such-page"):
            fetch(web.url("hostile", path))
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


# ---------------------------------------------------------------- static files


def test_article_page_is_utf8_html_with_real_ports(demo: FixtureWeb) -> None:
    path = MANIFEST["stories"]["lantern-house-s2-release-date"]["copies"]["glossmag"]
    page = fetch(demo.url("glossmag", path))
    assert page.status == 200
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert "{{site:" not in page.text
    canonical = f'<link rel="canonical" href="{demo.url("glossmag", path)}">'
    assert canonical in page.text
    assert "it’s sooner than you think" in page.text


def test_cross_site_placeholders_carry_the_other_sites_port(demo: FixtureWeb) -> None:
    story = MANIFEST["stories"]["lantern-house-s2-release-date"]
    copy = fetch(demo.url("dailyfeed", story["copies"]["dailyfeed"])).text
    original = demo.url("glossmag", story["copies"]["glossmag"])
    assert f'<link rel="canonical" href="{original}">' in copy


def test_unknown_site_placeholder_points_nowhere(hostile: FixtureWeb) -> None:
    page = fetch(hostile.url("hostile", "/")).text
    assert 'href="http://nowhere.invalid/"' in page


@pytest.mark.parametrize(
    ("site", "path", "content_type"),
    [
        ("glossmag", "/feed.xml", "application/xml"),
        ("glossmag", "/robots.txt", "text/plain; charset=utf-8"),
        ("glossmag", "/images/logo.png", "image/png"),
        ("dailyfeed", "/atom.xml", "application/xml"),
        ("newshub", "/rss.xml", "application/xml"),
    ],
)
def test_content_type_follows_the_extension(
    demo: FixtureWeb, site: str, path: str, content_type: str
) -> None:
    assert fetch(demo.url(site, path)).header("Content-Type") == content_type


def test_binary_files_are_served_byte_for_byte(demo: FixtureWeb, hostile: FixtureWeb) -> None:
    logo = fetch(demo.url("glossmag", "/images/logo.png"))
    assert logo.body == (DEMO_WEB_ROOT / "glossmag/images/logo.png").read_bytes()
    notes = fetch(hostile.url("hostile", "/notes.txt.gz"))
    assert notes.header("Content-Type") == "application/gzip"
    assert notes.header("Content-Encoding") is None
    assert notes.body == (HOSTILE / "notes.txt.gz").read_bytes()


def test_feed_links_carry_the_real_port(demo: FixtureWeb) -> None:
    feed = ET.fromstring(fetch(demo.url("glossmag", "/feed.xml")).body)
    items = feed.findall("channel/item")
    assert len(items) == 6
    for item in items:
        assert item.findtext("link", "").startswith(demo.bases["glossmag"] + "/")
        assert item.findtext("dc:creator", namespaces=RSS_NS)


def test_directory_path_serves_its_index(demo: FixtureWeb) -> None:
    hub = fetch(demo.url("glossmag", "/tv/"))
    assert hub.status == 200
    assert hub.body == fetch(demo.url("glossmag", "/tv/index.html")).body


def test_directory_without_trailing_slash_redirects(demo: FixtureWeb) -> None:
    moved = fetch(demo.url("glossmag", "/tv"))
    assert moved.status == 301
    assert moved.header("Location") == "/tv/"


def test_query_string_does_not_change_the_file(demo: FixtureWeb) -> None:
    path = MANIFEST["stories"]["marisol-keane-tidewater-tour"]["copies"]["dailyfeed"]
    tracked = fetch(demo.url("dailyfeed", path + "?utm_source=atom&utm_medium=feed"))
    assert tracked.status == 200
    assert tracked.body == fetch(demo.url("dailyfeed", path)).body


@pytest.mark.parametrize(
    "path",
    ["/no-such-page/", "/_routes.json", "/../stories.json", "/%2e%2e/stories.json", "/.hidden"],
)
def test_missing_hidden_and_outside_files_are_404(demo: FixtureWeb, path: str) -> None:
    missing = fetch(demo.url("newshub", path))
    assert missing.status == 404
    assert missing.header("Content-Type") == "text/html; charset=utf-8"
    assert b"<h1>404 Not Found</h1>" in missing.body


def test_etag_is_the_sha1_of_the_rendered_body_and_answers_304(demo: FixtureWeb) -> None:
    url = demo.url("glossmag", "/feed.xml")
    first = fetch(url)
    etag = first.header("ETag")
    assert etag == '"' + hashlib.sha1(first.body).hexdigest() + '"'
    again = fetch(url, headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.header("ETag") == etag
    stale = fetch(url, headers={"If-None-Match": '"not-the-etag"'})
    assert stale.status == 200
    assert stale.body == first.body


def test_last_modified_answers_304(demo: FixtureWeb) -> None:
    url = demo.url("glossmag", "/about/")
    first = fetch(url)
    last_modified = first.header("Last-Modified")
    assert last_modified is not None
    mtime = (DEMO_WEB_ROOT / "glossmag/about/index.html").stat().st_mtime
    assert email.utils.parsedate_to_datetime(last_modified).timestamp() == int(mtime)
    assert fetch(url, headers={"If-Modified-Since": last_modified}).status == 304
    long_ago = email.utils.formatdate(0, usegmt=True)
    assert fetch(url, headers={"If-Modified-Since": long_ago}).status == 200
    assert fetch(url, headers={"If-Modified-Since": "not a date"}).status == 200


def test_head_sends_get_headers_without_body(demo: FixtureWeb) -> None:
    url = demo.url("glossmag", "/")
    got = fetch(url)
    head = fetch(url, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.header("Content-Length") == str(len(got.body))
    assert head.header("ETag") == got.header("ETag")
    assert head.header("Content-Type") == got.header("Content-Type")


# ---------------------------------------------------------------- routes


def test_redirect_route_location_is_templated(demo: FixtureWeb) -> None:
    (source, target), *_ = MANIFEST["redirects"]["newshub"].items()
    moved = fetch(demo.url("newshub", source))
    assert moved.status == 301
    assert moved.header("Location") == demo.url("newshub", target)


def test_gzip_route_over_a_static_file(demo: FixtureWeb) -> None:
    sitemap = fetch(demo.url("newshub", "/news-sitemap.xml"))
    assert sitemap.header("Content-Encoding") == "gzip"
    assert sitemap.header("Content-Type") == "application/xml"
    xml = gzip.decompress(sitemap.body)
    assert demo.bases["newshub"].encode() in xml
    etag = sitemap.header("ETag")
    assert etag == '"' + hashlib.sha1(xml).hexdigest() + '"'
    assert (
        fetch(demo.url("newshub", "/news-sitemap.xml"), headers={"If-None-Match": etag}).status
        == 304
    )


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [("/loop-a", 302, "/loop-b"), ("/loop-b", 302, "/loop-a"), ("/moved", 301, "/article/")],
)
def test_hostile_redirects(hostile: FixtureWeb, path: str, status: int, location: str) -> None:
    moved = fetch(hostile.url("hostile", path))
    assert moved.status == status
    assert moved.header("Location") == hostile.url("hostile", location)


def test_redirect_loop_never_settles(hostile: FixtureWeb) -> None:
    # urllib's own redirect handler gives up on loops; the server keeps bouncing.
    with pytest.raises(HTTPError, match="infinite loop") as raised:
        urllib.request.urlopen(hostile.url("hostile", "/loop-a"))
    raised.value.close()


@pytest.mark.parametrize(
    ("path", "status", "retry_after"),
    [
        ("/server-error", 500, None),
        ("/missing", 404, None),
        ("/rate-limited", 429, "1"),
        ("/unavailable", 503, "1"),
    ],
)
def test_hostile_error_statuses(
    hostile: FixtureWeb, path: str, status: int, retry_after: str | None
) -> None:
    answer = fetch(hostile.url("hostile", path))
    assert answer.status == status
    assert answer.header("Retry-After") == retry_after
    assert answer.header("ETag") is None  # validators only on 200s
    assert answer.body.startswith(b"<!DOCTYPE html>")


def test_custom_404_body(hostile: FixtureWeb) -> None:
    assert b"Story removed" in fetch(hostile.url("hostile", "/missing")).body


def test_binary_body_labelled_html(hostile: FixtureWeb) -> None:
    answer = fetch(hostile.url("hostile", "/binary-as-html"))
    assert answer.status == 200
    assert answer.header("Content-Type") == "text/html"
    assert answer.body == (HOSTILE / "binary.bin").read_bytes()


def test_latin1_page_without_charset(hostile: FixtureWeb) -> None:
    answer = fetch(hostile.url("hostile", "/latin1"))
    assert answer.header("Content-Type") == "text/html"
    assert "Naïve café".encode("latin-1") in answer.body
    with pytest.raises(UnicodeDecodeError):
        answer.body.decode("utf-8")


def test_empty_200(hostile: FixtureWeb) -> None:
    answer = fetch(hostile.url("hostile", "/empty"))
    assert answer.status == 200
    assert answer.body == b""
    assert answer.header("Content-Length") == "0"


def test_gzip_encoded_route_body(hostile: FixtureWeb) -> None:
    answer = fetch(hostile.url("hostile", "/gzipped"))
    assert answer.header("Content-Encoding") == "gzip"
    assert b"Sent with Content-Encoding: gzip." in gzip.decompress(answer.body)


def test_delay_route_is_slow(hostile: FixtureWeb) -> None:
    started = time.monotonic()
    answer = fetch(hostile.url("hostile", "/slow"))
    assert answer.status == 200
    assert time.monotonic() - started >= SLOW_ROUTE_S


def test_bad_routes_file_names_the_route(tmp_path: Path) -> None:
    site = tmp_path / "broken"
    site.mkdir()
    (site / "_routes.json").write_text(json.dumps({"/x": {"staus": 500}}), encoding="utf-8")
    with pytest.raises(BadRoutes, match=r"route '/x'.*staus"):
        FixtureWeb(tmp_path)


@pytest.mark.slow
def test_runs_as_a_module() -> None:
    command = [sys.executable, "-m", "crawler.demo.server", str(SITES_ROOT)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            name, base = proc.stdout.readline().split()
            assert name == "hostile"
            # The URL is printed only after the socket is bound, so no waiting is needed.
            assert fetch(base + "robots.txt").status == 200
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:  # never leave a server behind a failed assertion
                proc.kill()


# ---------------------------------------------------------------- the demo web and its manifest


class _Container(HTMLParser):
    """Collects the text inside the first <div> with a given class: all of it, and per <p>."""

    VOID = frozenset({"img", "br", "input", "hr", "meta", "link"})

    def __init__(self, container_class: str) -> None:
        super().__init__()
        self.container_class = container_class
        self.depth = 0
        self.done = False
        self.in_p = False
        self.text = ""
        self.paragraphs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID or self.done:
            return
        if self.depth:
            self.depth += 1
        elif tag == "div" and dict(attrs).get("class") == self.container_class:
            self.depth = 1
        if self.depth and tag == "p":
            self.in_p = True
            self.paragraphs.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            self.done = self.depth == 0
            self.in_p = self.in_p and tag != "p"

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text += data
        if self.in_p:
            self.paragraphs[-1] += data


#: The <div> holding the article text in each site's template.
BODY_CLASS = {"glossmag": "article-body", "dailyfeed": "caas-body", "newshub": "article-body"}


def article_body(html: str, site: str) -> _Container:
    parser = _Container(BODY_CLASS[site])
    parser.feed(html)
    assert parser.done, f"no complete {BODY_CLASS[site]} in page"
    return parser


def as_served(text: str, variant: dict[str, object]) -> str:
    """The original's text as a copy with this manifest variant shows it."""
    if variant.get("straight_quotes"):
        return re.sub("[‘’]", "'", re.sub("[“”]", '"', text))
    return text


def test_demo_web_is_small() -> None:
    size = sum(p.stat().st_size for p in DEMO_WEB_ROOT.rglob("*") if p.is_file())
    assert size < DEMO_WEB_MAX_BYTES


def test_every_manifest_url_is_served(demo: FixtureWeb) -> None:
    urls = [
        (site, path) for s in MANIFEST["stories"].values() for site, path in s["copies"].items()
    ]
    urls += [(site, path) for site, paths in MANIFEST["not_articles"].items() for path in paths]
    for site, path in urls:
        assert fetch(demo.url(site, path)).status == 200, (site, path)


def test_originals_are_full_articles(demo: FixtureWeb) -> None:
    originals = [s for s in MANIFEST["stories"].values() if s["original"] == "glossmag"]
    assert len(originals) == 6
    for story in originals:
        html = fetch(demo.url("glossmag", story["copies"]["glossmag"])).text
        body = article_body(html, "glossmag").paragraphs
        words = sum(len(p.split()) for p in body)
        assert ARTICLE_WORDS[0] <= words <= ARTICLE_WORDS[1], story["title"]
        assert ARTICLE_PARAGRAPHS[0] <= len(body) <= ARTICLE_PARAGRAPHS[1], story["title"]
        assert words == story["word_count"]
        assert '<html lang="en-GB">' in html
        assert '<meta property="og:site_name" content="Glossmag">' in html
        assert '"@type": "NewsArticle"' in html


def test_copies_carry_the_original_text(demo: FixtureWeb) -> None:
    for key, story in MANIFEST["stories"].items():
        for site, path in story["copies"].items():
            variant = story["variants"][site]
            body = article_body(fetch(demo.url(site, path)).text, site).text
            assert as_served(story["first_sentence"], variant) in body, (key, site)
            has_ending = as_served(story["last_paragraph"], variant) in body
            assert has_ending != bool(variant.get("trimmed_ending")), (key, site)


def test_syndicated_copies_canonical_as_the_manifest_says(demo: FixtureWeb) -> None:
    seen = set()
    for key, story in MANIFEST["stories"].items():
        for site, path in story["copies"].items():
            target = story["variants"][site]["canonical"]
            expected = demo.url(
                site if target == "self" else target,
                story["copies"][target] if target != "self" else path,
            )
            html = fetch(demo.url(site, path)).text
            assert f'<link rel="canonical" href="{expected}">' in html, (key, site)
            seen.add((site, target))
    assert {("dailyfeed", "self"), ("dailyfeed", "glossmag")} <= seen


def test_syndicator_boilerplate_is_inside_the_article_body(demo: FixtureWeb) -> None:
    for story in MANIFEST["stories"].values():
        for site, path in story["copies"].items():
            if site == story["original"]:
                continue
            body = article_body(fetch(demo.url(site, path)).text, site).text
            for line in MANIFEST["boilerplate"][site]:
                assert line in body, (story["title"], site, line)


def test_feeds_and_sitemaps_list_the_manifest_urls(demo: FixtureWeb) -> None:
    def on(site: str) -> set[str]:
        return {
            path
            for story in MANIFEST["stories"].values()
            for s, path in story["copies"].items()
            if s == site
        }

    def paths(urls: list[str]) -> set[str]:
        return {urlsplit(u).path for u in urls}

    rss = ET.fromstring(fetch(demo.url("glossmag", "/feed.xml")).body)
    assert paths([i.findtext("link", "") for i in rss.iter("item")]) == on("glossmag")
    news = ET.fromstring(fetch(demo.url("glossmag", "/news-sitemap.xml")).body)
    assert paths([u.text or "" for u in news.iterfind("sm:url/sm:loc", SITEMAP_NS)]) == on(
        "glossmag"
    )
    assert len(news.findall("sm:url/news:news/news:publication_date", SITEMAP_NS)) == 6
    index = ET.fromstring(fetch(demo.url("glossmag", "/sitemap.xml")).body)
    assert [e.text for e in index.iterfind("sm:sitemap/sm:loc", SITEMAP_NS)] == [
        demo.url("glossmag", "/news-sitemap.xml")
    ]
    atom = ET.fromstring(fetch(demo.url("dailyfeed", "/atom.xml")).body)
    links = [e.get("href", "") for e in atom.iterfind("a:entry/a:link", ATOM_NS)]
    assert paths(links) == on("dailyfeed")
    newshub_rss = ET.fromstring(fetch(demo.url("newshub", "/rss.xml")).body)
    redirects = MANIFEST["redirects"]["newshub"]
    rss_paths = {
        redirects.get(p, p)
        for p in paths([i.findtext("link", "") for i in newshub_rss.iter("item")])
    }
    assert rss_paths == on("newshub")


def test_robots_keeps_crawlers_out_of_private_pages(demo: FixtureWeb) -> None:
    for site, paths in MANIFEST["never_fetch"].items():
        robots = RobotFileParser()
        robots.parse(fetch(demo.url(site, "/robots.txt")).text.splitlines())
        for path in paths:
            assert not robots.can_fetch("reprint", demo.url(site, path))
            assert MANIFEST["never_fetch_canary"] in fetch(demo.url(site, path)).text
        for story in MANIFEST["stories"].values():
            if site in story["copies"]:
                assert robots.can_fetch("reprint", demo.url(site, story["copies"][site]))


def test_hard_negatives_share_a_topic_but_not_a_sentence(demo: FixtureWeb) -> None:
    for first, second, _why in MANIFEST["hard_negatives"]:
        texts = []
        for key in (first, second):
            story = MANIFEST["stories"][key]
            site = story["original"]
            html = fetch(demo.url(site, story["copies"][site])).text
            texts.append(" ".join(article_body(html, site).paragraphs))
        assert "The Lantern House" in texts[0]
        assert "The Lantern House" in texts[1]
        sentences = [set(re.split(r"(?<=[.!?”])\s+", t)) for t in texts]
        assert not sentences[0] & sentences[1]


# ---------------------------------------------------------------- one port, host names


def test_a_domain_web_answers_each_site_by_host_on_one_port() -> None:
    with FixtureWeb(DEMO_WEB_ROOT, domain="example") as web:
        assert web.bases["glossmag"] == "http://glossmag.example"
        assert set(web.hosts.values()) == {f"{s}.example" for s in DEMO_SITES}
        proxy = urllib.request.ProxyHandler({"http": web.proxy_url})
        with urllib.request.build_opener(proxy).open(web.url("glossmag", "/feed.xml")) as reply:
            feed = ET.fromstring(reply.read())  # sent as a proxy request: absolute URL
        links = [item.findtext("link", "") for item in feed.iter("item")]
        assert links and all(u.startswith("http://glossmag.example/") for u in links)
        by_host = fetch(web.proxy_url + "/robots.txt", headers={"Host": "newshub.example:80"})
        assert by_host.status == 200 and b"/api/" in by_host.body
        assert fetch(web.proxy_url + "/robots.txt").status == 404  # 127.0.0.1: no such site
        assert ("newshub", "/robots.txt") in web.requests
