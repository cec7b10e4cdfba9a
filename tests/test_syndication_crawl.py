"""Feeds and sitemaps as the web really serves them, through real crawls of a local server:
every broken document a named stat, every usable kind of sitemap followed."""

from __future__ import annotations

import gzip
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from .conftest import http_server, run_crawl

if TYPE_CHECKING:
    import http.server
    from collections.abc import Iterator
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes
CUT_NAMES = [f"cut-{n:02d}" for n in range(30)]
STORIES = {"from-rss", "from-text", "big", *CUT_NAMES}


def _urlset(base: str, names: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}/story/{name}</loc></url>" for name in names)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def _article(name: str) -> bytes:
    words = " ".join(["word"] * 80)
    return f"<html><head><title>{name}</title></head><body><p>{words}</p></body></html>".encode()


def _documents(base: str) -> dict[str, tuple[str, bytes]]:
    """Path -> (content type, body) of a site whose sitemap index lists every kind."""
    cut = gzip.compress(_urlset(base, CUT_NAMES))
    # over the 10 MiB page cap, under the 50 MB sitemap cap: comments pad it
    padding = b"<!--" + b"x" * 1020 + b"-->"
    big = _urlset(base, ["big"]).replace(b"</urlset>", padding * 11 * 1024 + b"</urlset>")
    children = ["bad.xml.gz", "cut.xml.gz", "feed.xml", "list.txt", "big.xml", "empty.xml.gz"]
    index = "".join(f"<sitemap><loc>{base}/{child}</loc></sitemap>" for child in children)
    return {
        "/robots.txt": ("text/plain", b"User-agent: *\nSite-map: /index.xml\n"),
        "/index.xml": ("application/xml", f"<sitemapindex>{index}</sitemapindex>".encode()),
        "/bad.xml.gz": ("application/gzip", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4),
        "/cut.xml.gz": ("application/gzip", cut[: len(cut) * 3 // 4]),
        "/empty.xml.gz": ("application/gzip", gzip.compress(b"")),
        "/feed.xml": (
            "application/rss+xml",
            f'<rss version="2.0"><channel><item><link>{base}/story/from-rss</link>'
            "</item></channel></rss>".encode(),
        ),
        "/list.txt": ("text/plain", f"{base}/story/from-text\n".encode()),
        "/big.xml": ("application/xml", big),
    }


def _serve(request: http.server.BaseHTTPRequestHandler, base_holder: list[str]) -> None:
    path = request.path
    documents = _documents(base_holder[0])
    if path in documents:
        content_type, body = documents[path]
    elif path.startswith("/story/") and path.rsplit("/", 1)[1] in STORIES:
        content_type, body = "text/html; charset=utf-8", _article(path.rsplit("/", 1)[1])
    else:
        request.send_response(404)
        request.end_headers()
        return
    request.send_response(200)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


@contextmanager
def _site() -> Iterator[str]:
    base: list[str] = []
    with http_server(lambda request: _serve(request, base)) as url:
        base.append(url)
        yield url


def test_every_kind_of_sitemap_is_read_and_every_broken_one_named(tmp_path: Path) -> None:
    with _site() as base:
        stats, _db = run_crawl(tmp_path / "s.db", "--sitemap", f"{base}/robots.txt")
    sitemaps = stats["sitemaps"]
    assert sitemaps["reprint/sitemaps/corrupted_gzip"] == 1  # bad.xml.gz
    assert sitemaps["reprint/sitemaps/invalid"] == 1  # empty.xml.gz: "empty body"
    assert sitemaps["reprint/sitemaps/sitemapindex"] == 1
    assert sitemaps["reprint/sitemaps/rss"] == 1
    assert sitemaps["reprint/sitemaps/text"] == 1
    assert sitemaps["reprint/sitemaps/recovered"] == 1  # the cut-off gzip
    assert sitemaps["reprint/sitemaps/urlset"] == 2  # cut.xml.gz and the 11 MiB big.xml
    fetched = sitemaps["reprint/pages_fetched"]
    # from-rss, from-text, big and the whole URLs of the cut-off sitemap: none partial
    assert fetched >= 4
    assert "reprint/errors/http_404" not in sitemaps  # no "/story/cut-" fragment requested


def _homepage_site(pages: dict[str, tuple[int, str, bytes]]) -> Iterator[str]:
    """Serve ``pages`` (path -> status, content type, body; "{base}" in a body becomes the
    server's URL) and a small article at every /story/ path."""

    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        if request.path in pages:
            status, content_type, body = pages[request.path]
        elif request.path.startswith("/story/"):
            status, content_type, body = 200, "text/html", _article(request.path)
        else:
            status, content_type, body = 404, "text/html", b"<h1>Not found</h1>"
        body = body.replace(b"{base}", base[0].encode())
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    base: list[str] = []
    with http_server(handle) as url:
        base.append(url)
        yield url


def test_feed_and_sitemap_found_from_a_homepage(tmp_path: Path) -> None:
    homepage = (
        b'<html><head><link rel="alternate" type="application/feed+json" href="/feed.json">'
        b'<link rel="alternate" type="text/html" href="/fr/"></head><body>Home</body></html>'
    )
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Home",'
        b' "items": [{"id": "1", "url": "{base}/story/from-json", "title": "From JSON"}]}'
    )
    index = b"<sitemapindex><sitemap><loc>{base}/pages.xml</loc></sitemap></sitemapindex>"
    pages = {
        "/": (200, "text/html", homepage),
        "/feed.json": (200, "application/feed+json", json_feed),
        # no robots.txt: the sitemap spider looks at the usual places
        "/sitemap_index.xml": (200, "application/xml", index),
        "/pages.xml": (
            200,
            "application/xml",
            b"<urlset><url><loc>{base}/story/from-sitemap</loc></url></urlset>",
        ),
    }
    with contextmanager(_homepage_site)(pages) as base:
        stats, db = run_crawl(tmp_path / "h.db", "--feed", f"{base}/", "--sitemap", f"{base}/")
    feeds, sitemaps = stats["feeds"], stats["sitemaps"]
    assert feeds["reprint/feeds/discovered"] == 1
    assert feeds["reprint/feeds/json"] == 1
    assert sitemaps["reprint/sitemaps/guess_missed"] == 2  # /sitemap.xml, /news-sitemap.xml
    assert sitemaps["reprint/sitemaps/sitemapindex"] == 1
    urls = {row["url"] for row in db.query("SELECT url FROM pages")}
    assert {f"{base}/story/from-json", f"{base}/story/from-sitemap"} <= urls
    # the documents read, not the homepage (nor its robots.txt): validators kept for the
    # homepage would turn the next crawl's request into a 304 and hide the feeds it names
    sources = {row["url"] for row in db.query("SELECT url FROM sources")}
    assert {f"{base}/feed.json", f"{base}/sitemap_index.xml"} <= sources
    assert f"{base}/" not in sources
    assert f"{base}/robots.txt" not in sources
