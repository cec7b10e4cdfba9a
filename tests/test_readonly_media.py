"""An archive on read-only media (a read-only mount: a DVD, a share, a container layer) is
read, searched, exported and served; commands that write refuse it with one line."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest

from archive.db import open_archive
from archive.search import search

from .archive_builder import build_archive
from .conftest import ROOT
from .servers import get, get_json, reprint_serve

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ATOM = "{http://www.w3.org/2005/Atom}"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root"),
]


@pytest.fixture(scope="module")
def readonly_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An archive written, checkpointed (its last writer closed), then its filesystem
    remounted read-only: no -wal, no -shm, and none can be created."""
    media = tmp_path_factory.mktemp("media")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(media)], check=True)
    try:
        path = media / "archive.db"
        build_archive(path)
        assert sorted(p.name for p in media.iterdir()) == ["archive.db"]
        subprocess.run(["mount", "-o", "remount,ro", str(media)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(media)], check=False)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "crawler.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_the_library_reads_and_searches_it(readonly_archive: Path) -> None:
    db = open_archive(readonly_archive, readonly=True)
    try:
        assert [hit.title for hit in search(db, "lighthouse")] == [
            "Lighthouse keeper documentary to premiere in June"
        ]
    finally:
        db.close()


@pytest.mark.parametrize(
    "args",
    [("search", "vance"), ("show", "1"), ("stats",)],
)
def test_reading_commands_work(readonly_archive: Path, args: tuple[str, ...]) -> None:
    proc = _cli(*args, "--db", str(readonly_archive))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert "Traceback" not in proc.stderr


def test_export_reads_it(readonly_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "stories.jsonl"
    proc = _cli("export", "--db", str(readonly_archive), "--format", "jsonl", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 3


@pytest.mark.parametrize("command", [("crawl", "--feed", "http://x.example/feed"), ("reextract",)])
def test_writing_commands_refuse_it_in_one_line(
    readonly_archive: Path, command: tuple[str, ...]
) -> None:
    proc = _cli(*command, "--db", str(readonly_archive))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "can be read, not written" in proc.stderr


@pytest.mark.parametrize("extra", [(), ("--immutable",)])
def test_it_is_served(readonly_archive: Path, extra: tuple[str, ...]) -> None:
    with reprint_serve(readonly_archive, *extra) as url:
        hits = get_json(f"{url}archive/articles.json?_search=tour&_shape=array")
        assert [h["title"] for h in hits] == ["Marisol Vance adds eleven tour dates"]
        status, _type, body = get(f"{url}-/reprint/feed.atom")
        assert status == 200
        assert len(ET.fromstring(body).findall(f"{ATOM}entry")) == 3
