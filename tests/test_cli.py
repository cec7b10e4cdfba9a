"""The `reprint` command through click's CliRunner, on a real archive file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from archive.db import open_archive, write_transaction
from crawler.cli import cli

from .archive_builder import STORY, fetched_page, page_html


@pytest.fixture
def archive_path(tmp_path: Path) -> str:
    path = tmp_path / "a.db"
    db = open_archive(path)
    from archive.store import save_page

    original = "https://tidings.example/tv/glasshouse"
    with write_transaction(db):  # save_page leaves committing to its caller
        save_page(
            db,
            fetched_page(original, page_html("Glasshouse Bay renewed", STORY, canonical=original)),
        )
        save_page(
            db, fetched_page("https://syndicator.example/g", page_html("Glasshouse is back", STORY))
        )
    db.close()
    return str(path)


def test_search_prints_hits_and_json(archive_path: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["search", "renewed", "--db", archive_path])
    assert result.exit_code == 0, result.output
    assert "Glasshouse Bay renewed" in result.stdout and "2 copies" in result.stdout
    result = runner.invoke(cli, ["search", "cornish coast", "--db", archive_path, "--json"])
    hits = json.loads(result.stdout)
    assert [h["title"] for h in hits] == ["Glasshouse Bay renewed"]
    assert "[Cornish]" in hits[0]["snippet"]


def test_bad_query_is_a_clear_error_not_a_traceback(archive_path: str) -> None:
    result = CliRunner().invoke(cli, ["search", '"unbalanced', "--db", archive_path])
    assert result.exit_code == 2  # a bad argument: a usage error
    assert "invalid search query" in result.output and "Traceback" not in result.output


def test_show_lists_copies_representative_first(archive_path: str) -> None:
    result = CliRunner().invoke(cli, ["show", "1", "--db", archive_path, "--json"])
    assert result.exit_code == 0, result.output
    article = json.loads(result.stdout)
    assert article["copies"] == 2
    assert [p["site"] for p in article["pages"]] == ["tidings.example", "syndicator.example"]
    result = CliRunner().invoke(cli, ["show", "99", "--db", archive_path])
    assert result.exit_code == 1 and "no article with id 99" in result.output


def test_stats(archive_path: str) -> None:
    result = CliRunner().invoke(cli, ["stats", "--db", archive_path, "--json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)
    assert totals["articles"] == 1 and totals["pages"] == 2 and totals["syndicated_articles"] == 1
    result = CliRunner().invoke(cli, ["stats", "--db", archive_path])
    assert "pages per site" in result.stdout


def test_missing_archive_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "x", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 3 and "archive not found" in result.output


def test_crawl_with_broken_sources_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nname = "x"\nfeed = "ftp://nope"\n')
    result = CliRunner().invoke(
        cli, ["crawl", "--sources", str(bad), "--db", str(tmp_path / "a.db")]
    )
    assert result.exit_code == 2 and "not an http(s) URL" in result.output


@pytest.mark.parametrize("kind", ["another app's database", "random bytes", "truncated"])
def test_crawl_into_a_file_that_is_not_an_archive_exits_3(
    tmp_path: Path, kind: str, archive_path: str
) -> None:
    path = tmp_path / "notes.db"
    if kind == "truncated":  # the first pages of a real archive
        path.write_bytes(Path(archive_path).read_bytes()[:4096])
    elif kind == "random bytes":
        path.write_bytes(bytes(range(256)) * 16)
    else:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.commit()
        conn.close()
    before = path.read_bytes()
    result = CliRunner().invoke(
        cli, ["crawl", "--feed", "https://feeds.example/rss.xml", "--db", str(path)]
    )
    assert result.exit_code == 3, result.output
    assert "notes.db is not a" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == before and not (tmp_path / "notes.db-wal").exists()


def test_every_command_has_help() -> None:
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert command.help, f"command {name} has no help text"
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_reextract_summary(archive_path: str) -> None:
    result = CliRunner().invoke(cli, ["reextract", "--db", archive_path, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pages"] == 2 and summary["unchanged"] == 2
    assert summary["articles_before"] == summary["articles_after"] == 1
    result = CliRunner().invoke(cli, ["reextract", "--db", archive_path, "--site", "nowhere"])
    assert result.exit_code == 0 and "re-extracted 0 pages" in result.stdout


def test_dedupe_rebuild(archive_path: str) -> None:
    result = CliRunner().invoke(cli, ["dedupe", "--rebuild", "--db", archive_path, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pages"] == 2 and summary["pages_moved"] == 0
    assert summary["articles_before"] == summary["articles_after"] == 1
    result = CliRunner().invoke(cli, ["dedupe", "--db", archive_path])  # --rebuild implied
    assert result.exit_code == 0 and "reclustered 2 pages" in result.stdout


def test_the_readme_lists_every_exit_status() -> None:
    import re

    from crawler.cli.errors import Exit

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    listed = [int(n) for n in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)]
    assert listed == sorted(int(status) for status in Exit)


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["stats"], 0, "articles: 1"),
        (["show", "99"], 1, "no article with id 99"),
        (["show", str(2**63)], 2, "expected a number from 1 to 9223372036854775807"),
        (["search", "x", "--since", "notadate"], 2, "expected a date such as 2025-06-01"),
        (["export", "--after", "not-a-cursor"], 2, "cursor"),
        (["crawl", "--site", "nowhere.example", "--feed", "https://a.example/f"], 2, "no source"),
        (
            ["crawl", "--feed", "https://a.example/f", "-s", "CONCURRENT_REQUESTS=abc"],
            2,
            "CONCURRENT_REQUESTS takes a number, got 'abc'",
        ),
        (
            ["crawl", "--feed", "https://a.example/f", "-s", "REPRINT_PROGRESS=maybe"],
            2,
            "true or false",
        ),
    ],
)
def test_exit_statuses_0_to_2(archive_path: str, args: list[str], status: int, says: str) -> None:
    result = CliRunner().invoke(cli, [*args, "--db", archive_path])
    assert result.exit_code == status, result.output
    assert says in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", [["dedupe"], ["reextract"], ["stats"], ["show", "1"]])
def test_a_mistyped_db_is_status_3_and_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "archve.db"
    result = CliRunner().invoke(cli, [*command, "--db", str(typo)])
    assert result.exit_code == 3 and f"archive not found: {typo}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_archive_error_from_a_command_is_status_3(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text("# not an archive\n")
    result = CliRunner().invoke(cli, ["search", "x", "--db", str(path)])
    assert result.exit_code == 3 and "is not a reprint archive" in result.output


def test_the_process_ends_without_collecting_what_it_holds(archive_path: str) -> None:
    """`main()` freezes the collector as the command ends: the interpreter's shutdown
    then skips full collections over a crawl's million objects (~0.3 s of every crawl)."""
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        f"sys.argv = ['reprint', 'stats', '--db', {archive_path!r}]\n"
        "from crawler.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("frozen at exit: True")
