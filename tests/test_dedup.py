"""Near-duplicate clustering: through a real crawl, through save_page on real SQLite files,
and the benchmark's own measurements on a small corpus."""

from __future__ import annotations

import gzip
import json
import sqlite3
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from sqlite_utils import Database, Migrations

from archive.db import m001_initial, open_archive, write_transaction
from archive.dedup import (
    DEFAULT_PARAMS,
    DedupIndexError,
    DedupParams,
    containment,
    index_params,
    jaccard,
    rebuild_clusters,
    signature,
)
from archive.read import get_article
from archive.store import FetchedPage, save_page
from archive.urls import normalize_url
from bench.dedup import extracted_of, measure_cost, measure_quality
from bench.syndication_corpus import EDIT_KINDS, CorpusBuilder, generate_corpus
from crawler.cli import cli
from crawler.demo.server import FixtureWeb

from .archive_builder import STORY, build_archive, fetched_page, page_html
from .conftest import SITES, run_crawl
from .syndication_site import STORIES

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from bench.syndication_corpus import Doc


@pytest.fixture
def syndication() -> Iterator[FixtureWeb]:
    """tests/sites/syndication: three sites syndicating each other's stories."""
    with FixtureWeb(SITES / "syndication") as web:
        yield web


@pytest.mark.slow
def test_crawl_clusters_edited_copies_and_keeps_hard_negatives_apart(
    syndication: FixtureWeb, tmp_path: Path
) -> None:
    feeds = [
        a
        for site in ("tidings", "relay", "wirepop")
        for a in ("--feed", syndication.url(site, "/feed.xml"))
    ]
    stats, db = run_crawl(tmp_path / "s.db", *feeds)
    article_of = dict(db.execute("SELECT url, article_id FROM pages").fetchall())
    url = {
        (story, site): normalize_url(syndication.url(site, path))
        for story, copies in STORIES.items()
        for site, path in copies.items()
    }
    assert set(url.values()) <= set(article_of), sorted(set(url.values()) - set(article_of))
    clusters = {
        story: {article_of[url[story, site]] for site in copies}
        for story, copies in STORIES.items()
    }
    # every copy of a story in one article: headline, extra/trimmed intro, captions,
    # credit, embed, newsletter, "originally appeared", curly quotes, truncated ending
    assert all(len(ids) == 1 for ids in clusters.values()), clusters
    # same show and people, a series sharing stock paragraphs, a wrong canonical: apart
    assert len({ids.pop() for ids in clusters.values()}) == len(STORIES)

    a = get_article(db, article_of[url["A", "tidings"]])
    # the original represents the story, though a copy says it is canonical itself and
    # claims an earlier publication time
    assert a["representative_page_id"] == a["pages"][0]["id"]
    assert a["pages"][0]["url"] == url["A", "tidings"]
    assert a["copies"] == 3 and len(a["pages"]) == 3
    similarity = {p["url"]: p["similarity"] for p in a["pages"]}
    assert similarity[url["A", "tidings"]] == 1.0
    assert 0.3 < similarity[url["A", "wirepop"]] < 1.0  # the truncated copy
    assert 0.3 < similarity[url["A", "relay"]] < 1.0
    # `reprint show` lists the copies with their similarity
    shown = CliRunner().invoke(
        cli, ["show", str(a["id"]), "--db", str(tmp_path / "s.db"), "--json", "--no-text"]
    )
    assert shown.exit_code == 0, shown.output
    listed = {p["url"]: p["similarity"] for p in json.loads(shown.stdout)["pages"]}
    assert listed == similarity
    feeds_stats = stats["feeds"]
    assert feeds_stats["reprint/articles_stored"] == len(STORIES)
    assert feeds_stats["reprint/copies_clustered"] == len(article_of) - len(STORIES)
    bands = db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0]
    assert bands == db["pages"].count * DEFAULT_PARAMS.bands


def _corpus_page(doc: Doc) -> FetchedPage:
    # corpus texts are what extraction hands over: stored as they are, cleaned by clean.py
    return FetchedPage(
        url=doc.url, final_url=doc.url, body=doc.text.encode(), extracted=extracted_of(doc)
    )


