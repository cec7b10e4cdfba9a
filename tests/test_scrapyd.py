"""The project deploys to a real scrapyd on 127.0.0.1, which runs a crawl into an archive."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from archive.db import open_archive

from .conftest import CRAWL_TIMEOUT_S, ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawler.demo.server import FixtureWeb


pytestmark = pytest.mark.slow  # real crawls, servers or processes
BIN = Path(sys.executable).parent
STARTUP_DEADLINE_S = 60
POLL_S = 0.2  # between readiness checks of a server we started (bounded by the deadline)


def free_port() -> int:
    """A port the OS just handed out (scrapyd cannot be told to bind port 0 and report it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str, data: dict[str, str] | list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=10) as response:
        return json.loads(response.read())


def wait_until_responds(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while True:
        assert proc.poll() is None, "scrapyd exited at start-up"
        try:
            get_json(url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(POLL_S)


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.2\n"
        f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\ndbs_dir = {home}/dbs\n"
    )
    proc = subprocess.Popen(
        [str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_responds(url + "daemonstatus.json", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_deploy_and_schedule_a_crawl(scrapyd: str, newsroom: FixtureWeb, tmp_path: Path) -> None:
    # build the egg from a copy, so scrapyd-deploy's setup.py and build/ stay out of the tree
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.db")
    for part in ("archive", "crawler"):
        shutil.copytree(ROOT / part, project / part, ignore=ignore)
    for name in ("scrapy.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "env", "-p", "reprint", "--version", "1"],
        cwd=project,
        env={**os.environ, "SCRAPYD_URL": scrapyd},
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_S,
        check=False,
    )
    assert deploy.returncode == 0, deploy.stderr
    assert get_json(scrapyd + "listspiders.json?project=reprint")["spiders"] == [
        "feeds",
        "site",
        "sitemaps",
    ]

    db_path = tmp_path / "scheduled.db"
    job = get_json(
        scrapyd + "schedule.json",
        [
            ("project", "reprint"),
            ("spider", "feeds"),
            ("url", newsroom.url("newsroom", "/feed.xml")),
            ("setting", f"ARCHIVE_PATH={db_path}"),
            ("setting", "REPRINT_ALLOW_HOSTS=127.0.0.1"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
            ("setting", "DOWNLOAD_DELAY=0"),
        ],
    )["jobid"]
    deadline = time.monotonic() + CRAWL_TIMEOUT_S
    while not any(
        j["id"] == job for j in get_json(scrapyd + "listjobs.json?project=reprint")["finished"]
    ):
        assert time.monotonic() < deadline, "the scheduled crawl did not finish"
        time.sleep(POLL_S)
    db = open_archive(db_path, readonly=True)
    assert db["pages"].count == 3
    assert db.execute("SELECT spider, status FROM crawls").fetchall() == [("feeds", "finished")]
