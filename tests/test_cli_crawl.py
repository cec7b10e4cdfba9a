"""`reprint crawl` as a person meets it: real crawls of a small news web on 127.0.0.1 in a
subprocess; the failed sources named, Ctrl-C (a real SIGINT), --limit."""

from __future__ import annotations

import http.server
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from archive.db import open_archive

from .archive_builder import page_html
from .conftest import CRAWL_TIMEOUT_S, FAST, ROOT, http_server, run_crawl

if TYPE_CHECKING:
    from collections.abc import Iterator


pytestmark = pytest.mark.slow  # real crawls, servers or processes
WORDS = (
    "premiere season finale studio network critics viewers drama comedy award festival",
    "director producer actor soundtrack trailer sequel casting ratings streaming episode",
    "broadcast documentary interview release schedule cinema audience script rehearsal",
)
VOCABULARY = " ".join(WORDS).split(" ")


def story(number: int) -> list[str]:
    """Four paragraphs of article text unlike any other number's (no two cluster)."""
    rng = random.Random(number)
    words = [rng.choice(VOCABULARY) for _ in range(160)]
    return [f"Story {number}: {' '.join(words[i : i + 40])}." for i in range(0, 160, 40)]


class NewsWeb:
    """A feed of ``stories`` articles at /feed.xml; /missing.xml is a 404. While
    ``gate`` is closed, article pages wait for it (pages stay in flight)."""

    def __init__(self, stories: int) -> None:
        self.stories = stories
        self.gate = threading.Event()
        self.gate.set()
        self.article_asked = threading.Event()
        self.base = ""

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>Story {n}</title><link>{self.base}/story/{n}</link></item>"
            for n in range(self.stories)
        )
        channel = f"<channel><title>News</title>{items}</channel>"
        return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()

    def handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        if request.path == "/feed.xml":
            status, body, kind = 200, self.feed(), "application/rss+xml"
        elif request.path.startswith("/story/"):
            self.article_asked.set()
            self.gate.wait(CRAWL_TIMEOUT_S)
            number = int(request.path.rsplit("/", 1)[1])
            status, body, kind = 200, page_html(f"Story {number}", story(number)), "text/html"
        else:
            status, body, kind = 404, b"not here", "text/plain"
        try:
            request.send_response(status)
            request.send_header("Content-Type", kind)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except ConnectionError:
            pass  # a crawl stopped at once hung up on its pages in flight


@contextmanager
def news_web(stories: int) -> Iterator[NewsWeb]:
    web = NewsWeb(stories)
    with http_server(web.handle) as base:
        web.base = base
        try:
            yield web
        finally:
            web.gate.set()  # let no handler thread wait past the test