def _store(path: Path, docs: list[Doc], params: DedupParams | None = None) -> Database:
    db = open_archive(path)
    with write_transaction(db):
        if params:
            from archive.dedup import set_index_params

            set_index_params(db, params)
        for doc in docs:
            save_page(db, _corpus_page(doc))
    return db


@pytest.mark.parametrize("edit", EDIT_KINDS)
def test_each_edit_kind_clusters_with_the_original(edit: str, tmp_path: Path) -> None:
    builder = CorpusBuilder(seed=EDIT_KINDS.index(edit))
    entities = builder.writer.entities()
    builder.story("s", "plain", entities, builder.writer.story(entities, 8), copies=3, edits=[edit])
    db = _store(tmp_path / "e.db", builder.docs)
    assert db["articles"].count == 1
    assert db.execute("SELECT copies FROM articles").fetchone()[0] == 4


def test_same_topic_stories_and_series_stay_apart(tmp_path: Path) -> None:
    builder = CorpusBuilder(seed=5)
    builder.same_topic("t")
    builder.series("r")
    stories = {d.story for d in builder.docs}
    db = _store(tmp_path / "n.db", builder.docs)
    article_of = dict(db.execute("SELECT url, article_id FROM pages").fetchall())
    by_story: dict[str, set[int]] = {}
    for doc in builder.docs:
        by_story.setdefault(doc.story, set()).add(article_of[normalize_url(doc.url)])
    assert all(len(ids) == 1 for ids in by_story.values())
    assert db["articles"].count == len(stories)


def test_original_arriving_late_becomes_representative(tmp_path: Path) -> None:
    original = "https://tidings.example/tv/glasshouse"
    db = open_archive(tmp_path / "a.db")
    with write_transaction(db):
        # a truncated syndicated copy first, then one pointing at the original
        first = save_page(
            db, fetched_page("https://wire.example/g", page_html("Glasshouse back", STORY[:3]))
        )
        save_page(
            db,
            fetched_page(
                "https://relay.example/g",
                page_html(
                    "Glasshouse renewed", [*STORY, "Photo credit: Brightwave"], canonical=original
                ),
            ),
        )
        last = save_page(
            db, fetched_page(original, page_html("Renewed", STORY, canonical=original))
        )
    assert first.article_id == last.article_id and not last.new_article
    article = get_article(db, last.article_id)
    assert article["representative_page_id"] == last.page_id
    assert article["title"] == "Renewed" and article["copies"] == 3
    similarity = {p["url"]: p["similarity"] for p in article["pages"]}
    assert similarity[original] == 1.0
    assert similarity["https://relay.example/g"] == 1.0  # the credit line is cleaned away
    assert 0.4 < similarity["https://wire.example/g"] < 1.0


def test_canonical_is_evidence_never_alone(tmp_path: Path) -> None:
    original = "https://tidings.example/tv/glasshouse"
    other_story = [
        "Soap veteran Gwen Tallis is leaving Copperfield Row after twenty years, the "
        "broadcaster said on Friday, with her final scenes airing before Christmas.",
        "Tallis joined the serial as a teenager and became one of its best loved faces, "
        "winning three awards for the role of the fierce landlady Peggy Marsh.",
        "Producers promised a send-off worthy of the character, though they would not say "
        "whether Peggy would be killed off or simply leave the village for good.",
    ]
    db = open_archive(tmp_path / "a.db")
    with write_transaction(db):
        first = save_page(
            db, fetched_page(original, page_html("Renewed", STORY, canonical=original))
        )
        wrong = save_page(
            db,
            fetched_page(
                "https://wire.example/tallis",
                page_html("Tallis quits", other_story, canonical=original),
            ),
        )
        # a heavily reworked copy (half its text rewritten) is joined by its canonical link
        reworked = save_page(
            db,
            fetched_page(
                "https://wire.example/glass",
                page_html("Glasshouse", [*STORY[:2], *other_story[:2]], canonical=original),
            ),
        )
    assert wrong.new_article and wrong.article_id != first.article_id
    assert reworked.article_id == first.article_id


