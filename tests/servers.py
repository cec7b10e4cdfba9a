"""Start `reprint serve` (or plain datasette) in a subprocess and wait until it answers.

The port is chosen by the OS (--port 0) and read back from the line the server prints;
readiness is polled over HTTP with a deadline, never guessed with a sleep.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from .conftest import ROOT

# Generous bounds for a loaded CI machine; a server that hangs fails the test, not CI.
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
POLL_INTERVAL_S = 0.05


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True)
    reader.start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"server printed nothing within {timeout}s") from None


def wait_until_responds(url: str, timeout: float = START_TIMEOUT_S) -> None:
    """Poll ``url`` until it answers (any HTTP status), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError as exc:
            exc.close()
            return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout}s") from None
            time.sleep(POLL_INTERVAL_S)  # polling interval, not a wait for readiness


@contextmanager
def reprint_serve(db_path: Path, *extra: str) -> Iterator[str]:
    """Run `reprint serve --port 0` on the archive; yield its base URL (ending in /)."""
    cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db_path), "--port", "0"]
    with subprocess.Popen(
        [*cmd, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            line = _first_line(proc, START_TIMEOUT_S)
            assert " at http://127.0.0.1:" in line, line + (proc.stderr.read() if not line else "")
            url = line.split(" at ", 1)[1].strip()
            wait_until_responds(url + "-/versions.json")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def plain_datasette(*args: str, sock: Path) -> Iterator[httpx.Client]:
    """Run ``datasette serve ARGS --uds SOCK`` (plain datasette, the plugin loaded through
    its entry point); yield an HTTP client talking to it once the socket exists."""
    with subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", *args, "--uds", str(sock)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            with httpx.Client(
                transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://datasette"
            ) as client:
                deadline = time.monotonic() + START_TIMEOUT_S
                while not sock.exists():
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                    assert time.monotonic() < deadline, "datasette did not start"
                    time.sleep(POLL_INTERVAL_S)  # polling interval, not a wait for readiness
                yield client
        finally:
            proc.terminate()
            proc.wait(timeout=STOP_TIMEOUT_S)


def get(url: str) -> tuple[int, str, bytes]:
    """GET ``url``: (status, content type, body), HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("content-type", ""), exc.read()


def get_json(url: str) -> Any:
    status, _type, body = get(url)
    assert status == 200, (url, status, body[:500])
    return json.loads(body)
