"""`reprint demo`: publisher names instead of ports, an idempotent re-crawl, `--serve`,
and the demo-only route that leaves the network guard of real crawls intact."""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from archive.db import open_archive
from crawler.cli.demo import _note_foreign_sites
from crawler.demo import DEMO_WEB_SETTING, DemoWebMiddleware, demo_manifest
from crawler.demo.server import FixtureWeb
from crawler.netguard import PrivateAddressGuardMiddleware

from .conftest import CRAWL_TIMEOUT_S, ROOT, DemoArchive, http_server

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes
CLI = [sys.executable, "-W", "error", "-m", "crawler.cli"]
DEMO_HOSTS = {f"{site}.example" for site in demo_manifest()["sites"]}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=CRAWL_TIMEOUT_S
    )


def archive_counts(path: Path) -> dict[str, object]:
    db = open_archive(path, readonly=True)
    try:
        counts: dict[str, object] = {t: db[t].count for t in ("articles", "pages", "raw")}
        counts["sites"] = {r["site"] for r in db.query("SELECT DISTINCT site FROM pages")}
        counts["changes"] = db["article_changes"].count
        return counts
    finally:
        db.close()


def test_demo_names_publishers_and_a_second_run_adds_nothing(
    demo_archive: DemoArchive, tmp_path: Path
) -> None:
    counts = archive_counts(demo_archive.path)
    assert counts["sites"] == DEMO_HOSTS  # glossmag.example, never 127.0.0.1:PORT
    assert counts["articles"] == len(demo_manifest()["stories"])
    tables = demo_archive.output.split("crawl summary", 1)[1].split("browse it:")[0]
    assert "Glossmag" in tables and "127.0.0.1" not in tables
    assert "The Lantern House season 2" in tables  # the sample search

    path = tmp_path / "demo.db"
    shutil.copyfile(demo_archive.path, path)
    again = cli("demo", "--db", str(path))  # the default keeps the archive: a re-crawl
    assert again.returncode == 0, again.stdout + again.stderr
    assert archive_counts(path) == counts  # same stories, pages, sites, no change logged


def test_demo_notes_an_archive_holding_other_sites(
    demo_archive: DemoArchive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old-demo.db"
    shutil.copyfile(demo_archive.path, path)
    with sqlite3.connect(path) as conn:  # as an older demo left it: a site on a port
        conn.execute("UPDATE pages SET site = '127.0.0.1:41234' WHERE id = 1")
    conn.close()
    _note_foreign_sites(str(path))
    assert "127.0.0.1:41234" in capsys.readouterr().err
    _note_foreign_sites(str(demo_archive.path))
    assert capsys.readouterr().err == ""


def test_demo_serve_prints_a_crawl_command_that_works(tmp_path: Path) -> None:
    path = tmp_path / "served.db"
    server = subprocess.Popen(
        [*CLI, "demo", "--serve", "--db", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:  # the command is printed before "Serving"
            lines.append(line)
            if line.startswith("Serving"):
                break
        command = next(line for line in lines if line.strip().startswith("reprint crawl"))
        words = shlex.split(command)
        assert "http://glossmag.example/feed.xml" in words
        crawl = cli(*words[1:], "--no-progress")
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr
        counts = archive_counts(path)
        assert counts["sites"] == DEMO_HOSTS
        assert counts["articles"] == len(demo_manifest()["stories"])
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=CRAWL_TIMEOUT_S)
    assert server.returncode == 0, errors


def test_the_demo_route_lets_nothing_else_through(tmp_path: Path) -> None:
    """With REPRINT_DEMO_WEB set, only NAME.example hosts go to the demo web: links to
    the demo server's own address, to loopback names and to other local servers are
    still refused; without it, NAME.example is just a name that does not resolve."""
    hits: list[str] = []

    def record(handler: BaseHTTPRequestHandler) -> None:
        hits.append(handler.path)
        handler.send_response(200)
        handler.end_headers()

    site = tmp_path / "web" / "news"
    site.mkdir(parents=True)
    (site / "story.html").write_text("<html><body><p>Hello.</p></body></html>")
    with http_server(record) as local, FixtureWeb(tmp_path / "web", domain="example") as web:
        links = [
            f"{web.proxy_url}/story.html",  # the demo server by its address
            "http://localhost/story.html",
            f"{local}/hidden",  # another loopback server
            "http://news.example/story.html",  # the one routed link
        ]
        items = "".join(
            f"<item><title>{i}</title><link>{u}</link></item>" for i, u in enumerate(links)
        )
        (site / "feed.xml").write_text(f'<rss version="2.0"><channel>{items}</channel></rss>')
        base = ["crawl", "--no-progress", "-s", "RETRY_TIMES=0", "--stats-json"]
        routed = cli(
            *base,
            str(tmp_path / "routed.json"),
            "--db",
            str(tmp_path / "routed.db"),
            "-s",
            f"{DEMO_WEB_SETTING}={web.proxy_url}",
            "--feed",
            "http://news.example/feed.xml",
        )
        assert routed.returncode == 0, routed.stdout + routed.stderr
        requested = [path for _, path in web.requests]
    stats = json.loads((tmp_path / "routed.json").read_text())["feeds"]
    assert stats["reprint/skipped/private_address"] == 3
    assert hits == []
    assert requested.count("/story.html") == 1  # only through news.example


def test_without_the_setting_nothing_is_routed() -> None:
    """Real crawls: no demo route, and the guard resolves .example names like any."""
    crawler = get_crawler(settings_dict={DEMO_WEB_SETTING: ""})
    with pytest.raises(NotConfigured):
        DemoWebMiddleware.from_crawler(crawler)
    assert PrivateAddressGuardMiddleware.from_crawler(crawler).demo_web == ""
