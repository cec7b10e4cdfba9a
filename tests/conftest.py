"""Shared fixtures: fixture webs on 127.0.0.1 (port 0) and the one crawl helper."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive.db import open_archive
from crawler.demo import DEMO_WEB
from crawler.demo.server import SHUTDOWN_POLL_S, FixtureWeb

SITES = Path(__file__).parent / "sites"
ROOT = Path(__file__).parent.parent
# Generous bound for one crawl of a fixture web (they take 2-10 s); a hang fails the test.
CRAWL_TIMEOUT_S = 180


@pytest.fixture
def demo_web() -> Iterator[FixtureWeb]:
    """The embedded demo web (three publishers), served on 127.0.0.1."""
    with FixtureWeb(DEMO_WEB) as web:
        yield web


@dataclass(frozen=True)
class DemoArchive:
    """The archive `reprint demo` built, and what the command printed."""

    path: Path
    output: str


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> DemoArchive:
    """The archive `make demo` builds (`reprint demo`), built once per session: tests
    read it, and copy it before changing it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-m", "crawler.cli", "demo", "--db", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=CRAWL_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return DemoArchive(path, proc.stdout)


@pytest.fixture
def newsroom() -> Iterator[FixtureWeb]:
    """tests/sites/newsroom: good articles beside broken and hostile ones."""
    with FixtureWeb(SITES, sites=["newsroom"]) as web:
        yield web


# Fixture webs answer at once: no throttling, and one extraction worker keeps tests light.
NO_WAITING = (
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "REPRINT_EXTRACT_WORKERS=1",
    "-s",
    "REPRINT_RETRY_AFTER_DEFAULT=0.1",
)
# fixture webs live on loopback, which crawls refuse by default
FIXTURE_HOST = "127.0.0.1"
FAST = (*NO_WAITING, "--allow-host", FIXTURE_HOST)


def run_crawl(
    db_path: Path,
    *args: str,
    expect_exit: int | None = 0,
    env: Mapping[str, str] | None = None,
    allow_host: str = FIXTURE_HOST,
) -> tuple[dict[str, Any], Database]:
    """Run `reprint crawl` in a subprocess (a fresh Twisted reactor each time, as a user
    would run it) and return (stats by spider, the archive opened read-only).

    :param db_path: the archive file
    :param args: sources and options for `reprint crawl`
    :param expect_exit: the exit status the crawl must end with (None: any)
    :param env: environment variables to set for the crawl, beside this process's
    :param allow_host: the one host the crawl may reach although it is not public (the
        fixture web's)
    """
    stats_path = db_path.with_suffix(".stats.json")
    cmd = [
        sys.executable,
        "-W",
        "error",  # warnings are errors in the crawling process too
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        str(db_path),
        "--stats-json",
        str(stats_path),
        "--no-progress",
        *NO_WAITING,
        "--allow-host",
        allow_host,
        *args,
    ]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_S,
        cwd=ROOT,
        check=False,
        env={**os.environ, **env} if env else None,
    )
    if expect_exit is not None:
        assert proc.returncode == expect_exit, (
            f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    return stats, open_archive(db_path, readonly=True)


@contextmanager
def http_server(
    handle: Callable[[http.server.BaseHTTPRequestHandler], None],
    host: str = FIXTURE_HOST,
) -> Iterator[str]:
    """Serve every GET with ``handle(request_handler)`` (which writes the whole response)
    on ``host`` (a loopback address; port 0); yield the base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handle(self)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S}, daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def recording_server(respond: Callable[[str], bytes]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``respond(path)`` with status 200 on 127.0.0.1 (port 0); yield the base URL
    and the list of every request path, in order (a proxy's: the absolute URL)."""
    hits: list[str] = []

    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        hits.append(request.path)
        payload = respond(request.path)
        request.send_response(200)
        request.end_headers()
        request.wfile.write(payload)

    with http_server(handle) as url:
        yield url, hits


@pytest.fixture
def secret_server() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that serves a secret (and a DTD declaring one) and records
    every request path: XML parsers must never ask it for anything."""
    with recording_server(
        lambda path: (
            b'<!ENTITY leak "NETWORK-SECRET">' if path.endswith(".dtd") else b"NETWORK-SECRET"
        )
    ) as served:
        yield served
