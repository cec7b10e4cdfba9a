"""`reprint extract`: one page in, the archive's clean text and metadata out."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from crawler.cli import cli

from .archive_builder import STORY, page_html
from .conftest import ROOT
from .site_builder import HOUSE_LINE, SITE, STORIES, article_page, kettle_archive

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.demo.server import FixtureWeb

# fixture webs live on loopback, which `extract --url` refuses by default
ALLOW_FIXTURES = ("--allow-host", "127.0.0.1")

PAGE = page_html(
    "Glasshouse Bay renewed",
    STORY,
    extra="<p>Photo credit: Netflix</p>",
    canonical="https://tidings.example/tv/glasshouse",
)


def test_file_to_text(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE)
    result = CliRunner().invoke(cli, ["extract", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == STORY  # headline and photo credit gone


def test_gzip_stdin_to_json_with_all_metadata() -> None:
    result = CliRunner().invoke(
        cli,
        ["extract", "-", "--format", "json", "--url", "https://www.tidings.example/tv/glasshouse"],
        input=gzip.compress(PAGE),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"] == "Glasshouse Bay renewed"
    assert data["author"] == "Rae Lindqvist"
    assert data["published"] == "2025-05-01T09:00:00+01:00"
    assert data["site"] == "tidings.example" and data["site_name"] == "Tidings"
    assert data["canonical_url"] == "https://tidings.example/tv/glasshouse"
    assert data["language"] == "en" and data["tags"] == ["TV", "Drama"]
    assert data["word_count"] == len(" ".join(STORY).split())
    for field in ("image", "description", "updated"):
        assert field in data


def test_non_article_exits_1_with_a_one_line_reason() -> None:
    result = CliRunner().invoke(
        cli, ["extract", "-"], input=b"<html><body><p>Just a line.</p></body></html>"
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "fewer than" in result.stderr


def test_garbage_and_missing_files_exit_2(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 40
    result = CliRunner().invoke(cli, ["extract", "-"], input=garbage)
    assert result.exit_code == 2 and "binary content" in result.stderr
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code == 2 and "nope.html" in result.stderr
    result = CliRunner().invoke(cli, ["extract", "-"], input=b"\x1f\x8b\x08\x00broken")
    assert result.exit_code == 2 and "bad gzip" in result.stderr


@pytest.mark.slow
def test_url_alone_fetches_the_page_without_importing_scrapy(newsroom: FixtureWeb) -> None:
    url = newsroom.url("newsroom", "/stories/first/")
    code = (
        "import sys; from crawler.cli import cli\n"
        f"try:\n    cli(['extract', '--url', {url!r}, '--format', 'json', *{ALLOW_FIXTURES!r}])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "assert 'scrapy' not in sys.modules and 'twisted' not in sys.modules, 'slow start'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["title"] == "Night Owls returns with a new host and a bigger prize"
    assert data["author"] == "Sam Pryor"
    assert ("newsroom", "/stories/first/") in newsroom.requests


def test_unfetchable_url_exits_2(newsroom: FixtureWeb) -> None:
    result = CliRunner().invoke(
        cli, ["extract", "--url", newsroom.url("newsroom", "/missing"), *ALLOW_FIXTURES]
    )
    assert result.exit_code == 2 and "HTTP 404" in result.stderr


def test_site_context_applies_the_archive_s_learned_lines(tmp_path: Path) -> None:
    db_path = tmp_path / "a.db"
    kettle_archive(db_path).close()  # kettle.example's stories, all carrying its house line
    new_story = next(iter(STORIES.values()))
    page = tmp_path / "new.html"
    page.write_bytes(article_page([new_story[0], HOUSE_LINE, *new_story[1:]]))
    url = f"https://{SITE}/news/brand-new/"
    plain = CliRunner().invoke(cli, ["extract", str(page), "--url", url])
    assert plain.exit_code == 0, plain.output
    assert HOUSE_LINE in plain.stdout  # a single page cannot tell its site's boilerplate
    learned = CliRunner().invoke(cli, ["extract", str(page), "--url", url, "--db", str(db_path)])
    assert learned.exit_code == 0, learned.output
    assert HOUSE_LINE not in learned.stdout
    assert new_story[0] in learned.stdout
    missing = CliRunner().invoke(
        cli, ["extract", str(page), "--site-context", str(tmp_path / "none.db")]
    )
    assert missing.exit_code == 3 and "archive not found" in missing.output
    old_name = CliRunner().invoke(  # --db's former name still works
        cli, ["extract", str(page), "--url", url, "--site-context", str(db_path)]
    )
    assert old_name.exit_code == 0 and old_name.stdout == learned.stdout