def _crawl(
    db_path: Path, *args: str, expect_exit: int, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-W", "error", "-m", "crawler.cli", "crawl", "--db", str(db_path)]
    proc = subprocess.run(
        [*cmd, "--no-progress", *FAST, *args],
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_S,
        cwd=ROOT,
        check=False,
        env=env,
    )
    assert proc.returncode == expect_exit, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def test_failed_sources_are_named_problems_summed_and_exit_5(tmp_path: Path) -> None:
    with news_web(3) as web:
        proc = _crawl(
            tmp_path / "a.db",
            "--feed",
            f"{web.base}/feed.xml",
            "--feed",
            f"{web.base}/missing.xml",
            "--sitemap",
            f"{web.base}/missing-sitemap.xml",
            "--feed",
            "http://nowhere.invalid/feed.xml",  # .invalid never resolves (RFC 6761)
            "-s",
            "RETRY_TIMES=0",
            expect_exit=5,  # a configured source is dead
        )
    assert f"feed failed: {web.base}/missing.xml: HTTP 404" in proc.stderr
    assert f"sitemap failed: {web.base}/missing-sitemap.xml: HTTP 404" in proc.stderr
    # its robots.txt failing too used to log a traceback (_crawl asserts none)
    assert "feed failed: http://nowhere.invalid/feed.xml: DNS lookup failed" in proc.stderr
    # one 404 in each spider: the line sums them (it used to show the last spider's)
    assert "errors/http_404 2" in proc.stdout
    assert "sources failed" in proc.stdout and "new articles" in proc.stdout
    db = open_archive(tmp_path / "a.db", readonly=True)
    assert db["articles"].count == 3


def test_a_crawl_opens_no_console_and_leaves_no_file_in_the_home(tmp_path: Path) -> None:
    """Scrapy's RemoteControl (on by default since 2.19) would serve an HTTP endpoint that
    runs posted Python and write its token to a job file in the user's state directory."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
    with news_web(2) as web:
        proc = _crawl(
            tmp_path / "a.db",
            "--feed",
            f"{web.base}/feed.xml",
            "-s",
            "LOG_LEVEL=INFO",
            expect_exit=0,
            env=env,
        )
    assert open_archive(tmp_path / "a.db", readonly=True)["articles"].count == 2
    assert "Remote control" not in proc.stderr and "Telnet" not in proc.stderr
    assert list(home.rglob("*")) == []


def test_the_consoles_are_not_even_imported() -> None:
    """Scrapy imports every class EXTENSIONS names, a switched-off one too: RemoteControl's
    aiohttp cost ~100 ms of each crawl's start-up. The consoles are out of the base list."""
    probe = (
        "import sys\n"
        "from scrapy.utils.conf import build_component_list\n"
        "from crawler.run import crawl_settings\n"
        "extensions = crawl_settings().get_component_priority_dict_with_base('EXTENSIONS')\n"
        "names = build_component_list(extensions)\n"
        "print(sorted(n for n in names if 'telnet' in n or 'remote_control' in n))\n"
        "print('aiohttp' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "False"]


def test_a_name_refused_by_the_resolver_says_allow_host(tmp_path: Path) -> None:
    name = socket.gethostname()  # /etc/hosts names this machine with a local address
    from crawler.netpolicy import is_public_ip

    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if any(is_public_ip(str(a)) for a in addresses):
        pytest.skip(f"{name} resolves to a public address here")
    with news_web(1) as web:
        port = web.base.rsplit(":", 1)[1]
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(tmp_path / "r.db")]
        proc = subprocess.run(
            [*cmd, "--no-progress", "-s", "RETRY_TIMES=0", "--feed", f"http://{name}:{port}/f"],
            capture_output=True,
            text=True,
            timeout=CRAWL_TIMEOUT_S,
            cwd=ROOT,
            check=False,
        )
    assert proc.returncode == 4, proc.stderr  # nothing could be fetched
    assert f"--allow-host {name.lower()}" in proc.stderr and "Traceback" not in proc.stderr
    assert "skipped/private_address" in proc.stdout and "errors/dns" not in proc.stdout


def test_limit_stops_after_n_new_articles_and_the_next_crawl_gets_the_rest(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "l.db"
    # pages arrive slower than they are committed (as from a real web, unlike the
    # instant fixture server), so the limit is seen while most of the feed is unfetched;
    # extraction in a thread: no worker process to start while pages pile up; one
    # request at a time (what Scrapy handed its downloader is in flight, and stored)
    paced = (
        *("-s", "DOWNLOAD_DELAY=0.2", "-s", "REPRINT_COMMIT_ITEMS=1"),
        *("-s", "REPRINT_EXTRACT_WORKERS=0", "-s", "CONCURRENT_REQUESTS=1"),
    )
    with news_web(16) as web:
        feed = f"{web.base}/feed.xml"
        stats, db = run_crawl(db_path, "--feed", feed, "--limit", "2", *paced)
        stored = db["articles"].count
        assert stats["feeds"]["finish_reason"] == "closespider_articles"
        assert 2 <= stored < 16
        db.close()
        # the feed's validators were not saved: it is read in full again
        run_crawl(db_path, "--feed", feed)
    db = open_archive(db_path, readonly=True)
    assert db["articles"].count == 16


class BlockedCrawl:
    """`reprint crawl` of a news web whose article pages hang at the server; started,
    it returns once one page is in flight. Its stderr is read line by line as it comes."""

    def __init__(self, db_path: Path, web: NewsWeb) -> None:
        web.gate.clear()
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db_path)]
        self.proc = subprocess.Popen(
            [*cmd, "--no-progress", *FAST, "--feed", f"{web.base}/feed.xml"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert web.article_asked.wait(CRAWL_TIMEOUT_S), "the crawl never asked for an article"

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, text: str) -> None:
        """Until the crawl prints a line containing ``text``."""
        while text not in self.lines.get(timeout=CRAWL_TIMEOUT_S):
            pass

    def finish(self) -> tuple[int, str, str]:
        """Wait for the crawl to end: (exit status, stdout, all of stderr)."""
        assert self.proc.stdout is not None and self.proc.stderr is not None
        stdout = self.proc.stdout.read()
        self.proc.wait(CRAWL_TIMEOUT_S)
        self.reader.join(CRAWL_TIMEOUT_S)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, stdout, "".join(self.lines.queue)


INTERRUPTED = "stopping after the pages in flight; Ctrl-C again to stop now; the next run resumes"


def test_ctrl_c_twice_exits_130_and_the_next_run_resumes(tmp_path: Path) -> None:
    db_path = tmp_path / "c.db"
    with news_web(6) as web:
        crawl = BlockedCrawl(db_path, web)
        crawl.proc.send_signal(signal.SIGINT)
        crawl.wait_for(INTERRUPTED)
        crawl.proc.send_signal(signal.SIGINT)  # the pages in flight still hang: stop now
        crawl.wait_for("stopping now; the next run resumes")
        status, stdout, stderr = crawl.finish()
        web.gate.set()
        assert status == 130, stderr
        assert "Traceback" not in stderr
        assert "interrupted" in stdout  # the summary says how the spider ended
        db = open_archive(db_path, readonly=True)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        _, db = run_crawl(db_path, "--feed", f"{web.base}/feed.xml")
    assert db["articles"].count == 6
    assert [s for (s,) in db.execute("SELECT status FROM crawls ORDER BY id")] == [
        "interrupted",
        "finished",
    ]


def test_one_ctrl_c_stores_the_pages_in_flight_and_exits_130(tmp_path: Path) -> None:
    db_path = tmp_path / "g.db"
    with news_web(6) as web:
        crawl = BlockedCrawl(db_path, web)
        crawl.proc.send_signal(signal.SIGINT)
        crawl.wait_for(INTERRUPTED)
        web.gate.set()  # the pages in flight arrive
        status, _, stderr = crawl.finish()
    assert status == 130 and "Traceback" not in stderr
    db = open_archive(db_path, readonly=True)
    assert db["articles"].count >= 1  # what was in flight was stored
    assert [s for (s,) in db.execute("SELECT status FROM crawls")] == ["interrupted"]


def test_a_spider_that_did_not_finish_exits_6(tmp_path: Path) -> None:
    with news_web(3) as web:
        proc = _crawl(
            tmp_path / "m.db",
            "--feed",
            f"{web.base}/feed.xml",
            # Scrapy's memory guard stops the spider at its first check
            "-s",
            "MEMUSAGE_LIMIT_MB=1",
            "-s",
            "MEMUSAGE_CHECK_INTERVAL_SECONDS=0.01",
            expect_exit=6,
        )
    assert "memusage_exceeded" in proc.stdout
