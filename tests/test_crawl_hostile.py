"""Bad input through the real crawler: each case counted in stats, none crashing the
crawl, none losing the good pages beside it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from archive.db import open_archive
from archive.urls import normalize_url

from .conftest import CRAWL_TIMEOUT_S, ROOT, recording_server, run_crawl

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.demo.server import FixtureWeb


pytestmark = pytest.mark.slow  # real crawls, servers or processes


def test_feed_of_broken_pages_keeps_the_good_ones(newsroom: FixtureWeb, tmp_path: Path) -> None:
    stats, db = run_crawl(tmp_path / "h.db", "--feed", newsroom.url("newsroom", "/feed.xml"))
    feeds = stats["feeds"]
    urls = {r["url"] for r in db.query("SELECT url FROM pages")}
    assert normalize_url(newsroom.url("newsroom", "/stories/first/")) in urls  # utm_* stripped
    assert normalize_url(newsroom.url("newsroom", "/stories/second/")) in urls
    assert normalize_url(newsroom.url("newsroom", "/stories/third/")) in urls
    assert feeds["reprint/errors/http_404"] == 1
    assert feeds["reprint/errors/http_500"] == 1
    # the redirect loop ends at Scrapy's duplicate filter (loop-a -> loop-b -> loop-a)
    assert feeds["dupefilter/filtered"] >= 1
    assert not [u for u in urls if "/loop-" in u]
    assert feeds["reprint/skipped/robots_forbidden"] == 1
    assert feeds["reprint/not_html"] == 2  # binary labelled text/html, empty body
    # /moved redirects to /stories/second/: one page row, the asked URL kept beside it
    assert db["pages"].count == 3
    redirected = db.execute(
        "SELECT requested_url FROM pages WHERE url LIKE '%/stories/second/'"
    ).fetchall()
    assert {
        r[0].rsplit("/", 2)[-2] if r[0].endswith("/") else r[0].rsplit("/", 1)[-1]
        for r in redirected
    } <= {"second", "moved"}


def test_latin1_page_without_charset_is_decoded(newsroom: FixtureWeb, tmp_path: Path) -> None:
    _, db = run_crawl(tmp_path / "l.db", "--feed", newsroom.url("newsroom", "/feed.xml"))
    text, title = db.execute(
        "SELECT text, title FROM pages WHERE url LIKE '%/stories/third/'"
    ).fetchone()
    assert title.startswith("Café society")
    assert "maître d'" in text and "façade" in text and "\ufffd" not in text


def test_malformed_feed_is_recovered(newsroom: FixtureWeb, tmp_path: Path) -> None:
    stats, db = run_crawl(
        tmp_path / "m.db", "--feed", newsroom.url("newsroom", "/malformed-feed.xml")
    )
    assert stats["feeds"]["reprint/feeds/recovered"] == 1
    assert db["pages"].count >= 1


def test_entity_bomb_feed_neither_expands_nor_fetches(newsroom: FixtureWeb, tmp_path: Path) -> None:
    stats, db = run_crawl(
        tmp_path / "b.db", "--feed", newsroom.url("newsroom", "/bomb-feed.xml"), expect_exit=5
    )  # the feed gives nothing: a dead source
    assert ("newsroom", "/xxe-secret.txt") not in newsroom.requests
    assert "top secret" not in " ".join(r["text"] or "" for r in db.query("SELECT text FROM pages"))
    assert stats["feeds"]["finish_reason"] == "finished"


def test_news_sitemap_since_filter_and_index_loop(newsroom: FixtureWeb, tmp_path: Path) -> None:
    stats, db = run_crawl(
        tmp_path / "n.db",
        "--sitemap",
        newsroom.url("newsroom", "/sitemap-loop.xml"),
        "--since",
        "2025-01-01",
    )
    sitemaps = stats["sitemaps"]
    assert sitemaps["reprint/sitemaps/older_than_since"] == 1
    assert not [p for _, p in newsroom.requests if p == "/stories/old/"]
    assert db["pages"].count == 2
    # the news sitemap's publication date reaches the page when the page has its own
    published = db.execute(
        "SELECT published FROM pages WHERE url LIKE '%/stories/first/'"
    ).fetchone()[0]
    assert published == "2025-05-01T09:00:00+01:00"


def test_robots_txt_cannot_make_the_crawl_read_local_files(
    secret_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    recorder, hits = secret_server  # the <loc> of a local sitemap, on an allowed host
    local_sitemap = tmp_path / "local-sitemap.xml"
    local_sitemap.write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{recorder}/named-in-a-local-file</loc></url></urlset>"
    )
    robots = (
        f"User-agent: *\nAllow: /\nSitemap: {local_sitemap.as_uri()}\n"
        "Sitemap: file:///dev/zero\n"  # would be read until memory runs out
    ).encode()
    with recording_server(lambda path: robots) as (site, site_hits):
        stats, _ = run_crawl(tmp_path / "f.db", "--sitemap", f"{site}/robots.txt")
    sitemaps = stats["sitemaps"]
    assert hits == []
    assert sitemaps["reprint/skipped/not_http_url"] == 2
    assert sitemaps["finish_reason"] == "finished"
    assert not [k for k in sitemaps if k.startswith("reprint/errors/")]
    assert set(site_hits) == {"/robots.txt"}


def test_unreachable_source_exits_with_nothing_fetched(tmp_path: Path) -> None:
    # a socket bound but not listening: its port refuses connections, and stays ours
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/feed.xml"
        stats, db = run_crawl(
            tmp_path / "u.db", "--feed", url, "-s", "RETRY_TIMES=0", expect_exit=4
        )
    assert stats["feeds"]["reprint/errors/connection_refused"] == 1
    source = db.execute("SELECT kind, last_status FROM sources WHERE url = ?", [url]).fetchone()
    assert source == ("feed", 0)  # the failure is recorded against the source


def test_429_waits_for_retry_after_then_gives_up(newsroom: FixtureWeb, tmp_path: Path) -> None:
    stats, db = run_crawl(
        tmp_path / "r.db",
        "--feed",
        newsroom.url("newsroom", "/busy-feed.xml"),
        "-s",
        "RETRY_TIMES=1",
    )
    feeds = stats["feeds"]
    assert feeds["reprint/retry_after/waited"] == 2  # the first answer and the retry's
    assert feeds["retry/count"] == 1
    assert feeds["reprint/errors/http_429"] == 1
    assert [p for _, p in newsroom.requests].count("/busy") == 2
    assert db["pages"].count == 1  # the other page of the feed is stored


def test_scrapy_crawl_command_works_from_the_project_root(
    newsroom: FixtureWeb, tmp_path: Path
) -> None:
    db_path = tmp_path / "s.db"
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "feeds",
        "-a",
        f"url={newsroom.url('newsroom', '/feed.xml')}",
        "-s",
        f"ARCHIVE_PATH={db_path}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "LOG_LEVEL=WARNING",
        "-s",
        "REPRINT_ALLOW_HOSTS=127.0.0.1",
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S, check=False
    )
    assert proc.returncode == 0, proc.stderr
    db = open_archive(db_path, readonly=True)
    assert db["pages"].count == 3
    assert db.execute("SELECT spider, status FROM crawls").fetchall() == [("feeds", "finished")]


def test_loopback_is_refused_unless_allowed(newsroom: FixtureWeb, tmp_path: Path) -> None:
    feed = newsroom.url("newsroom", "/feed.xml")
    cmd = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        str(tmp_path / "g.db"),
        "--no-progress",
        "--stats-json",
        str(tmp_path / "g.json"),
        "--feed",
        feed,
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S, check=False
    )
    assert proc.returncode == 4, proc.stderr  # nothing could be fetched
    stats = json.loads((tmp_path / "g.json").read_text())["feeds"]
    assert stats["reprint/skipped/private_address"] == 1
    assert newsroom.requests == []  # not even robots.txt was asked for


def test_public_name_resolving_to_loopback_is_refused() -> None:
    from crawler.netpolicy import blocked_reason, is_public_ip

    assert blocked_reason("127.0.0.1", ()) is not None
    assert blocked_reason("localhost", ()) is not None
    assert blocked_reason("169.254.169.254", ()) is not None  # cloud metadata
    assert blocked_reason("10.1.2.3", ()) is not None
    assert blocked_reason("[::1]", ()) is not None
    assert blocked_reason("127.0.0.1", ("127.0.0.1",)) is None
    assert blocked_reason("news.example.com", ()) is None  # names: checked at resolution
    assert is_public_ip("93.184.216.34") and not is_public_ip("::ffff:127.0.0.1")


def test_resolver_refuses_names_of_private_addresses() -> None:
    from crawler.netguard import BlockedAddress, PublicOnlyResolver

    resolver = PublicOnlyResolver(None, 0, 1.0)  # type: ignore[arg-type]  # no lookups made
    assert resolver._check("93.184.216.34", "news.example.com") == "93.184.216.34"
    with pytest.raises(BlockedAddress, match=r"intranet\.example: resolves to 192\.168\.1\.10"):
        resolver._check("192.168.1.10", "intranet.example")
    resolver.allowed = frozenset({"intranet.example"})
    assert resolver._check("192.168.1.10", "intranet.example") == "192.168.1.10"