def test_changed_text_moves_the_page_and_its_index_entries(tmp_path: Path) -> None:
    docs = [d for d in generate_corpus(12, seed=4)]
    db = _store(tmp_path / "c.db", docs)
    copy = next(d for d in docs if d.kind == "copy")
    unrelated = next(d for d in docs if d.story != copy.story and d.kind == "original")
    before = db.execute(
        "SELECT article_id FROM pages WHERE url = ?", [normalize_url(copy.url)]
    ).fetchone()[0]
    copy.text = unrelated.text + "\nA last line of its own, about something else entirely."
    with write_transaction(db):
        result = save_page(db, _corpus_page(copy))
    assert result.text_changed and result.article_id != before
    page_id = result.page_id
    bands = db.execute("SELECT count(*) FROM dedup_bands WHERE page_id = ?", [page_id]).fetchone()[
        0
    ]
    assert bands == DEFAULT_PARAMS.bands
    stored = db.execute(
        "SELECT count(*) FROM dedup_signatures WHERE page_id = ?", [page_id]
    ).fetchone()
    assert stored[0] == 1


def test_rebuild_recomputes_index_and_clusters(tmp_path: Path) -> None:
    docs = generate_corpus(30, seed=8)
    db = _store(tmp_path / "r.db", docs)
    clusters = dict(db.execute("SELECT url, article_id FROM pages").fetchall())
    articles = db["articles"].count
    # a wrecked index and clusters: every page on its own, no bands
    with write_transaction(db):
        db.execute("DELETE FROM dedup_bands")
        for (page_id,) in db.execute("SELECT id FROM pages").fetchall():
            new = db["articles"].insert({"copies": 1}).last_pk
            db.execute("UPDATE pages SET article_id = ? WHERE id = ?", [new, page_id])
    seen: list[tuple[int, int]] = []
    summary = rebuild_clusters(db, progress=lambda done, total: seen.append((done, total)))
    assert summary.pages == len(docs) and seen[-1] == (len(docs), len(docs))
    assert summary.articles_after == articles
    assert summary.articles_before == articles + len(docs)
    assert (
        dict(db.execute("SELECT url, article_id FROM pages").fetchall()).keys() == clusters.keys()
    )
    rebuilt = dict(db.execute("SELECT url, article_id FROM pages").fetchall())

    # the same partition of pages into articles as the crawl made
    def partition(mapping: dict[str, int]) -> set[frozenset[str]]:
        groups: dict[int, set[str]] = {}
        for page_url, article_id in mapping.items():
            groups.setdefault(article_id, set()).add(page_url)
        return {frozenset(g) for g in groups.values()}

    assert partition(rebuilt) == partition(clusters)
    assert (
        db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0]
        == len(docs) * DEFAULT_PARAMS.bands
    )
    # other parameters: recorded with the index
    rebuild_clusters(db, params=DedupParams(bands=24))
    assert index_params(db).bands == 24
    assert db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0] == len(docs) * 24


def test_rebuild_keeps_article_ids(tmp_path: Path) -> None:
    docs = generate_corpus(10, seed=9)
    db = _store(tmp_path / "k.db", docs)
    before = dict(db.execute("SELECT url, article_id FROM pages").fetchall())
    summary = rebuild_clusters(db)
    assert dict(db.execute("SELECT url, article_id FROM pages").fetchall()) == before
    assert summary.pages_moved == 0


