"""Hostile input through the real crawler: bombs, oversized, binary, broken encodings,
deep nesting, entity expansion, slow servers, huge feeds. Each is counted by reason and
none costs the good page crawled beside it."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import TYPE_CHECKING

import pytest

from archive.settings import MAX_HTML_ELEMENTS
from crawler.demo.server import FixtureWeb

from .archive_builder import STORY, page_html
from .conftest import run_crawl

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes
BOMB_BYTES = 40 * 1024 * 1024  # decompresses to 4x the crawl's 10 MB DOWNLOAD_MAXSIZE
HUGE_FEED_ITEMS = 20_000


def _feed(links: list[str]) -> str:
    items = "".join(
        f"<item><title>t</title><link>{{{{site:traps}}}}{p}</link></item>" for p in links
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


@pytest.fixture
def traps(tmp_path: Path) -> Iterator[FixtureWeb]:
    """A web of traps, generated (bombs are not worth committing), beside one good page."""
    site = tmp_path / "web" / "traps"
    (site / "good").mkdir(parents=True)
    (site / "good" / "index.html").write_bytes(page_html("The good page", STORY))
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "gzip-bomb.bin").write_bytes(gzip.compress(b" " * BOMB_BYTES, compresslevel=9))
    (site / "deflate-bomb.bin").write_bytes(zlib.compress(b"<p>" * (BOMB_BYTES // 3), 9))
    (site / "oversized.bin").write_bytes(b"<html><body>" + b"<p>big</p>" * 1_200_000)
    nested = "<div>" * 5000 + "".join(f"<p>{p}</p>" for p in STORY) + "</div>" * 5000
    (site / "nested.html").write_text(f"<html><body>{nested}</body></html>")
    mixed = page_html("Mixed encodings", STORY).replace(
        b"Cornish", "Corn\xe9sh caf\xe9 \xff\xfe".encode("latin-1")
    )
    (site / "mixed.bin").write_bytes(mixed)
    # under DOWNLOAD_MAXSIZE but over the element cap: refused before trafilatura
    flat = "".join(f"<p>{i}</p>" for i in range(MAX_HTML_ELEMENTS))
    (site / "flat.html").write_text(f"<html><body>{flat}</body></html>")
    # just under the cap: extracted, in seconds (trafilatura's quadratic passes)
    slow = "".join(f"<p>{i}</p>" for i in range(MAX_HTML_ELEMENTS - 10))
    (site / "slow-extract.html").write_text(f"<html><body>{slow}</body></html>")
    (site / "slow-extract-feed.xml").write_text(_feed(["/good/", "/slow-extract.html"]))
    bomb_sitemap = (
        '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
            for p, c in zip("abcdefg", "bcdefgh", strict=True)
        )
        + '<!ENTITY ext SYSTEM "{{site:traps}}/secret.txt">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>{{site:traps}}/good/</loc><lastmod>&h;&ext;</lastmod></url></urlset>"
    )
    (site / "bomb-sitemap.xml").write_text(bomb_sitemap)
    (site / "secret.txt").write_text("never fetched")
    links = [
        "/good/",
        "/gzip-bomb",
        "/deflate-bomb",
        "/oversized",
        "/nested.html",
        "/mixed",
        "/flat.html",
        "/binary",
        "/slow",
    ]
    (site / "feed.xml").write_text(_feed(links))
    (site / "huge-feed.xml").write_text(
        _feed([f"/good/?n={i % 3}" for i in range(HUGE_FEED_ITEMS)])
    )
    (site / "_routes.json").write_text(
        json.dumps(
            {
                "/gzip-bomb": {
                    "body_file": "gzip-bomb.bin",
                    "content_type": "text/html",
                    "headers": {"Content-Encoding": "gzip"},
                },
                "/deflate-bomb": {
                    "body_file": "deflate-bomb.bin",
                    "content_type": "text/html",
                    "headers": {"Content-Encoding": "deflate"},
                },
                "/oversized": {"body_file": "oversized.bin", "content_type": "text/html"},
                "/mixed": {"body_file": "mixed.bin", "content_type": "text/html; charset=utf-8"},
                "/binary": {"body_file": "gzip-bomb.bin", "content_type": "text/html"},
                "/slow": {"delay_ms": 6000, "body": "<html><body>late</body></html>"},
            }
        )
    )
    with FixtureWeb(tmp_path / "web") as web:
        yield web


def test_traps_are_counted_and_the_good_page_is_kept(traps: FixtureWeb, tmp_path: Path) -> None:
    stats, db = run_crawl(
        tmp_path / "t.db",
        "--feed",
        traps.url("traps", "/feed.xml"),
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        "-s",
        "RETRY_TIMES=0",
    )
    feeds = stats["feeds"]
    assert feeds["finish_reason"] == "finished"
    assert feeds["reprint/skipped/too_large"] == 3  # gzip and deflate bombs, oversized
    assert feeds["reprint/errors/timeout"] == 1  # the slow server
    assert feeds["reprint/not_html"] >= 1  # binary labelled text/html
    assert feeds["reprint/skipped/too_many_elements"] == 1
    failures = db.execute("SELECT url, reason FROM page_failures").fetchall()
    assert failures == [(traps.url("traps", "/flat.html"), "too_many_elements")]
    titles = {r["title"] for r in db.query("SELECT title FROM pages")}
    assert {"The good page", "Mixed encodings"} <= titles
    mixed = db.execute("SELECT text FROM pages WHERE title = 'Mixed encodings'").fetchone()[0]
    assert "Glasshouse Bay" in mixed  # broken bytes cost only themselves
    # over DOWNLOAD_MAXSIZE without compression: cancelled, counted, not stored
    assert not db.execute("SELECT 1 FROM pages WHERE url LIKE '%/oversized'").fetchone()
    # deeply nested HTML neither crashes the extractor nor the crawl
    assert feeds.get("reprint/errors/extractor_crashed", 0) == 0


def test_a_page_past_the_extraction_deadline_is_recorded_and_costs_only_itself(
    traps: FixtureWeb, tmp_path: Path
) -> None:
    stats, db = run_crawl(
        tmp_path / "x.db",
        "--feed",
        traps.url("traps", "/slow-extract-feed.xml"),
        "-s",
        # the good page waits for a worker while the slow one holds the other (it is
        # retried alone when its worker is killed): 3 s leaves it room on a busy machine
        "REPRINT_EXTRACT_TIMEOUT=3",
    )
    feeds = {k: v for k, v in stats["feeds"].items() if k.startswith(("reprint/", "item"))}
    assert feeds["reprint/errors/extract_timeout"] == 1, feeds
    assert [r["title"] for r in db.query("SELECT title FROM pages")] == ["The good page"], feeds
    failures = db.execute("SELECT url, reason, detail FROM page_failures").fetchall()
    assert [(url, reason) for url, reason, _ in failures] == [
        (traps.url("traps", "/slow-extract.html"), "extract_timeout")
    ]
    assert "still extracting after 3 s" in failures[0][2]
    # a failed page is not archived: the next crawl asks for it again
    assert not db.execute("SELECT 1 FROM pages WHERE url LIKE '%slow-extract%'").fetchone()


def test_sitemap_entity_expansion_neither_expands_nor_fetches(
    traps: FixtureWeb, tmp_path: Path
) -> None:
    stats, db = run_crawl(  # the sitemap gives nothing: a dead source
        tmp_path / "s.db", "--sitemap", traps.url("traps", "/bomb-sitemap.xml"), expect_exit=5
    )
    assert stats["sitemaps"]["finish_reason"] == "finished"
    assert ("traps", "/secret.txt") not in traps.requests
    assert db["pages"].count <= 1


def test_huge_feed(traps: FixtureWeb, tmp_path: Path) -> None:
    stats, db = run_crawl(tmp_path / "h.db", "--feed", traps.url("traps", "/huge-feed.xml"))
    feeds = stats["feeds"]
    assert feeds["reprint/feeds/entries"] == 3  # 20k items, 3 distinct URLs (deduplicated)
    # three URLs of one text: three pages, one article
    assert (db["pages"].count, db["articles"].count) == (3, 1)
