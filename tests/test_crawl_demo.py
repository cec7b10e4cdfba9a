"""Full crawls of the demo web through the real Scrapy engine into a real SQLite file."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from archive.db import connect_readonly, open_archive
from archive.search import search
from archive.urls import normalize_url
from crawler.demo import demo_manifest

from .conftest import run_crawl

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.demo.server import FixtureWeb


pytestmark = pytest.mark.slow  # real crawls, servers or processes


def demo_args(web: FixtureWeb) -> list[str]:
    args = []
    for site, info in demo_manifest()["sites"].items():
        args += [a for p in info["feeds"] for a in ("--feed", web.url(site, p))]
        args += [a for p in info["sitemaps"] for a in ("--sitemap", web.url(site, p))]
    return args


def test_demo_crawl_stores_each_story_once_with_its_copies(
    demo_web: FixtureWeb, tmp_path: Path
) -> None:
    stats, db = run_crawl(tmp_path / "a.db", *demo_args(demo_web))
    manifest = demo_manifest()
    article_of = {
        row["url"]: row["article_id"] for row in db.query("SELECT url, article_id FROM pages")
    }
    for name, story in manifest["stories"].items():
        # every copy, the one with its last paragraph trimmed too (near-duplicate dedup)
        copies_of = [
            normalize_url(demo_web.url(site, path)) for site, path in story["copies"].items()
        ]
        assert all(url in article_of for url in copies_of), (name, copies_of)
        assert len({article_of[url] for url in copies_of}) == 1, f"{name} split across articles"
        original = normalize_url(
            demo_web.url(story["original"], story["copies"][story["original"]])
        )
        title, copies, representative = db.execute(
            "SELECT a.title, a.copies, p.url FROM articles a"
            " JOIN pages p ON p.id = a.representative_page_id WHERE a.id = ?",
            [article_of[original]],
        ).fetchone()
        assert title == story["title"]
        assert copies == len(copies_of)
        assert representative == original  # the original publisher represents the story
    # different stories on one topic (two Lantern House season 2 articles) stay apart
    release = manifest["stories"]["lantern-house-s2-release-date"]["copies"]["glossmag"]
    interview = manifest["stories"]["lantern-house-s2-cast-interview"]["copies"]["glossmag"]
    assert (
        article_of[normalize_url(demo_web.url("glossmag", release))]
        != article_of[normalize_url(demo_web.url("glossmag", interview))]
    )

    # FTS finds the story once, however many copies were crawled
    hits = search(db, '"lantern house" release')
    assert hits and hits[0].title == manifest["stories"]["lantern-house-s2-release-date"]["title"]
    assert len({h.id for h in hits}) == len(hits)

    feeds = stats["feeds"]
    assert feeds["reprint/articles_stored"] >= 1
    assert feeds["reprint/feeds/parsed"] == 3
    assert stats["sitemaps"]["reprint/sitemaps/urlset"] >= 2
    # robots.txt is obeyed: the disallowed page was never requested
    assert not [p for site, p in demo_web.requests if p.startswith("/private/")]
    sources = {r["url"]: r for r in db.query("SELECT * FROM sources")}
    feed = sources[demo_web.url("glossmag", "/feed.xml")]
    assert (feed["kind"], feed["last_status"]) == ("feed", 200)
    assert feed["etag"] and feed["last_modified"] and feed["last_crawled"]
    assert sources[demo_web.url("newshub", "/news-sitemap.xml")]["kind"] == "sitemap"
    crawls = list(db.query("SELECT spider, status FROM crawls ORDER BY spider"))
    assert crawls == [
        {"spider": "feeds", "status": "finished"},
        {"spider": "sitemaps", "status": "finished"},
    ]


def test_next_crawls_are_incremental(demo_web: FixtureWeb, tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _, db = run_crawl(path, *demo_args(demo_web))
    counts = {t: db[t].count for t in ("articles", "pages", "raw")}
    db.close()
    asked = len(demo_web.requests)

    # nothing changed: every feed and sitemap that lists pages answers 304 (a sitemap
    # index is read in full: its sitemaps change without it), no article is asked for
    stats, db = run_crawl(path, *demo_args(demo_web))
    assert {t: db[t].count for t in ("articles", "pages", "raw")} == counts
    sources = db["sources"].count
    indexes = db.execute("SELECT count(*) FROM sources WHERE etag IS NULL").fetchone()[0]
    not_modified = sum(s.get("reprint/sources/not_modified", 0) for s in stats.values())
    assert sources == 6  # 3 feeds, 3 sitemaps
    assert not_modified == sources - indexes == 5  # one sitemap is an index
    again = [p for _, p in demo_web.requests[asked:] if not p.endswith(("robots.txt", ".xml"))]
    assert again == []
    assert db["crawls"].count == 4
    db.close()

    # --refresh: sources in full, archived pages asked conditionally (all 304 here)
    stats, db = run_crawl(path, "--refresh", *demo_args(demo_web))
    assert {t: db[t].count for t in ("articles", "pages", "raw")} == counts
    assert sum(s.get("reprint/pages/not_modified", 0) for s in stats.values()) >= counts["pages"]
    assert sum(s.get("reprint/articles_stored", 0) for s in stats.values()) == 0
    fts = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'lantern'"
    assert db.execute(fts).fetchone()[0] >= 2


def test_site_spider_finds_articles_from_section_pages(
    demo_web: FixtureWeb, tmp_path: Path
) -> None:
    stats, db = run_crawl(
        tmp_path / "s.db",
        "--crawl-site",
        demo_web.url("glossmag", "/tv/"),
        "-s",
        "REPRINT_SITE_DEPTH=2",
    )  # /tv/page/2/ holds one story
    site = stats["site"]
    assert site["reprint/site/hubs"] >= 1
    urls = {row["url"] for row in db.query("SELECT url FROM pages")}
    for story in demo_manifest()["stories"].values():
        path = story["copies"].get("glossmag", "")
        if path.startswith("/tv/"):
            assert normalize_url(demo_web.url("glossmag", path)) in urls
    assert not any("/tv/page/" in u or u.endswith("/tv/") for u in urls)  # hubs are not stored


def test_the_archive_file_alone_holds_a_crawl_a_reader_watched(
    demo_web: FixtureWeb, tmp_path: Path
) -> None:
    """A reader open through the crawl (datasette, a search) made the crawl's writer not
    the last connection to close, so its pages stayed in the -wal file and a copy of the
    archive file alone (a backup) held none of them. The writer folds the -wal in."""
    path = tmp_path / "a.db"
    open_archive(path).close()
    reader = connect_readonly(path)
    reader.execute("SELECT count(*) FROM pages").fetchone()  # holds the -shm open
    try:
        _, db = run_crawl(path, *demo_args(demo_web))
        counts = {t: db[t].count for t in ("articles", "pages", "raw", "crawls")}
        db.close()
    finally:
        reader.close()
    assert counts["pages"] > 0
    copy = tmp_path / "backup.db"
    shutil.copyfile(path, copy)  # the archive file, not its -wal
    alone = open_archive(copy, readonly=True)
    assert {t: alone[t].count for t in counts} == counts
    assert {s for (s,) in alone.execute("SELECT status FROM crawls")} == {"finished"}
    alone.close()
