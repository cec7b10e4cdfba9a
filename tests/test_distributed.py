"""Distributed crawls on a real redis-server: workers share the queue and the seen-set,
one writer stores what they fetched."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
import redis

from archive.db import open_archive
from crawler.redis_writer import ITEMS_KEY, UNREADABLE_KEY

from .conftest import CRAWL_TIMEOUT_S, FAST, ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from crawler.fixture_server import FixtureWeb

STARTUP_DEADLINE_S = 30
POLL_S = 0.05  # between readiness checks of the redis-server we started


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a unix socket (no TCP port at all)."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed: `make test` installs it (apt-get install redis-server)"
    socket_path = tmp_path / "redis.sock"
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"unix://{socket_path}"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    try:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "redis did not start"
                time.sleep(POLL_S)
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)


def worker(url: str, feed: str, tmp_path: Path, n: int) -> subprocess.Popen[str]:
    cmd = [
        sys.executable,
        "-W",
        "error",
        "-m",
        "crawler.cli",
        "crawl",
        "--redis",
        url,
        "--db",
        str(tmp_path / f"worker{n}.db"),
        "--no-progress",
        *FAST,
        "--feed",
        feed,
    ]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_workers_share_the_queue_and_one_writer_stores(
    redis_url: str, newsroom: FixtureWeb, tmp_path: Path
) -> None:
    feed = newsroom.url("newsroom", "/feed.xml")
    workers = [worker(redis_url, feed, tmp_path, n) for n in range(2)]
    try:
        results = [proc.communicate(timeout=CRAWL_TIMEOUT_S) for proc in workers]
    finally:
        for proc in workers:  # never leave a worker behind a failed test
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for proc, (out, errors) in zip(workers, results, strict=True):
        assert proc.returncode == 0, errors  # also the worker that found the queue empty
        assert "queued in Redis" in out
    paths = [p for _, p in newsroom.requests]
    for story in ("/stories/first/", "/stories/second/"):
        assert paths.count(story) + paths.count(story + "?utm_source=rss") == 1  # shared seen-set
    assert not (tmp_path / "worker0.db").exists()  # workers keep no archive
    client = redis.Redis.from_url(redis_url)
    assert client.llen(ITEMS_KEY) == 3
    client.rpush(ITEMS_KEY, b"{not a page")  # a bad entry must not stop or be lost

    db_path = tmp_path / "archive.db"
    write = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "crawler.cli",
            "write",
            "--redis",
            redis_url,
            "--db",
            str(db_path),
            "--until-empty",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_S,
        check=False,
    )
    assert write.returncode == 0, write.stderr
    assert "stored 3 pages" in write.stdout and "1 unreadable" in write.stdout
    db = open_archive(db_path, readonly=True)
    assert db["pages"].count == 3
    assert db.execute("SELECT spider, status FROM crawls").fetchall() == [
        ("redis-writer", "finished")
    ]
    assert client.llen(ITEMS_KEY) == 0 and client.lrange(UNREADABLE_KEY, 0, -1) == [b"{not a page"]

    # a later run fetches the feed again but no page it has seen
    asked = len(newsroom.requests)
    proc = worker(redis_url, feed, tmp_path, 3)
    try:
        proc.communicate(timeout=CRAWL_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert [p for _, p in newsroom.requests[asked:] if "/stories/" in p] == []
    client.close()


def test_unreachable_redis_is_a_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import cli

    url = f"unix://{tmp_path / 'no-such.sock'}"
    for args in (
        ["crawl", "--redis", url, "--feed", "http://127.0.0.1:1/f.xml"],
        ["write", "--redis", url, "--db", str(tmp_path / "a.db")],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1
        assert f"cannot reach Redis at {url}" in result.output
