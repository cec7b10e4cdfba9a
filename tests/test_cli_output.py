"""How `reprint` prints untrusted text: rich markup as written, no terminal controls
(crawler/cli/output.py), on a real archive whose story carries them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from click.testing import CliRunner

from archive.db import open_archive
from crawler.cli import cli
from crawler.cli.output import json_text, plain

from .archive_builder import build_archive

if TYPE_CHECKING:
    from pathlib import Path

TITLE = "\x1b]0;owned\x07\x1b[2J[bold red]Lantern[/] \x9b31m House\u202e"


def test_plain_replaces_controls_and_keeps_the_text() -> None:
    assert plain("a\x1b[2Jb") == "a\ufffd[2Jb"  # what is left of a sequence is visible text
    assert plain("\x9b31m\x07\x00\x7f") == "\ufffd31m\ufffd\ufffd\ufffd"
    assert plain("right\u202eto left") == "right\ufffdto left"
    assert plain("one\ntwo\tthree") == "one two three"
    assert plain("one\ntwo\tthree", multiline=True) == "one\ntwo\tthree"
    assert plain("[/] [bold]é 東京") == "[/] [bold]é 東京"
    assert plain(None) == ""


def test_json_text_escapes_c1_controls_and_stays_json() -> None:
    data = {"title": TITLE, "site": "café"}
    text = json_text(data)
    assert "\x9b" not in text and "\x1b" not in text and "café" in text
    assert json.loads(text) == data


def test_stored_markup_and_escapes_print_as_text(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    build_archive(path)
    db = open_archive(path)
    db.execute("UPDATE articles SET title = ?, author = ? WHERE id = 1", [TITLE, "[/]"])
    db.execute("UPDATE pages SET title = ?, site_name = ? WHERE article_id = 1", [TITLE] * 2)
    db.conn.commit()
    db.close()
    runner = CliRunner()
    for args in (
        ["show", "1"],
        ["show", "1", "--json"],
        ["search", "lantern OR glasshouse"],
        ["stats"],
    ):
        result = runner.invoke(cli, [*args, "--db", str(path)])
        assert result.exit_code == 0, (args, result.output)  # [/] was a MarkupError
        assert not any(c in result.output for c in ("\x1b", "\x9b", "\x07")), args
    shown = runner.invoke(cli, ["show", "1", "--db", str(path)]).output
    assert "author: [/]" in shown and "[bold red]Lantern[/]" in shown  # as written
