"""The archive library on its own: extraction, cleaning, storage, search (no Scrapy)."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from archive.clean import clean_text
from archive.db import close_writer, connect_readonly, open_archive, write_transaction
from archive.dedup import choose_representative
from archive.errors import (
    ArchiveError,
    ArchiveNotFound,
    ArchiveTooNew,
    ArchiveWriteFailed,
    BadQuery,
    DedupIndexError,
    NoArticleText,
    NotAnArchive,
    NotHtml,
    PageRefused,
    QueryTooExpensive,
    TooManyElements,
)
from archive.extract import extract_article
from archive.lock import open_writer
from archive.read import get_article
from archive.search import search
from archive.settings import MAX_HTML_ELEMENTS
from archive.store import load_raw, save_page, save_page_alone
from archive.urls import normalize_url

from .archive_builder import STORY, fetched_page, page_html

if TYPE_CHECKING:
    from pathlib import Path


def test_extract_reads_metadata_from_json_ld() -> None:
    ex = extract_article(
        page_html(
            "Glasshouse Bay renewed", STORY, canonical="https://tidings.example/tv/glasshouse"
        ),
        "https://www.tidings.example/tv/glasshouse?utm_source=x",
    )
    assert ex.title == "Glasshouse Bay renewed"
    assert ex.author == "Rae Lindqvist"
    assert ex.published == "2025-05-01T09:00:00+01:00"
    assert ex.language == "en"
    assert ex.site == "tidings.example"
    assert ex.site_name == "Tidings"
    assert ex.canonical_url == "https://tidings.example/tv/glasshouse"
    assert ex.tags == ["TV", "Drama"]
    assert "third season" in ex.text and ex.word_count > 60


def test_extract_removes_syndication_boilerplate() -> None:
    junk = [
        "Photo credit: Netflix",
        "To view this content, you'll need to update your privacy settings. "
        "Please click here to do so.",
        "Like this article? Sign up to our newsletter to get more articles like this "
        "delivered straight to your inbox.",
        "Advertisement",
        "This article originally appeared on Tidings",
    ]
    mixed = [STORY[0], junk[0], STORY[1], junk[1], junk[3], STORY[2], junk[2], STORY[3], junk[4]]
    related = (
        "<h3>You Might Also Like</h3><ul><li><a href='/a'>Another show is back</a></li>"
        "<li><a href='/b'>A star quits a soap</a></li></ul>"
    )
    ex = extract_article(
        page_html("Glasshouse Bay renewed", mixed, extra=related), "https://syndicator.example/x"
    )
    for line in [*junk, "You Might Also Like", "Another show is back"]:
        assert line not in ex.text
    for sentence in STORY:
        assert sentence in ex.text
    assert ex.origin == "Tidings"
    assert ex.removed["photo_credit"] == 1 and ex.removed["related_heading"] == 1


def test_clean_keeps_story_sentences_that_mention_boilerplate_words() -> None:
    text = (
        "She said she would sign up to our newsletter of life lessons any day, laughing.\n"
        "Advertisement\nRead more: Another story"
    )
    cleaned = clean_text(text)
    assert cleaned.text == text.splitlines()[0]
    assert cleaned.removed == {"ad_marker": 1, "related_link": 1}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", NotHtml),
        (b"\x00\x01\x02\x89PNG\r\n" * 100, NotHtml),
        (b"<html><body><p>Too short to be a story.</p></body></html>", NoArticleText),
    ],
)
def test_extract_refuses_non_articles(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"https://x\.example/p"):
        extract_article(body, "https://x.example/p")


def test_extract_refuses_a_page_of_too_many_elements() -> None:
    # a flat page of tiny paragraphs: trafilatura's cost grows with their square
    flat = "".join(f"<p>line {i}</p>" for i in range(MAX_HTML_ELEMENTS))
    body = f"<html><body><article>{flat}</article></body></html>".encode()
    with pytest.raises(TooManyElements, match=r"over the 50000 limit: https://x\.example/p"):
        extract_article(body, "https://x.example/p")


def test_many_angle_brackets_in_a_script_are_not_elements() -> None:
    # the look-alike: "<" counted in script text trips the cheap bound, not the cap
    script = "<script>var a = [" + ",".join(["1<2"] * MAX_HTML_ELEMENTS) + "];</script>"
    body = page_html("Renewed", STORY, extra=script)
    assert extract_article(body, "https://x.example/p").title == "Renewed"


def test_save_is_idempotent_and_clusters_exact_copies(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    original = "https://tidings.example/tv/glasshouse"
    copy = "https://syndicator.example/ent/glasshouse-123.html?utm_source=feed"
    with write_transaction(db):
        first = save_page(
            db, fetched_page(original, page_html("Renewed", STORY, canonical=original))
        )
        second = save_page(
            db,
            fetched_page(
                copy,
                page_html("Glasshouse Bay is back!", STORY, extra="<p>Photo credit: Netflix</p>"),
            ),
        )
        again = save_page(
            db, fetched_page(original, page_html("Renewed", STORY, canonical=original))
        )
    assert first.new_article and not second.new_article
    assert second.article_id == first.article_id == again.article_id
    assert not again.new_page and not again.text_changed
    assert db["pages"].count == 2 and db["articles"].count == 1
    article = get_article(db, first.article_id)
    assert article["copies"] == 2
    assert article["title"] == "Renewed"  # the self-canonical original represents it
    assert article["pages"][0]["url"] == original
    assert article["pages"][1]["url"] == normalize_url(copy)
    raw = db.execute("SELECT raw_sha256 FROM pages WHERE url = ?", [original]).fetchone()[0]
    assert load_raw(db, raw) == page_html("Renewed", STORY, canonical=original)


def test_changed_text_moves_a_page_and_drops_an_empty_article(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    url = "https://tidings.example/tv/glasshouse"
    save_page(db, fetched_page(url, page_html("Renewed", STORY)))
    updated = save_page(
        db, fetched_page(url, page_html("Renewed", [*STORY, STORY[0] + " Update."]))
    )
    assert updated.text_changed and updated.new_article
    assert db["articles"].count == 1 and db["pages"].count == 1


def test_a_page_of_a_batch_costs_only_itself_and_an_archive_fault_the_batch(
    tmp_path: Path,
) -> None:
    # the pipeline's and the distributed writer's one way of storing a batch's page
    db = open_archive(tmp_path / "a.db")
    good = fetched_page("https://tidings.example/tv/glasshouse", page_html("Renewed", STORY))
    poison = fetched_page("https://tidings.example/tv/broken", page_html("Broken", STORY))
    poison.extracted = replace(poison.extracted, text="broken \ud800 text")
    with write_transaction(db):
        with pytest.raises(PageRefused, match=r"^UnicodeEncodeError: ") as refused:
            save_page_alone(db, poison)
        assert refused.value.url == poison.url
        assert save_page_alone(db, good).new_article
    assert [r[0] for r in db.execute("SELECT url FROM pages")] == [good.url]
    assert db["raw"].count == 1  # nothing of the refused page, its body included

    with write_transaction(db):
        db.execute("PRAGMA query_only = ON")  # the file takes no write: SQLITE_READONLY
        with pytest.raises(ArchiveWriteFailed, match="readonly database"):
            save_page_alone(db, fetched_page(good.url + "/2", page_html("Again", STORY)))
        db.execute("PRAGMA query_only = OFF")
    db.execute("UPDATE dedup_meta SET value = json_set(value, '$.algorithm', 'other')")
    with write_transaction(db), pytest.raises(DedupIndexError):
        save_page_alone(db, fetched_page(good.url + "/3", page_html("Again", STORY)))


def test_representative_prefers_pointed_to_then_self_canonical_then_earliest() -> None:
    def page(pid: int, url: str, canonical: str | None, published: str | None) -> dict:
        return {
            "id": pid,
            "url": url,
            "canonical_url": canonical,
            "published": published,
            "word_count": 100,
        }

    a = page(1, "https://a.example/x", "https://a.example/x", "2025-01-02T00:00:00+00:00")
    b = page(2, "https://b.example/y", "https://b.example/y", "2025-01-01T00:00:00+00:00")
    c = page(3, "https://c.example/z", "https://a.example/x", "2024-12-31T00:00:00+00:00")
    assert choose_representative([b, c, a])["id"] == 1  # pointed to by c
    assert choose_representative([a, b])["id"] == 2  # both self-canonical: earliest
    assert choose_representative([c])["id"] == 3
    # an original that names no canonical, pointed to by a copy, beats a syndicator that
    # calls its own copy canonical
    original = page(4, "https://o.example/s", None, "2025-01-02T00:00:00+00:00")
    pointer = page(5, "https://p.example/s", "https://o.example/s", "2025-01-03T00:00:00+00:00")
    claimer = page(6, "https://q.example/s", "https://q.example/s", "2025-01-01T00:00:00+00:00")
    assert choose_representative([claimer, pointer, original])["id"] == 4


def test_search_ranks_highlights_filters_and_rejects_bad_queries(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    save_page(
        db, fetched_page("https://tidings.example/a", page_html("Glasshouse Bay renewed", STORY))
    )
    other = [
        f"Part {n} of a different story about a baking contest that has nothing to do with "
        "coasts, with a dozen amateur bakers competing in a tent in a country garden."
        for n in ("one", "two", "three")
    ]
    save_page(
        db,
        fetched_page(
            "https://other.example/b", page_html("Bake-off final", other, published="2024-01-01")
        ),
    )
    hits = search(db, "renewed")
    assert [h.title for h in hits] == ["Glasshouse Bay renewed"]
    assert "\x02renewed\x03" in hits[0].snippet
    assert hits[0].to_dict()["snippet"].count("[renewed]") == 1
    # porter stemming: "renew", "renewal" and "renewed" share the stem "renew"
    assert len(search(db, "renew")) == len(search(db, "renewal")) == 1
    assert search(db, "bakers", site="tidings.example") == []
    assert len(search(db, "bakers", site="other.example")) == 1
    assert search(db, "bakers", since="2025-01-01") == []
    with pytest.raises(BadQuery, match="unterminated string"):
        search(db, '"glasshouse')
    assert len(search(db, '"glasshouse', literal=True)) == 1


@pytest.mark.slow
def test_a_search_past_its_time_budget_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    # issue 15: 26 prefix terms OR'd ran for 28 s on a big archive, holding a core
    db = open_archive(tmp_path / "a.db")
    rng = random.Random(4)
    vocabulary = [f"{a}{b}{c}" for a in "bcdfg" for b in "aeiou" for c in "lmnrst"]
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO articles (title, text) VALUES (?, ?)",
            [(f"Story {n}", " ".join(rng.choices(vocabulary, k=200))) for n in range(2000)],
        )
    every_prefix = " OR ".join(f"{letter}*" for letter in "bcdfg")
    assert len(search(db, every_prefix)) == 20  # within the default budget: answered
    with pytest.raises(QueryTooExpensive, match="stopped after 0 s"):
        search(db, every_prefix, time_budget_s=0.0)
    # the budget is per search: the connection is usable afterwards
    assert len(search(db, "bal")) >= 1


def test_readonly_open_of_a_missing_archive_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveNotFound, match=r"nope\.db"):
        open_archive(tmp_path / "nope.db", readonly=True)


def _another_apps_database(path: Path) -> str:
    """Make an SQLite file of some other application and return its bytes' hash."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('buy milk')")
    conn.commit()
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_another_applications_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    before = _another_apps_database(path)
    with pytest.raises(NotAnArchive, match=r"notes\.db is not a reprint archive"):
        open_archive(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # no -wal, no -shm
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_archive_of_a_newer_reprint_is_refused_for_writing_but_readable(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    db = open_archive(path)
    save_page(db, fetched_page("https://tidings.example/a", page_html("Glasshouse Bay", STORY)))
    db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('reprint', 'm999_from_the_future', '2099-01-01 00:00:00+00:00')"
    )
    db.conn.commit()
    db.close()
    with pytest.raises(ArchiveTooNew, match=r"future\.db was written by a newer reprint.*m999"):
        open_archive(path)
    readonly = open_archive(path, readonly=True)
    assert [hit.title for hit in search(readonly, "glasshouse")] == ["Glasshouse Bay"]
    readonly.close()


@pytest.mark.parametrize("body", [os.urandom(4096), b"SQLite format 3\x00" + b"\xff" * 50])
def test_a_file_that_is_not_a_database_is_an_archive_error(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(body)
    for readonly in (False, True):
        with pytest.raises(ArchiveError, match=r"junk\.db"):
            open_archive(path, readonly=readonly).execute("SELECT count(*) FROM pages")
    assert path.read_bytes() == body


def test_a_new_path_still_becomes_a_fresh_archive(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"
    db = open_archive(path)
    assert db["pages"].exists() and db["article_changes"].exists()
    db.close()
    db = open_archive(path)  # and opens again for writing: it is reprint's own
    db.close()


def test_a_writer_leaves_its_writes_in_the_archive_file_unless_a_reader_holds_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "a.db"
    open_archive(path).close()
    reader = connect_readonly(path)
    reader.execute("SELECT count(*) FROM pages").fetchone()  # an idle reader, as datasette
    with open_writer(path) as db, write_transaction(db):
        save_page(db, fetched_page("https://x.example/a", page_html("Renewed", STORY)))
    shutil.copyfile(path, tmp_path / "copy.db")  # the file alone, not its -wal
    assert open_archive(tmp_path / "copy.db", readonly=True)["pages"].count == 1

    # a reader in the middle of a query keeps its snapshot: the writes wait in the -wal,
    # safe, and the writer says so instead of waiting forever
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM pages").fetchone()
    db = open_archive(path, busy_timeout_ms=50)
    with write_transaction(db):
        save_page(db, fetched_page("https://x.example/b", page_html("Renewed again", STORY)))
    assert close_writer(db) is False
    assert "stay in the archive's -wal" in caplog.text
    reader.rollback()
    assert reader.execute("SELECT count(*) FROM pages").fetchone() == (2,)
    reader.close()
