"""Re-extraction of stored pages (archive/reextract.py) on real SQLite archives."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from archive.clean import line_key
from archive.db import open_archive
from archive.reextract import PHASE_EXTRACT, PHASE_LEARN, reextract
from archive.sitelearn import learned_lines
from archive.urls import site_of
from crawler.demo.server import FixtureWeb
from tests.conftest import SITES, run_crawl

from .site_builder import FETCHED_AT, HOUSE_LINE, ORIGINAL, SITE, STORIES, kettle_archive

if TYPE_CHECKING:
    from pathlib import Path

    from sqlite_utils import Database


def _article_of(db: Database, url: str) -> int:
    return db.execute("SELECT article_id FROM pages WHERE url = ?", [url]).fetchone()[0]


def test_reextract_applies_learned_lines_and_dedups_again(tmp_path: Path) -> None:
    db = kettle_archive(tmp_path / "a.db")
    copy = f"https://{SITE}/syndicated/finch/"
    # near-duplicate clustering already joins the copy despite its house line...
    assert _article_of(db, copy) == _article_of(db, ORIGINAL)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
    similarity = "SELECT similarity FROM pages WHERE url = ?"
    assert db.execute(similarity, [copy]).fetchone()[0] < 1.0

    calls: list[tuple[str, int, int]] = []
    summary = reextract(db, progress=lambda *call: calls.append(call))

    assert summary.pages == 5
    assert summary.learned[SITE] >= 1
    assert summary.text_changed == 4  # every kettle page lost its house line
    assert summary.removed["site_learned"] == 4
    assert summary.moved == 0  # ...so re-extraction moves nothing
    assert (summary.articles_before, summary.articles_after) == (4, 4)
    assert summary.words_after < summary.words_before
    assert summary.failed == []
    assert _article_of(db, copy) == _article_of(db, ORIGINAL)
    assert db.execute(similarity, [copy]).fetchone()[0] == 1.0  # the texts now agree
    texts = [row[0] for row in db.execute("SELECT text FROM pages").fetchall()]
    assert not any(HOUSE_LINE in text for text in texts)
    article_texts = [row[0] for row in db.execute("SELECT text FROM articles").fetchall()]
    assert not any(HOUSE_LINE in text for text in article_texts)
    # re-extraction is not a fetch: the pages keep their fetch time
    assert {r[0] for r in db.execute("SELECT fetched_at FROM pages").fetchall()} == {FETCHED_AT}
    assert calls[0] == (PHASE_LEARN, 1, 5) and calls[-1] == (PHASE_EXTRACT, 5, 5)
    assert [c for c in calls if c[0] == PHASE_EXTRACT] == [
        (PHASE_EXTRACT, n, 5) for n in range(1, 6)
    ]


def test_reextract_again_changes_nothing(tmp_path: Path) -> None:
    db = kettle_archive(tmp_path / "a.db")
    reextract(db)
    summary = reextract(db)
    assert summary.text_changed == summary.metadata_changed == summary.moved == 0
    assert summary.unchanged == summary.pages == 5


def test_reextract_one_site(tmp_path: Path) -> None:
    db = kettle_archive(tmp_path / "a.db")
    summary = reextract(db, site=f"www.{SITE}", relearn=True)
    assert summary.pages == 4
    assert set(summary.learned) == {SITE}


def test_pages_that_fail_now_are_kept_as_stored(tmp_path: Path) -> None:
    db = kettle_archive(tmp_path / "a.db")
    before = db.execute("SELECT id, text_hash, article_id FROM pages ORDER BY id").fetchall()
    summary = reextract(db, min_words=10_000, relearn=False)
    assert len(summary.failed) == 5
    assert all("fewer than 10000" in reason for _, reason in summary.failed)
    assert (
        db.execute("SELECT id, text_hash, article_id FROM pages ORDER BY id").fetchall() == before
    )


def test_reextract_without_relearning_uses_what_the_archive_learned(tmp_path: Path) -> None:
    db = kettle_archive(tmp_path / "a.db")
    summary = reextract(db, relearn=False)
    # the crawl's store step learned the house line from the pages themselves
    assert summary.removed["site_learned"] == 4
    assert summary.to_dict()["articles_after"] == 4


@pytest.mark.slow
def test_crawl_learns_a_new_sites_line_and_reextract_removes_it(tmp_path: Path) -> None:
    """tests/sites/kettle: a site whose four stories carry a house line no pattern knows.
    The crawl stores them (the line is learned as they are stored); reextract then takes
    the line out of every page, the first ones included."""
    path = tmp_path / "k.db"
    with FixtureWeb(SITES, sites=["kettle"]) as web:
        stats, readonly = run_crawl(path, "--feed", web.url("kettle", "/feed.xml"))
        site = site_of(web.url("kettle", "/"))
    readonly.close()
    assert stats["feeds"]["reprint/pages_stored"] == 4
    db = open_archive(path)
    assert line_key(HOUSE_LINE) in learned_lines(db, site)
    summary = reextract(db)
    assert summary.pages == 4 and summary.failed == []
    texts = [row[0] for row in db.execute("SELECT text FROM pages").fetchall()]
    assert len(texts) == 4
    assert not any(HOUSE_LINE in text for text in texts)
    assert all(STORIES["ferry"][0] in text for text in texts if "ferry" in text)
