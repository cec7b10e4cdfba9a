"""The Python API (`from archive import Archive`), including the README's example."""

from __future__ import annotations

import io
import json
import socket
from typing import TYPE_CHECKING

import pytest

from archive import Archive
from archive.errors import ArchiveNotFound, ArticleNotFound, BadCursor, BadQuery

from .archive_builder import LIGHTHOUSE, add_page, build_archive

if TYPE_CHECKING:
    from pathlib import Path


def test_search_articles_copies_and_cursor(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)
    with Archive(db_path) as a:
        hits = a.search("cornish coast")
        assert [h.id for h in hits] == [built.glasshouse] and hits[0].copies == 3
        assert [h.id for h in a.search("tour", site="popdesk.example")] == [built.tour]
        with pytest.raises(BadQuery, match="invalid search query"):
            a.search('"unbalanced')

        stories = list(a.articles())
        assert [s["id"] for s in stories] == [built.glasshouse, built.lighthouse, built.tour]
        assert stories[0]["places"][0]["representative"] is True
        assert [s["id"] for s in a.articles(since="2025-05-10")] == [built.lighthouse]
        assert [s["id"] for s in a.articles(query="vance")] == [built.tour]

        copies = a.copies(built.glasshouse)
        assert [c["site"] for c in copies] == [
            "tidings.example",
            "syndicator.example",
            "dailyreel.example",
        ]
        with pytest.raises(ArticleNotFound, match="no article with id 999"):
            a.copies(999)
        assert a.article(built.tour)["title"] == "Marisol Vance adds eleven tour dates"
        assert a.most_copied(1)[0]["id"] == built.glasshouse
        assert a.totals()["articles"] == 3
        cursor = a.cursor()

    add_page(db_path, "https://gossipgrid.example/l", "Keeper film", LIGHTHOUSE)
    with Archive(db_path) as a:
        assert [s["id"] for s in a.articles(after=cursor)] == [built.lighthouse]
        with pytest.raises(BadCursor):
            list(a.articles(after="not-a-cursor"))
        out = io.BytesIO()
        result = a.export(out, "jsonl", after=cursor)
        assert result.records == 1 and json.loads(out.getvalue())["copies"] == 2
        assert int(result.cursor) > int(cursor)
        feed = io.BytesIO()
        assert a.feed(feed, limit=2) == 2


def test_missing_archive_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveNotFound, match="archive not found"):
        Archive(tmp_path / "nope.db")


def test_search_window_ranks_only_the_newest_matches(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)
    query = "glasshouse OR lighthouse OR vance"
    with Archive(db_path) as a:
        assert {h.id for h in a.search(query)} == {built.glasshouse, built.lighthouse, built.tour}
        # past the window only the newest matches (highest rowid) are ranked
        assert [h.id for h in a.search(query, window=1)] == [built.tour]
        assert len(a.search(query, window=None)) == 3


@pytest.mark.slow
def test_cli_errors_name_the_file_or_address(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import cli

    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    out = tmp_path / "no-such-dir" / "x.jsonl"
    result = CliRunner().invoke(cli, ["export", "--db", str(db_path), "--out", str(out)])
    assert result.exit_code == 1 and f"cannot write {out}" in result.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--db", str(db_path), "--port", str(port)])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output
