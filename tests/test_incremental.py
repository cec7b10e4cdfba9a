"""Scheduled runs: incremental fetching, updated stories, one crawl per archive."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from archive.errors import ArchiveLocked
from archive.lock import crawl_lock
from crawler.demo.server import FixtureWeb

from .archive_builder import STORY, page_html
from .conftest import CRAWL_TIMEOUT_S, FAST, ROOT, SITES, run_crawl

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes


@pytest.fixture
def editable_web(tmp_path: Path) -> Iterator[tuple[FixtureWeb, Path]]:
    """A copy of tests/sites/newsroom that a test may edit between crawls."""
    root = tmp_path / "web"
    shutil.copytree(SITES / "newsroom", root / "newsroom")
    with FixtureWeb(root) as web:
        yield web, root / "newsroom"


def test_changed_story_keeps_its_earlier_text(
    editable_web: tuple[FixtureWeb, Path], tmp_path: Path
) -> None:
    web, site = editable_web
    path = tmp_path / "a.db"
    feed = web.url("newsroom", "/feed.xml")
    _, db = run_crawl(path, "--feed", feed)
    before = db.execute(
        "SELECT id, text, article_id FROM pages WHERE url LIKE '%/first/'"
    ).fetchone()
    db.close()
    page = site / "stories" / "first" / "index.html"
    page.write_text(page.read_text().replace("Salford", "Glasgow"), encoding="utf-8")

    stats, db = run_crawl(path, "--feed", feed)  # not refreshing: archived pages untouched
    assert stats["feeds"]["reprint/skipped/already_archived"] >= 3
    assert "Salford" in db.execute("SELECT text FROM pages WHERE id = ?", [before[0]]).fetchone()[0]
    db.close()

    stats, db = run_crawl(path, "--refresh", "--feed", feed)
    assert stats["feeds"]["reprint/pages_changed"] == 1
    assert stats["feeds"]["reprint/pages/not_modified"] >= 2
    text, article_id = db.execute(
        "SELECT text, article_id FROM pages WHERE id = ?", [before[0]]
    ).fetchone()
    assert "Glasgow" in text and "Salford" not in text
    versions = list(db.query("SELECT page_id, text FROM page_versions"))
    assert versions == [{"page_id": before[0], "text": before[1]}]
    # search follows the new text
    fts = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
    assert db.execute(fts, ["glasgow"]).fetchall() == [(article_id,)]
    assert db.execute(fts, ["salford"]).fetchall() == []
    assert db["pages"].count == 3


def test_second_crawl_on_a_busy_archive_exits_or_waits(
    newsroom: FixtureWeb, tmp_path: Path
) -> None:
    path = tmp_path / "a.db"
    feed = newsroom.url("newsroom", "/feed.xml")
    base = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        str(path),
        "--no-progress",
        *FAST,
        "--feed",
        feed,
    ]
    with crawl_lock(path):
        with crawl_lock(path):  # re-entrant within one process (spiders of one crawl)
            pass
        busy = subprocess.run(
            base, cwd=ROOT, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S, check=False
        )
        assert busy.returncode == 3
        assert "is being crawled by process" in busy.stderr
        waiting = subprocess.Popen(
            [*base, "--wait"],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert waiting.stderr is not None
        assert "waiting for process" in waiting.stderr.readline()
    # the lock is released: the waiting crawl goes on and finishes
    assert waiting.wait(timeout=CRAWL_TIMEOUT_S) == 0
    waiting.stderr.close()
    _, db = run_crawl(path, "--feed", feed)
    assert db["pages"].count == 3


def test_lock_is_released_by_a_killed_holder(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    code = (
        "import sys\nfrom archive.lock import crawl_lock\n"
        f"with crawl_lock({str(path)!r}):\n    print('held', flush=True)\n    sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with pytest.raises(ArchiveLocked, match=f"process {holder.pid}"), crawl_lock(path):
        pass
    holder.kill()  # SIGKILL: no cleanup runs in the holder
    holder.wait()
    holder.stdin.close()
    holder.stdout.close()
    with crawl_lock(path):  # the kernel dropped the dead holder's lock
        pass


def test_readers_work_while_a_crawl_writes(newsroom: FixtureWeb, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from archive.db import open_archive, write_transaction
    from crawler.cli import cli

    path = tmp_path / "a.db"
    run_crawl(path, "--feed", newsroom.url("newsroom", "/feed.xml"))[1].close()
    writer = open_archive(path)
    with write_transaction(writer):  # a crawl's batch holds the write lock...
        writer.execute("UPDATE pages SET fetched_at = fetched_at")
        # ...and search still answers, from the last committed state (WAL)
        result = CliRunner().invoke(cli, ["search", "copperfield", "--db", str(path), "--json"])
        assert result.exit_code == 0, result.output
        assert [hit["title"] for hit in json.loads(result.stdout)] == [
            "Copperfield Row stars say goodbye at final premiere"
        ]
    writer.close()


@pytest.mark.parametrize("source", ["/robots.txt", "/sitemap-index.xml"])
def test_an_unchanged_index_still_leads_to_its_changed_sitemaps(
    source: str, tmp_path: Path
) -> None:
    # A robots.txt or a sitemap index rarely changes while the sitemaps it names do: kept
    # validators made the next crawl get a 304 for it and never read its sitemaps again.
    site = tmp_path / "web" / "news"
    urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
    for n in (1, 2):
        (site / f"s{n}").mkdir(parents=True)
        story = [f"Story {n}, told at length. {p}" for p in STORY]
        (site / f"s{n}" / "index.html").write_bytes(page_html(f"Story {n}", story))
    (site / "robots.txt").write_text(
        "User-agent: *\nAllow: /\nSitemap: {{site:news}}/sitemap-index.xml\n"
    )
    (site / "sitemap-index.xml").write_text(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>{{site:news}}/latest.xml</loc></sitemap></sitemapindex>"
    )
    child = site / "latest.xml"
    child.write_text(urlset.format("<url><loc>{{site:news}}/s1/</loc></url>"))
    path = tmp_path / "a.db"
    with FixtureWeb(tmp_path / "web") as web:
        url = web.url("news", source)
        _, db = run_crawl(path, "--sitemap", url)
        assert db["pages"].count == 1
        db.close()
        child.write_text(
            urlset.format(
                "<url><loc>{{site:news}}/s1/</loc></url><url><loc>{{site:news}}/s2/</loc></url>"
            )
        )
        _, db = run_crawl(path, "--sitemap", url)
        assert db["pages"].count == 2  # the new story of the changed sitemap
        assert db.execute("SELECT etag FROM sources WHERE url = ?", [url]).fetchone() == (None,)
