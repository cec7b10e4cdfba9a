"""Distributed crawls on a real redis-server: workers share the queue and the seen-set,
one writer stores what they fetched."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import redis

from archive.db import open_archive
from bench.faults import build_web
from crawler.demo.server import FixtureWeb
from crawler.redis_writer import ITEMS_KEY, UNREADABLE_KEY, UNSTORABLE_KEY

from .conftest import CRAWL_TIMEOUT_S, FAST, ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes
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


def worker(
    url: str, feed: str, tmp_path: Path, n: int, *extra: str, **popen: Any
) -> subprocess.Popen[str]:
    """Start `reprint crawl --redis` (worker ``n``) with options ``extra``."""
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
        *extra,
    ]
    popen = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.Popen(cmd, cwd=ROOT, text=True, **popen)


def write_until_empty(url: str, db_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `reprint write --until-empty` into ``db_path``."""
    return subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "crawler.cli",
            "write",
            "--redis",
            url,
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


def test_two_workers_share_the_queue_and_one_writer_stores(
    redis_url: str, newsroom: FixtureWeb, tmp_path: Path
) -> None:
    feed = newsroom.url("newsroom", "/feed.xml")
    workers = [
        worker(redis_url, feed, tmp_path, n, "--stats-json", str(tmp_path / f"{n}.json"))
        for n in range(2)
    ]
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
    for n in range(2):
        stats = json.loads((tmp_path / f"{n}.json").read_text())["feeds"]
        # every lease ended when its request did (broken pages, failed fetches too)
        assert stats.get("reprint/leases_finished_at_close", 0) == 0, stats
    paths = [p for _, p in newsroom.requests]
    for story in ("/stories/first/", "/stories/second/"):
        assert paths.count(story) + paths.count(story + "?utm_source=rss") == 1  # shared seen-set
    assert not (tmp_path / "worker0.db").exists()  # workers keep no archive
    client = redis.Redis.from_url(redis_url)
    assert client.llen(ITEMS_KEY) == 3
    client.rpush(ITEMS_KEY, b"{not a page")  # a bad entry must not stop or be lost
    # a page that reads but cannot be stored (a lone surrogate in its text) once failed
    # its batch on every run, holding the queue forever
    poison = json.loads(client.lindex(ITEMS_KEY, 0))
    poison["url"] = poison["final_url"] = "https://poison.example/p"
    poison["extracted"]["text"] = "broken \ud800 text"
    client.rpush(ITEMS_KEY, json.dumps(poison))  # ASCII JSON: \ud800 as an escape

    db_path = tmp_path / "archive.db"
    write = write_until_empty(redis_url, db_path)
    assert write.returncode == 0, write.stderr
    assert "stored 3 pages" in write.stdout and "1 unreadable" in write.stdout
    assert "1 unstorable" in write.stdout
    db = open_archive(db_path, readonly=True)
    assert db["pages"].count == 3
    assert db.execute("SELECT spider, status FROM crawls").fetchall() == [
        ("redis-writer", "finished")
    ]
    assert client.llen(ITEMS_KEY) == 0 and client.lrange(UNREADABLE_KEY, 0, -1) == [b"{not a page"]
    assert [json.loads(p)["url"] for p in client.lrange(UNSTORABLE_KEY, 0, -1)] == [poison["url"]]

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


# Short leases, so the test sees a dead worker's requests come back within seconds
LEASES = ("-s", "REPRINT_LEASE_SECONDS=2", "-s", "REPRINT_LEASE_RECLAIM_INTERVAL=0.5")
KILL_AFTER_PAGES = 10


def test_a_killed_worker_loses_nothing_and_every_page_is_stored_once(
    redis_url: str, tmp_path: Path
) -> None:
    # hardening issue: a SIGKILLed worker's popped requests were gone from the queue with
    # their fingerprints in the seen-set, so no later worker ever fetched them
    pages = 80
    build_web(tmp_path / "web", pages, seed=11)  # every page answers after a delay
    client = redis.Redis.from_url(redis_url)
    with FixtureWeb(tmp_path / "web") as web:
        feed = web.url("faults", "/feed.xml")
        a = worker(
            redis_url,
            feed,
            tmp_path,
            0,
            *LEASES,
            "-s",
            "LOG_LEVEL=DEBUG",  # "Crawled (200)" lines tell how far it got
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # its extraction workers die with it
        )
        assert a.stderr is not None
        fetched = 0
        try:
            for line in a.stderr:
                if "Crawled (200)" in line and "/story/" in line:
                    fetched += 1
                    if fetched == KILL_AFTER_PAGES:
                        break
        finally:
            os.killpg(a.pid, signal.SIGKILL)
            a.wait()
            a.stderr.close()
        assert fetched == KILL_AFTER_PAGES
        leased_at_kill = sum(client.zcard(key) for key in client.scan_iter("*:leases"))
        pushed_at_kill = client.llen(ITEMS_KEY)

        stats_path = tmp_path / "b.stats.json"
        b = worker(redis_url, feed, tmp_path, 1, *LEASES, "--stats-json", str(stats_path))
        try:
            _, errors = b.communicate(timeout=CRAWL_TIMEOUT_S)
        finally:
            if b.poll() is None:
                b.kill()
                b.communicate()
        assert b.returncode == 0, errors
    stats = json.loads(stats_path.read_text())["feeds"]

    db_path = tmp_path / "archive.db"
    write = write_until_empty(redis_url, db_path)
    assert write.returncode == 0, write.stderr
    db = open_archive(db_path, readonly=True)
    urls = [url for (url,) in db.execute("SELECT url FROM pages")]
    stored = {urlsplit(url).path for url in urls}
    missing = sorted({f"/story/{n}/" for n in range(pages)} - stored)
    assert missing == [], f"never fetched: {missing}"
    assert len(urls) == len(set(urls)) == pages  # a page fetched twice is stored once
    # the kill did catch A with requests taken and not done, and B took them back
    assert leased_at_kill > 0 and pushed_at_kill < pages
    assert stats.get("reprint/leases_reclaimed", 0) > 0, stats
    assert stats.get("reprint/leases_finished_at_close", 0) == 0, stats  # nothing untracked
    assert not [key for key in client.scan_iter("*:lease*")]  # every lease finished
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
