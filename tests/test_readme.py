"""Docs as tests: every shell command, SQL statement, Python block and URL of the README's
Quick start, Querying, Serving and Python API sections runs as written on the archive
`make demo` builds, and shows something of the demo (its names, dates, words).

A code block preceded by the line ``<!-- docs-test: network -->`` is an example of
syntax that needs the network (crawling real sites) and is not run; keep those few.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.demo import demo_manifest

from .conftest import ROOT, DemoArchive
from .servers import get, plain_datasette, reprint_serve

if TYPE_CHECKING:
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes
SECTIONS = ("Quick start", "Querying the archive", "Serving", "Python API")
NETWORK_MARK = "<!-- docs-test: network -->"
# Marked blocks: examples of crawling real sites. A short list, on purpose.
MOST_NETWORK_BLOCKS = 1
DEMO_DB = "demo.db"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Served URLs the sections name: paths in backticks, and curl's full URLs
SERVED_PATH = re.compile(r"`(/(?:archive|-/reprint)[^`\s]*)`")
CURL_URL = re.compile(r"curl '(http://127\.0\.0\.1:8001(/[^']*))'")
DATE = re.compile(r"\b20\d\d-\d\d-\d\d")
SCRIPT_TIMEOUT_S = 120


@dataclass(frozen=True)
class Block:
    section: str
    lang: str
    code: str
    network: bool


def readme_sections() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    sections = {part.split("\n", 1)[0].strip(): part for part in parts[1:]}
    missing = [name for name in SECTIONS if name not in sections]
    assert not missing, f"README has no section {missing}"
    return {name: sections[name] for name in SECTIONS}


def readme_blocks(lang: str) -> list[Block]:
    blocks = []
    for name, text in readme_sections().items():
        for match in FENCE.finditer(text):
            before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
            blocks.append(Block(name, match.group(1), match.group(2), before == NETWORK_MARK))
    return [b for b in blocks if b.lang == lang]


def commands(lang: str = "sh") -> list[list[str]]:
    """The shell commands of the runnable blocks, as argument lists (comments dropped)."""
    found = []
    for block in readme_blocks(lang):
        if not block.network:
            found += [w for w in map(_split, block.code.splitlines()) if w]
    return found


def _split(line: str) -> list[str]:
    return shlex.split(line, comments=True)


def demo_words() -> list[str]:
    """What of the demo an answer may show: hosts, publisher and story names, authors."""
    manifest = demo_manifest()
    words = [f"{site}.example" for site in manifest["sites"]] + ["Glossmag"]
    for story in manifest["stories"].values():
        words += [story["title"], story["author"]]
    return words


def shows_the_demo(text: str) -> bool:
    return any(word in text for word in demo_words()) or DATE.search(text) is not None


@pytest.fixture
def demo_dir(demo_archive: DemoArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding demo.db as `make demo` leaves it (a copy)."""
    shutil.copyfile(demo_archive.path, tmp_path / DEMO_DB)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_network_examples_are_few_and_parse(demo_dir: Path) -> None:
    """Marked blocks are not run, but each `reprint` command in them must still parse:
    the examples of syntax stay true to the options."""
    marked = [b for lang in ("sh", "python", "sql") for b in readme_blocks(lang) if b.network]
    assert len(marked) <= MOST_NETWORK_BLOCKS
    parsed = 0
    for block in marked:
        for words in filter(None, map(_split, block.code.splitlines())):
            pipeline = " ".join(words).split(" | ")
            for command in (c.split(" ") for c in pipeline):
                assert command[0] in ("reprint", "scrapy", "curl"), command
                if command[0] == "reprint":
                    for name in command:  # a page file the example reads
                        if name.endswith(".html"):
                            (demo_dir / name).write_text("<p>page</p>")
                    ctx = cli.make_context("reprint", command[1:])
                    subcommand = cli.get_command(ctx, command[1])
                    assert subcommand is not None, command
                    subcommand.make_context(command[1], command[2:], parent=ctx).close()
                    ctx.close()
                    parsed += 1
    assert parsed >= len(marked)


def test_shell_commands_run_on_the_demo_archive(demo_dir: Path) -> None:
    ran = 0
    for words in commands():
        if words[:2] == ["make", "demo"] or words[0] == ".":
            continue  # the demo_archive fixture is `make demo`; the venv is this one
        if words[:2] == ["reprint", "serve"] or words[0] == "datasette":
            continue  # long-running: test_serving_commands_and_urls
        assert words[0] == "reprint", f"unexpected command in the README: {words}"
        result = CliRunner().invoke(cli, words[1:])
        assert result.exit_code == 0, (words, result.output)
        shown = result.output
        if "--out" in words:
            shown += (demo_dir / words[words.index("--out") + 1]).read_text(encoding="utf-8")
        assert shows_the_demo(shown), (words, shown)
        ran += 1
    assert ran >= 5


def test_sql_runs_on_the_demo_archive(demo_dir: Path) -> None:
    conn = sqlite3.connect(f"file:{demo_dir / DEMO_DB}?mode=ro", uri=True)
    statements = [
        "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--"))
        for block in readme_blocks("sql")
        for chunk in block.code.split(";")
    ]
    statements = [s for s in statements if s.strip()]
    assert len(statements) >= 5
    for sql in statements:
        rows = conn.execute(sql).fetchall()
        assert rows and shows_the_demo(repr(rows)), (sql, rows)
    conn.close()


def test_python_blocks_run_on_the_demo_archive(demo_dir: Path) -> None:
    blocks = [b for b in readme_blocks("python") if not b.network]
    assert blocks
    for block in blocks:
        proc = subprocess.run(
            [sys.executable, "-W", "error", "-c", block.code],
            capture_output=True,
            text=True,
            cwd=demo_dir,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=SCRIPT_TIMEOUT_S,
        )
        assert proc.returncode == 0, proc.stderr
        assert shows_the_demo(proc.stdout), proc.stdout


def test_serving_commands_and_urls(demo_dir: Path) -> None:
    """Each serve command starts and shows the stories; every URL the sections name
    answers on the first one with the demo's content. (Servers bind port 0 or a socket
    here, not 8001.)"""
    serves = [w for w in commands() if w[:2] == ["reprint", "serve"] or w[0] == "datasette"]
    serves = [list(w) for w in dict.fromkeys(map(tuple, serves))]  # each command once
    assert len(serves) >= 3
    text = "\n".join(readme_sections().values())
    paths = set(SERVED_PATH.findall(text)) | {path for _, path in CURL_URL.findall(text)}
    assert len(paths) >= 8
    with ExitStack() as stack:
        homes = []
        for n, words in enumerate(serves):
            if words[0] == "datasette":
                files = [str(demo_dir / w) if w.endswith(".db") else w for w in words[1:]]
                client = stack.enter_context(plain_datasette(*files, sock=demo_dir / f"{n}.sock"))
                homes.append(client.get("/").text)
                continue
            assert words[2:4] == ["--db", DEMO_DB], words
            url = stack.enter_context(reprint_serve(demo_dir / DEMO_DB, *words[4:]))
            homes.append(get(url)[2].decode())
            if n == 0:
                for path in sorted(paths):
                    status, _type, body = get(url + path.lstrip("/"))
                    assert status == 200, (path, body[:300])
                    assert shows_the_demo(body.decode()), (path, body[:300])
    assert all("The stories" in home and shows_the_demo(home) for home in homes)
