"""Every command and every option of `reprint` fed hostile values: no traceback, one of
the documented exit statuses, and nothing on the terminal that a page wrote (markup,
escape sequences). The commands run in-process (click's CliRunner), on real archives
built by tests/archive_builder.py; an exception other than SystemExit is a traceback."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import click
import pytest
from click.testing import CliRunner, Result

from archive.db import open_archive
from crawler.cli import cli
from crawler.cli.errors import Exit

from .archive_builder import build_archive

if TYPE_CHECKING:
    from pathlib import Path

DOCUMENTED = {int(status) for status in Exit}
# what a page may hold that a terminal must never receive raw: ESC (escape sequences,
# e.g. clear screen, set the window title), the one-character CSI, BEL
TERMINAL_CONTROLS = ("\x1b", "\x9b", "\x07")
HOSTILE_TITLE = "\x1b]0;owned\x07\x1b[2J[bold red]Lantern[/] \x9b31m House\u202e"
HOSTILE_AUTHOR = "[/]"

# Commands not run here: `demo` replaces the archive it is given and crawls (its own
# tests), `serve` would keep serving a valid archive (tests/test_serve.py).
NOT_RUN = {"demo", "serve"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A real archive whose first article has a hostile title and author, and the bad
    files a person may give instead of one."""
    root = tmp_path_factory.mktemp("fuzz")
    archive = root / "archive.db"
    build_archive(archive)
    db = open_archive(archive)
    db.execute(
        "UPDATE articles SET title = ?, author = ? WHERE id = 1", [HOSTILE_TITLE, HOSTILE_AUTHOR]
    )
    db.execute(
        "UPDATE pages SET title = ?, site_name = ? WHERE article_id = 1", [HOSTILE_TITLE] * 2
    )
    db.conn.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    truncated = root / "truncated.db"
    truncated.write_bytes(archive.read_bytes()[:4096])
    text = root / "notes.txt"
    text.write_text("not a database\n")
    empty = root / "empty.db"
    empty.touch()
    page = root / "page.html"
    page.write_text("<html><body><article><p>Short.</p></article></body></html>")
    folder = root / "folder"
    folder.mkdir()
    return {
        "archive": archive,
        "truncated": truncated,
        "text": text,
        "empty": empty,
        "page": page,
        "folder": folder,
        "root": root,
    }


def hostile_values(files: dict[str, Path]) -> list[str]:
    return [
        "",
        "0",
        "-1",
        str(2**63),
        "-" + str(10**30),
        "\x00",
        "a\x00b",
        "\x1b[2J\x1b]0;t\x07",
        "\x9b31m",
        "[/]",
        "[bold red]x[/bold",
        "-",
        "x" * 5000,
        "\udcff",  # what an argument of undecodable bytes becomes
        str(files["root"] / "missing.db"),
        str(files["folder"]),
        str(files["text"]),
        str(files["truncated"]),
        str(files["empty"]),
    ]


def base_args(name: str, files: dict[str, Path], scratch: Path) -> list[str]:
    """Arguments under which each command does its work without the network and
    without blocking; a hostile value given after them replaces the same option."""
    archive = str(scratch / "archive.db")
    return {
        "crawl": ["--db", archive, "--sources", str(scratch / "no-sources.toml")],
        "write": ["--db", archive, "--redis", f"unix://{scratch / 'no-redis.sock'}"],
        "search": ["lantern", "--db", archive],
        "show": ["1", "--db", archive],
        "stats": ["--db", archive],
        "schedule": ["--every", "1h", "--db", archive, "--unit-dir", str(scratch / "units")],
        "reextract": ["--db", archive, "--site", "nowhere.example"],
        "dedupe": ["--db", archive],
        "extract": [str(files["page"]), "--db", archive],
        "export": ["--db", archive, "--out", str(scratch / "out.jsonl")],
    }[name]


def with_value(args: list[str], param: click.Parameter, value: str | None) -> list[str]:
    """``args`` with ``param`` set to ``value`` (None: a flag given)."""
    if isinstance(param, click.Argument):
        positions = [i for i, a in enumerate(args) if not a.startswith("-")]
        # the base args name each command's argument first
        return (
            [value or "", *args[1:]]
            if positions and positions[0] == 0
            else [*args, "--", value or ""]
        )
    name = param.opts[0]
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == name:
            skip = True
            continue
        out.append(arg)
    return [*out, name] if value is None else [*out, name, value]


def cases() -> list[tuple[str, str]]:
    assert isinstance(cli, click.Group)
    return [
        (name, param.name or "")
        for name, command in sorted(cli.commands.items())
        if name not in NOT_RUN
        for param in command.params
        if param.name not in ("help",)
    ]


def check(result: Result, what: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        what,
        result.exc_info,
    )
    assert result.exit_code in DOCUMENTED, (what, result.exit_code, result.output)
    assert "Traceback" not in result.output, (what, result.output)
    # an export to stdout is data for another program, byte for byte as stored (a file
    # export would be the same); what reprint itself says goes to stderr
    shown = result.stderr if "'--out', '-'" in what else result.output
    for control in TERMINAL_CONTROLS:
        assert control not in shown, (what, shown)


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a hostile value may become a file name ("0", "-1", an escape sequence): a crawl or
    # an export creates it, relative to the working folder, which must not be the checkout
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("command", "param_name"), cases())
def test_hostile_values_give_one_line_and_a_documented_status(
    command: str, param_name: str, files: dict[str, Path], tmp_path: Path
) -> None:
    shutil.copy(files["archive"], tmp_path / "archive.db")
    command_obj = cli.commands[command]  # type: ignore[attr-defined]
    param = next(p for p in command_obj.params if p.name == param_name)
    base = base_args(command, files, tmp_path)
    runner = CliRunner()
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        values: list[str | None] = [None]
    else:
        values = list(hostile_values(files))
    for value in values:
        args = [command, *with_value(base, param, value)]
        check(runner.invoke(cli, args, catch_exceptions=True), repr(args))


def test_the_base_invocations_work(files: dict[str, Path], tmp_path: Path) -> None:
    """The fuzz starts from invocations that reach each command's work."""
    shutil.copy(files["archive"], tmp_path / "archive.db")
    expected = {"crawl": Exit.USAGE, "write": Exit.FAILED, "extract": Exit.FAILED}
    for name in sorted(set(cli.commands) - NOT_RUN):  # type: ignore[attr-defined]
        result = CliRunner().invoke(cli, [name, *base_args(name, files, tmp_path)])
        check(result, name)
        assert result.exit_code == expected.get(name, Exit.OK), (name, result.output)


@pytest.mark.parametrize("bad", ["truncated", "text", "empty", "folder", "missing"])
def test_an_unusable_archive_is_one_line(files: dict[str, Path], bad: str) -> None:
    path = str(files.get(bad, files["root"] / "missing.db"))
    for args in (["stats"], ["show", "1"], ["search", "x"], ["export"], ["reextract"]):
        result = CliRunner().invoke(cli, [*args, "--db", path])
        check(result, f"{args} {bad}")
        expected = Exit.USAGE if bad == "folder" else Exit.ARCHIVE  # a directory: click's
        assert result.exit_code == expected, (args, bad, result.output)
        lines = result.output.strip().splitlines()
        # one line saying what is wrong (click adds its usage lines to a usage error)
        assert sum(line.startswith("Error:") for line in lines) == 1, result.output
        assert len(lines) == 1 or lines[0].startswith("Usage:"), result.output
