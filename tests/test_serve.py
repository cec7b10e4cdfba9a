"""`reprint serve` and plain `datasette archive.db`: real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner
from markupsafe import escape

from archive.db import open_archive
from crawler.cli import cli
from crawler.demo import demo_manifest

from .archive_builder import build_archive
from .conftest import DemoArchive
from .servers import get, get_json, plain_datasette, reprint_serve

if TYPE_CHECKING:
    from pathlib import Path

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.slow
def test_reprint_serve_serves_the_archive_read_only(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    with reprint_serve(db_path) as url:
        meta = get_json(f"{url}-/metadata.json")
        assert meta["databases"]["archive"]["title"] == "reprint archive"
        # read-only: datasette refuses writing SQL, and nothing changed
        status, _type, _body = get(f"{url}archive.json?sql={quote('delete from articles')}")
        assert status == 400
    db = open_archive(db_path, readonly=True)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    db.close()


def test_metadata_names_the_queries_and_hides_internal_tables(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    meta, tables = _requests(db_path, ["/-/metadata.json", "/archive.json"])
    assert set(meta.json()["databases"]["archive"]["queries"]) == {
        "most_copied",
        "new_since_yesterday",
        "copies_of_article",
        "search_with_snippet",
    }
    by_name = {t["name"]: t for t in tables.json()["tables"]}
    assert by_name["articles"]["fts_table"] == "articles_fts"
    assert by_name["raw"]["hidden"] and by_name["article_changes"]["hidden"]


def test_table_search_and_catalog_facets(tmp_path: Path) -> None:
    # FTS through datasette's own search (table) and the catalog view (metadata)
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    hits, catalog = _requests(
        db_path,
        [
            "/archive/articles.json?_search=lighthouse&_shape=array&_col=title",
            "/archive/catalog.json?_search=vance&_facet=month",
        ],
    )
    assert [h["title"] for h in hits.json()] == [
        "Lighthouse keeper documentary to premiere in June"
    ]
    data = catalog.json()
    assert [r[data["columns"].index("month")] for r in data["rows"]] == ["2025-04"]
    assert {"site", "language", "author", "month"} <= set(data["facet_results"])


def test_canned_queries(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)
    copies, top, found, new = _requests(
        db_path,
        [
            f"/archive/copies_of_article.json?article_id={built.glasshouse}&_shape=array",
            "/archive/most_copied.json?_shape=array",
            f"/archive/search_with_snippet.json?q={quote('cornish coast')}&_shape=array",
            "/archive/new_since_yesterday.json?_shape=array",
        ],
    )
    assert [(c["site"], c["original"]) for c in copies.json()] == [
        ("tidings.example", 1),
        ("syndicator.example", 0),
        ("dailyreel.example", 0),
    ]
    assert [(t["id"], t["copies"]) for t in top.json()] == [(built.glasshouse, 3), (built.tour, 2)]
    best = found.json()[0]
    assert best["id"] == built.glasshouse and "\x02Cornish\x03" in best["snippet"]
    assert len(new.json()) == 3


def test_story_text_and_search_hits_render_as_html(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)
    story, results = _requests(
        db_path,
        [f"/archive/articles/{built.lighthouse}", "/archive/search_with_snippet?q=cornish"],
    )
    assert story.status_code == 200
    assert '<div class="reprint-text"><p>A documentary' in story.text
    assert '<mark class="reprint-hit">Cornish</mark>' in results.text


def test_feed_and_charts_are_served(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    feed, charts = _requests(db_path, ["/-/reprint/feed.atom", "/-/reprint/stats"])
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert len(ET.fromstring(feed.content).findall(f"{ATOM}entry")) == 3
    assert charts.status_code == 200
    assert "<svg" in charts.text and "Syndication fan-out" in charts.text


@pytest.mark.slow
def test_plain_datasette_finds_fts_metadata_and_feed(tmp_path: Path) -> None:
    """`datasette news.db` as is: the plugin (entry point) brings reprint's metadata, and
    serves the archive as `archive` whatever its file is called."""
    db_path = tmp_path / "news.db"
    build_archive(db_path)
    with plain_datasette(str(db_path), sock=tmp_path / "d.sock") as client:
        hits = client.get(
            "/archive/articles.json", params={"_search": "tour", "_shape": "array"}
        ).json()
        assert [h["title"] for h in hits] == ["Marisol Vance adds eleven tour dates"]
        queries = client.get("/archive.json").json()["queries"]
        assert "search_with_snippet" in {q["name"] for q in queries}
        feed = client.get("/-/reprint/feed.atom")
        assert feed.status_code == 200
        assert len(ET.fromstring(feed.content).findall(f"{ATOM}entry")) == 3
        # the serving limits hold without reprint's own server, too
        assert client.get("/-/reprint/feed.atom?limit=-1").status_code == 400
        blob = "select length(randomblob(999999999)) + length(randomblob(999999999))"
        assert client.get("/archive.json", params={"sql": blob}).status_code == 400
        assert str(tmp_path) not in client.get("/-/databases.json").text
        assert client.get("/archive/no_such_table").status_code == 404
        home = client.get("/").text  # the stories, not a list of tables
        assert "Marisol Vance adds eleven tour dates" in home and "Most copied" in home


def test_serve_refuses_a_missing_archive(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 3 and "archive not found" in result.output


# --- the served archive under hostile requests (datasette's in-process client) ---


def _requests(db_path: Path, paths: list[str]) -> list[httpx.Response]:
    """GET each path from a Datasette serving ``db_path`` (the plugin as `reprint serve`
    and `datasette archive.db` load it), in process."""
    from archive.web.server import build_datasette

    async def run() -> list[httpx.Response]:
        ds = build_datasette(db_path)
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    return asyncio.run(run())


def test_served_feed_limit_is_parsed_strictly_and_capped(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    bad, zero, word, spaced, huge, digits, two = _requests(
        db_path,
        [
            "/-/reprint/feed.atom?limit=-1",  # meant "no limit" to the export code
            "/-/reprint/feed.atom?limit=0",
            "/-/reprint/feed.atom?limit=abc",
            "/-/reprint/feed.atom?limit=+1_0",
            f"/-/reprint/feed.atom?limit={10**9}",
            "/-/reprint/feed.atom?limit=" + "9" * 5000,  # past int()'s digit limit
            "/-/reprint/feed.atom?limit=2",
        ],
    )
    for refused in (bad, zero, word, spaced):
        assert refused.status_code == 400 and len(refused.content) < 200
    for clamped in (huge, digits):
        assert clamped.status_code == 200
        assert len(ET.fromstring(clamped.content).findall(f"{ATOM}entry")) == 3
    assert len(ET.fromstring(two.content).findall(f"{ATOM}entry")) == 2

    # the parser itself: clamped to the cap, strict about the rest
    from archive.web import parse_feed_limit

    assert parse_feed_limit(str(10**9), 50, 1000) == 1000
    assert parse_feed_limit("9" * 5000, 50, 1000) == 1000
    assert [parse_feed_limit(v, 50, 1000) for v in (None, "", "0007", "1000")] == [50, 50, 7, 1000]
    assert {parse_feed_limit(v, 50, 1000) for v in ("-1", "0", "000", "1.5", "١٢", " 3")} == {None}


def test_served_sql_cannot_build_huge_values(tmp_path: Path) -> None:
    from archive.settings import SERVE_SQL_MAX_TEXT_BYTES
    from archive.web.server import build_datasette

    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    sql = "select length(randomblob(999999999)) + length(randomblob(999999999))"
    big, fine = _requests(
        db_path,
        [
            f"/archive.json?sql={quote(sql)}",
            f"/archive.json?sql={quote('select length(randomblob(1000)) as n')}&_shape=array",
        ],
    )
    assert big.status_code == 400 and len(big.content) < 1000
    assert "too big" in big.json()["error"]
    assert fine.status_code == 200 and fine.json() == [{"n": 1000}]

    # the SQL text limit (longer than any URL an HTTP client sends): on datasette's
    # connections, statements past it fail
    long_sql = "select " + "+".join(["1"] * SERVE_SQL_MAX_TEXT_BYTES)

    def run_long(conn: sqlite3.Connection) -> str:
        try:
            conn.execute(long_sql)
        except sqlite3.DataError as exc:
            return str(exc)
        return "ran"

    async def on_connection() -> str:
        archive = build_datasette(db_path).get_database("archive")
        result: str = await archive.execute_fn(run_long)
        return result

    # Python's sqlite3 checks the connection's limit before SQLite parses anything
    assert asyncio.run(on_connection()) == "query string is too large"


def test_served_errors_print_no_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    page, data, no_db = _requests(
        db_path, ["/archive/no_such_table", "/archive/no_such_table.json", "/nope.json"]
    )
    assert page.status_code == 404 and len(page.content) < 200
    assert data.status_code == 404 and data.json()["ok"] is False
    assert no_db.status_code == 404
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and len(out + err) < 200


def test_served_databases_list_hides_file_paths(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    data, page = _requests(db_path, ["/-/databases.json", "/-/databases"])
    assert data.status_code == 200 and [d["name"] for d in data.json()] == ["archive"]
    assert page.status_code == 200
    for body in (data.text, page.text):
        assert str(tmp_path) not in body and "archive.db" not in body


@pytest.mark.slow
def test_served_archive_reads_like_a_news_site(demo_archive: DemoArchive) -> None:
    """Home page, story page with its copies, ranked FTS5 search, internal tables hidden:
    on the archive `reprint demo` builds (file demo.db, served as `archive`)."""
    manifest = demo_manifest()
    story = manifest["stories"]["lantern-house-s2-release-date"]
    db = open_archive(demo_archive.path, readonly=True)
    (story_id,) = db.execute("SELECT id FROM articles WHERE title = ?", [story["title"]]).fetchone()
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    home, listing, page, search, table_search, prefix, catalog = _requests(
        demo_archive.path,
        [
            "/",
            "/archive.json",
            f"/archive/articles/{story_id}",
            "/archive/search_with_snippet?q=" + quote('"season 2" NOT interview'),
            "/archive/articles.json?_shape=array&_col=title&_search="
            + quote('"season 2" NOT interview'),
            "/archive/search_with_snippet?q=seas*",
            "/archive/catalog",
        ],
    )
    assert "Most copied" in home.text and "Newest" in home.text
    assert f'href="/archive/articles/{story_id}"' in home.text
    assert 'action="/archive/search_with_snippet"' in home.text

    assert f'<a href="/archive/articles/{story_id}">' in catalog.text  # a view's rows link

    shown = {t["name"] for t in listing.json()["tables"] if not t["hidden"]}
    # the stories, their pages, and the crawl's records; the rest is internal
    assert shown == {"articles", "pages", "crawls", "sources", "page_failures"}
    assert shown < tables

    assert f'<h1 class="reprint-headline">{escape(story["title"])}' in page.text
    assert story["author"] in page.text and story["published"][:10] in page.text
    assert page.text.count('<li class="reprint-copy') == len(story["copies"])
    assert page.text.count("reprint-representative") == 1
    for site, path in story["copies"].items():
        assert f"http://{site}.example{path}" in page.text
    assert escape(story["first_sentence"]) in page.text

    # raw FTS5 syntax in both search boxes; the ranked one highlights its matches
    assert search.status_code == 200
    assert '<mark class="reprint-hit">season</mark>' in prefix.text.lower()
    titles = [r["title"] for r in table_search.json()]
    assert titles and all(f">{escape(t)}</a>" in search.text for t in titles)
    assert story["title"] not in titles  # it mentions interviews: NOT worked