def test_migration_indexes_pages_of_an_older_archive(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Migrations("reprint")
    old()(m001_initial)
    db = Database(sqlite3.connect(path))
    old.apply(db)
    db["articles"].insert({"id": 1, "copies": 1})
    db["pages"].insert(
        {
            "id": 1,
            "url": "https://a.example/x",
            "article_id": 1,
            "text": "\n".join(STORY),
            "canonical_url": "https://A.example/x?utm_source=feed",
        }
    )
    db.close()
    db = open_archive(path)
    assert (
        db.execute("SELECT count(*) FROM dedup_bands WHERE page_id = 1").fetchone()[0]
        == DEFAULT_PARAMS.bands
    )
    assert db.execute("SELECT canonical_key FROM pages").fetchone()[0] == "https://a.example/x"


def test_signature_estimates_containment_of_a_short_copy() -> None:
    full = "\n".join(STORY * 3)
    short = "\n".join(STORY[:2])
    a, b = signature(full), signature(short)
    assert containment(b, a) > 0.9  # the short copy is inside the long one
    assert jaccard(a, b) < 0.6
    assert jaccard(a, signature(full.replace("'", "’"))) == 1.0  # quote typography


def test_params_are_checked() -> None:
    with pytest.raises(DedupIndexError, match="need 300 minhash values"):
        DedupParams(num_perm=256, bands=150, rows=2)


@pytest.mark.slow
def test_bench_quality_meets_targets_on_a_small_corpus(tmp_path: Path) -> None:
    quality = measure_quality(generate_corpus(120, seed=21), DEFAULT_PARAMS, tmp_path / "q.db")
    # a floor, not the target: on 120 stories one wrongly merged weekly recap moves
    # precision by 0.005; the targets are measured on 1500 (BENCHMARKS.md)
    assert quality.precision >= 0.99
    assert quality.eligible_recall >= 0.98
    assert quality.eligible_pairs > 100


@pytest.mark.slow
def test_bench_cost_runs_at_tiny_sizes(tmp_path: Path) -> None:
    pages = tmp_path / "html"
    pages.mkdir()
    (pages / "a.html.gz").write_bytes(gzip.compress(page_html("Renewed", STORY)))
    result = measure_cost([300, 600], 40, DEFAULT_PARAMS, tmp_path, pages=pages)
    sizes = result["sizes"]
    assert [row["archived_articles"] for row in sizes] == [300, 600]
    assert all(
        row["index_bytes"] > 0 and row["dedup_cpu_ms"] > 0 and row["ratio_cpu"] > 0 for row in sizes
    )


def test_index_of_another_minhash_algorithm_asks_for_a_rebuild(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    stale = DedupParams(algorithm=DEFAULT_PARAMS.algorithm + 1)
    with write_transaction(db):
        db.execute("UPDATE dedup_meta SET value = ? WHERE name = 'params'", [stale.to_json()])
    with pytest.raises(DedupIndexError, match="rebuild"):
        index_params(db)
    rebuild_clusters(db)
    assert index_params(db) == DEFAULT_PARAMS


def test_reextract_on_an_index_of_another_algorithm_is_one_line_status_3(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    build_archive(path)
    db = open_archive(path)
    stale = DedupParams(algorithm=DEFAULT_PARAMS.algorithm + 1)
    with write_transaction(db):
        db.execute("UPDATE dedup_meta SET value = ? WHERE name = 'params'", [stale.to_json()])
    db.close()
    result = CliRunner().invoke(cli, ["reextract", "--db", str(path)])
    assert result.exit_code == 3, result.output  # it was a traceback (not an ArchiveError)
    assert "rebuild it (reprint dedupe)" in result.output
    assert isinstance(result.exception, SystemExit)
    assert CliRunner().invoke(cli, ["dedupe", "--db", str(path)]).exit_code == 0
    assert CliRunner().invoke(cli, ["reextract", "--db", str(path)]).exit_code == 0


def _article_state(db: Database) -> list[tuple[object, ...]]:
    articles = db.execute(
        "SELECT id, representative_page_id, copies, first_seen, last_seen, title, text_hash"
        " FROM articles ORDER BY id"
    ).fetchall()
    pages = db.execute("SELECT id, article_id, similarity FROM pages ORDER BY id").fetchall()
    return [*articles, *pages]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_joining_copy_updates_its_article_as_a_full_refresh_would(
    seed: int, tmp_path: Path
) -> None:
    # archive.dedup.cluster.refresh_after_join ranks three pages instead of every copy:
    # after each page stored, refreshing every article from all its copies changes nothing
    import random

    from archive.dedup import refresh_article

    rng = random.Random(seed)
    db = open_archive(tmp_path / "a.db")
    urls = [f"https://site{n}.example/tv/glasshouse" for n in range(10)]
    for n, url in enumerate(rng.sample(urls, len(urls))):
        canonical = rng.choice(["", url, *urls])  # none, itself, or another copy
        day = rng.randint(1, 5)
        html = page_html(
            f"Glasshouse Bay renewed ({n})",
            STORY[: rng.randint(3, 4)],
            canonical=canonical,
            published=f"2025-05-0{day}T09:00:00+01:00",
        )
        save_page(db, fetched_page(url, html))
        stored = _article_state(db)
        for (article_id,) in db.execute("SELECT id FROM articles").fetchall():
            refresh_article(db, article_id)
        assert _article_state(db) == stored, (seed, n)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1
