"""End-to-end crawl throughput (issue 10): `reprint crawl` against bare trafilatura.

    python -m bench.throughput --pages DIR [--urls 1000] [--profile]

DIR holds real article pages (``*.html`` or ``*.html.gz``: an extraction benchmark's
html/ folder). From them a web is built and served by nginx on 8 loopback hosts
(127.0.0.1-127.0.0.8, one RSS feed and a permissive robots.txt each), in two variants:

- ``copies``: URL i serves page i mod N plus a unique HTML comment (115 pages under
  1000 URLs: 8-9 URLs each), so every body differs but the stories are the same: the
  syndication case, where dedup clusters most pages;
- ``distinct``: the first URL of each page serves it as is, later ones with the words of
  every text run shuffled (markup, scripts and styles untouched), so each URL is its own
  story to dedup; the report gives the crawl's ``reprint/articles_stored`` against the
  pages stored, to show how distinct they came out.

On each variant, over the same bodies, it measures pages/s of: bare
``trafilatura.extract`` in one process and in a 2-process pool (bodies from memory);
the trafilatura CLI fetching the same URL list from nginx; and `reprint crawl` of the
feeds end to end (a fresh archive, a subprocess). For the crawl also: peak RSS of its
process tree (main + extraction workers, polled from /proc), the event loop's largest
lateness (stat ``reprint/loop_lag_max_ms`` of crawler/looplag.py, read from the
archive's ``crawls`` record) and bytes per stored page. With ``--profile`` one more
crawl runs under ``py-spy record --subprocesses`` and its samples are split by cost
(download/reactor, extract, write, dedupe, compress, idle) per process.

Prints markdown tables, writes bench/results/throughput.json (gitignored).
tests/test_throughput.py runs the crawl part on a small generated web in CI.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.procstat import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
# Eight hosts, as the issue measured: all of 127.0.0.0/8 is loopback on Linux, and each
# address is its own Scrapy download slot (CONCURRENT_REQUESTS_PER_DOMAIN applies per host).
HOSTS = tuple(f"127.0.0.{i}" for i in range(1, 9))
VARIANTS = ("copies", "distinct")
SYSTEMS = ("bare1", "bare2", "cli", "scrapy-fetch", "scrapy-first-stage", "reprint")
# the floors of bench/floor.py: the crawl with no work, and with trafilatura's first stage only
FLOORS = {"scrapy-fetch": "fetch", "scrapy-first-stage": "first-stage"}
# The crawl settings the issue was measured with: no politeness delays (it is our own
# server), 32 requests in flight, 8 per host.
CRAWL_SETTINGS = (
    "AUTOTHROTTLE_ENABLED=False",
    "DOWNLOAD_DELAY=0",
    "CONCURRENT_REQUESTS=32",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
)
CRAWL_TIMEOUT_S = 1800  # a 1000-page crawl takes well under a minute; a hang fails the run
NGINX_READY_S = 10.0  # nginx answers in milliseconds; longer means it will not start
NGINX_START_ATTEMPTS = 5  # a port picked free can be taken before nginx binds it
RSS_POLL_S = 0.02  # /proc sampling period of the crawl's process tree
PROFILE_RATE = 100  # py-spy samples a second (its default)
SEED = 10  # issue 10
PUB_DATE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # every feed item's pubDate (any fixed date)

# --- the web


def load_pages(directory: Path) -> list[bytes]:
    """Bodies of the ``*.html`` and ``*.html.gz`` files of ``directory``, by file name.

    :param directory: an extraction benchmark's html/ folder, or any folder of pages
    :raises SystemExit: no page found
    """
    files = sorted(
        p for p in directory.iterdir() if p.name.endswith((".html", ".html.gz")) and p.is_file()
    )
    if not files:
        raise SystemExit(f"no *.html or *.html.gz files in {directory}")
    return [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in files]


# Markup, scripts, styles and comments stay as they are; only the text between them is
# shuffled. Byte-level: ASCII whitespace never occurs inside a UTF-8 or single-byte
# encoded character, so the page keeps its encoding.
_MARKUP = re.compile(
    rb"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>)",
    re.DOTALL | re.IGNORECASE,
)


def shuffle_text(body: bytes, rng: random.Random) -> bytes:
    """``body`` with the words of each run of text between tags in a random order.

    The page keeps its structure, length and vocabulary (extraction and language
    detection do the same work), but its word sequences are new: no 6-word shingle of
    a paragraph of several sentences survives, so dedup sees another story.

    :param body: an HTML page
    :param rng: the source of the order
    """
    parts = _MARKUP.split(body)
    for i in range(0, len(parts), 2):  # even parts are text, odd ones the markup matched
        words = parts[i].split()
        if len(words) > 1:
            rng.shuffle(words)
            lead = b" " if parts[i][:1].isspace() else b""
            tail = b" " if parts[i][-1:].isspace() else b""
            parts[i] = lead + b" ".join(words) + tail
    return b"".join(parts)


@dataclass(slots=True)
class Web:
    """A generated web: one file tree per host under ``www``.

    :param www: document roots, ``www/<host>/``
    :param paths: (host, path) of each article URL, in URL order
    :param bodies: the body each article URL serves, in URL order
    :param variant: "copies" or "distinct"
    :param pages: how many source pages it was built from
    """

    www: Path
    paths: list[tuple[str, str]]
    bodies: list[bytes]
    variant: str
    pages: int

    def urls(self, port: int) -> list[str]:
        """The article URLs on ``port``."""
        return [f"http://{host}:{port}{path}" for host, path in self.paths]

    def feeds(self, port: int) -> list[str]:
        """One RSS feed URL per host."""
        return [f"http://{host}:{port}/feed.xml" for host in HOSTS]


def _title(body: bytes, fallback: str) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title", body, re.DOTALL | re.IGNORECASE)
    text = match.group(1).decode("utf-8", "replace").strip() if match else ""
    return " ".join(text.split())[:200] or fallback


def build_web(pages: list[bytes], total: int, root: Path, variant: str, seed: int = SEED) -> Web:
    """Write ``total`` article URLs over the hosts, their feeds and robots.txt.

    URL i is on host i mod 8 and serves page i mod len(pages) with a comment naming i
    (so no two bodies are equal); in the ``distinct`` variant, copies after a page's
    first have their text shuffled (:func:`shuffle_text`).

    :param pages: source bodies
    :param total: article URLs to serve
    :param root: a fresh directory to write into
    :param variant: "copies" or "distinct"
    :param seed: the shuffles' seed
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    www = root / "www"
    paths: list[tuple[str, str]] = []
    bodies: list[bytes] = []
    items: dict[str, list[str]] = {host: [] for host in HOSTS}
    for i in range(total):
        host = HOSTS[i % len(HOSTS)]
        path = f"/news/{i:05d}.html"
        body = pages[i % len(pages)]
        if variant == "distinct" and i >= len(pages):
            body = shuffle_text(body, random.Random(f"{seed}:{i}"))
        body = body + f"\n<!-- reprint throughput bench: URL {i} -->\n".encode()
        target = www / host / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        paths.append((host, path))
        bodies.append(body)
        items[host].append(
            f"<item><title>{escape(_title(body, f'Story {i}'))}</title>"
            f"<link>{path}</link><guid isPermaLink='false'>bench-{i}</guid>"
            f"<pubDate>{format_datetime(PUB_DATE)}</pubDate></item>"
        )
    for host in HOSTS:
        (www / host).mkdir(parents=True, exist_ok=True)
        # a relative <link> resolves against the feed's URL, so files need no port
        (www / host / "feed.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{host}</title><link>/</link><description>bench</description>"
            + "".join(items[host])
            + "</channel></rss>\n",
            encoding="utf-8",
        )
        (www / host / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    return Web(www=www, paths=paths, bodies=bodies, variant=variant, pages=len(pages))


# --- nginx


def _free_port(hosts: tuple[str, ...]) -> int:
    """A port free on every host address right now (nginx cannot listen on port 0)."""
    while True:
        with socket.socket() as first:
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
        others = []
        try:
            for host in hosts[1:]:
                sock = socket.socket()
                others.append(sock)
                sock.bind((host, port))
            return port
        except OSError:
            continue  # taken on another address: pick again
        finally:
            for sock in others:
                sock.close()


def _nginx_conf(tmp: Path, www: Path, port: int) -> str:
    servers = "".join(
        f"    server {{ listen {host}:{port}; root {www / host}; }}\n" for host in HOSTS
    )
    temp = "".join(
        f"    {kind}_temp_path {tmp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # as root, nginx's workers would switch to "nobody", who cannot read a private tmpdir
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\n"  # one core for the crawl, one for nginx on 2 cores
        f"pid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    access_log off;\n"
        f"{temp}"
        "    types { text/html html; application/rss+xml xml; text/plain txt; }\n"
        "    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        "    keepalive_requests 100000;\n"
        f"{servers}"
        "}\n"
    )


class NginxError(RuntimeError):
    """nginx could not be started."""


class Nginx:
    """nginx serving a :class:`Web` on every host of HOSTS, as a context manager.

    :param www: the web's document roots (``www/<host>/``)
    :param workdir: where its configuration, pid file and logs go
    """

    def __init__(self, www: Path, workdir: Path) -> None:
        self.www = www
        self.tmp = workdir / "nginx"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Nginx:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise NginxError(
                "nginx is needed: `make system-deps` installs it (apt-get install nginx)"
            )
        self.tmp.mkdir(parents=True, exist_ok=True)
        for _ in range(NGINX_START_ATTEMPTS):
            self.port = _free_port(HOSTS)
            conf = self.tmp / "nginx.conf"
            conf.write_text(_nginx_conf(self.tmp, self.www, self.port))
            self.proc = subprocess.Popen(
                [
                    binary,
                    "-p",
                    str(self.tmp),
                    "-c",
                    str(conf),
                    "-e",
                    str(self.tmp / "error.log"),
                    "-g",
                    "daemon off;",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready():
                return self
            self.proc.kill()
            self.proc.wait()
        log = (self.tmp / "error.log").read_text(errors="replace")[-2000:]
        raise NginxError(f"nginx did not start after {NGINX_START_ATTEMPTS} attempts:\n{log}")

    def _wait_ready(self) -> bool:
        """Poll a connection to every host until all answer; False if nginx exited
        (a port taken meanwhile) or the deadline passed."""
        assert self.proc is not None
        deadline = time.monotonic() + NGINX_READY_S
        for host in HOSTS:
            while True:
                try:
                    socket.create_connection((host, self.port), timeout=1.0).close()
                    break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    return False
                try:  # the pause between attempts doubles as the check that nginx is alive
                    self.proc.wait(timeout=0.01)
                    return False
                except subprocess.TimeoutExpired:
                    continue
        return True

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# --- bare trafilatura


def _extract(body: bytes) -> bool:
    import trafilatura

    return trafilatura.extract(body) is not None


def _warm_worker(body: bytes) -> None:
    _extract(body)  # import trafilatura and fill its caches before the clock starts


@dataclass(slots=True)
class Timed:
    """A timed run over a list of pages."""

    pages: int
    seconds: float
    extracted: int  # pages with a text (trafilatura returned one / a file was written)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def bare_single(bodies: list[bytes]) -> Timed:
    """``trafilatura.extract`` over ``bodies`` in this process (after one warm-up page).

    :param bodies: HTML bodies, in memory
    """
    _warm_worker(bodies[0])
    start = time.perf_counter()
    extracted = sum(_extract(body) for body in bodies)
    return Timed(len(bodies), time.perf_counter() - start, extracted)


def bare_pool(bodies: list[bytes], workers: int = 2) -> Timed:
    """``trafilatura.extract`` over ``bodies`` in ``workers`` spawned processes, timed
    once every worker has imported trafilatura and extracted a page.

    :param bodies: HTML bodies, sent to the workers by pickling as a crawl's are
    :param workers: pool size
    """
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_warm_worker, bodies[:workers] * 2))
        start = time.perf_counter()
        extracted = sum(pool.map(_extract, bodies, chunksize=4))
        seconds = time.perf_counter() - start
    return Timed(len(bodies), seconds, extracted)


# The trafilatura CLI refuses loopback addresses (SSRF protection) and waits 5 s between
# two requests to a host; neither belongs in a throughput measurement on our own server.
_TRAFILATURA_CONFIG = """[DEFAULT]
DOWNLOAD_TIMEOUT = 30
MAX_FILE_SIZE = 20000000
MIN_FILE_SIZE = 10
SLEEP_TIME = 0
USER_AGENTS =
COOKIE =
MAX_REDIRECTS = 2
SSRF_PROTECTION = off
INSECURE_SSL_FALLBACK = off
MIN_EXTRACTED_SIZE = 250
MIN_OUTPUT_SIZE = 1
MIN_OUTPUT_COMM_SIZE = 1
MAX_TREE_SIZE =
EXTRACTION_TIMEOUT = 30
MIN_DUPLCHECK_SIZE = 100
MAX_REPETITIONS = 2
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
"""


def trafilatura_cli(urls: list[str], workdir: Path) -> Timed:
    """The trafilatura command line fetching and extracting ``urls`` (its defaults:
    threaded downloads, extraction in its main process), wall time of the process.

    :param urls: article URLs
    :param workdir: where the URL list, its config and its output go
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "urls.txt").write_text("\n".join(urls) + "\n")
    (workdir / "trafilatura.cfg").write_text(_TRAFILATURA_CONFIG)
    out = workdir / "out"
    binary = Path(sys.executable).parent / "trafilatura"
    start = time.perf_counter()
    subprocess.run(
        [
            str(binary),
            "-i",
            str(workdir / "urls.txt"),
            "-o",
            str(out),
            "--config-file",
            str(workdir / "trafilatura.cfg"),
        ],
        check=True,
        capture_output=True,
        timeout=CRAWL_TIMEOUT_S,
    )
    seconds = time.perf_counter() - start
    written = sum(1 for p in out.iterdir() if p.is_file()) if out.exists() else 0
    return Timed(len(urls), seconds, written)


# --- the floors


def floor_crawl(web: Web, port: int, mode: str, workdir: Path) -> dict[str, Any]:
    """bench/floor.py in ``mode`` over the web's feeds with the crawl's settings, in a
    subprocess; its pages, seconds and CPU, and pages/s."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"floor-{mode}.json"
    command = [sys.executable, "-m", "bench.floor", "--mode", mode, "--out", str(out)]
    for feed in web.feeds(port):
        command += ["--feed", feed]
    for setting in CRAWL_SETTINGS:
        command += ["-s", setting]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=CRAWL_TIMEOUT_S)
    result: dict[str, Any] = json.loads(out.read_text())
    result["pages_per_s"] = result["pages"] / result["seconds"] if result["seconds"] else 0.0
    return result


# --- the crawl


# a worker's command line: a spawned one's, or the fork server's (its workers are forks
# of it, its own CPU is their imports)
_WORKER_MARKS = (b"spawn_main", b"multiprocessing.forkserver")


class TreeRss(threading.Thread):
    """Polls /proc for the resident memory of a process and its descendants.

    ``peak`` is the largest sum over the tree at one instant (shared pages counted once
    per process, as RSS does); ``peak_by_pid`` each process's largest. Processes named
    py-spy (the profiler) are left out.

    :param pid: the tree's root
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.peak_by_pid: dict[int, int] = {}
        self.names: dict[int, str] = {}
        # CPU seconds (user + system) each process had used when last seen, and its role
        self.cpu_by_pid: dict[int, float] = {}
        self.role_by_pid: dict[int, str] = {}
        self.stopping = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            # "pid (comm) state ppid ...": comm may contain spaces and parentheses
            ppid = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree

    def _sample(self) -> None:
        total = 0
        for pid in self._tree():
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
                rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.page
            except (OSError, IndexError, ValueError):
                continue
            if name == "py-spy":
                continue
            self._cpu(pid)
            total += rss
            self.names[pid] = name
            self.peak_by_pid[pid] = max(self.peak_by_pid.get(pid, 0), rss)
        self.peak = max(self.peak, total)

    def _cpu(self, pid: int) -> None:
        try:
            # a spawned worker shows its parent's command line until it execs: a "main"
            # that is not the tree's root is looked at again (run B of the third round
            # counted a worker as the main process)
            if self.role_by_pid.get(pid, "main") == "main" and (
                pid not in self.role_by_pid or pid != self.pid
            ):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                self.role_by_pid[pid] = (
                    "tracker"
                    if b"resource_tracker" in cmdline
                    else ("worker" if any(w in cmdline for w in _WORKER_MARKS) else "main")
                )
            self.cpu_by_pid[pid] = cpu_seconds(pid)[0]
        except OSError:
            return

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds used by the crawl's main process and by its workers (summed)."""
        roles: dict[str, float] = {}
        for pid, cpu in self.cpu_by_pid.items():
            role = self.role_by_pid.get(pid, "main")
            roles[role] = roles.get(role, 0.0) + cpu
        return roles

    def run(self) -> None:
        while not self.stopping.wait(RSS_POLL_S):  # a sampling period, not a readiness wait
            self._sample()

    def stop(self) -> None:
        self.stopping.set()
        self.join()


@dataclass(slots=True)
class CrawlResult:
    """What one `reprint crawl` of a web did and cost."""

    urls: int
    wall_s: float  # process start to exit (interpreter start, imports, worker spawn too)
    crawl_s: float  # Scrapy's elapsed_time_seconds: spider opened to closed
    status: str
    pages_fetched: int
    pages_stored: int
    pages_in_archive: int
    articles_stored: int
    errors: dict[str, int]
    loop_lag_max_ms: float | None
    loop_lag_p99_ms: float | None
    peak_rss_tree_mb: float
    peak_rss_main_mb: float
    processes: int
    db_bytes: int
    raw_zstd_bytes: int
    exit_code: int
    stats: dict[str, Any] = field(repr=False)
    # CPU seconds (user + system, from /proc) of the main process and of all workers
    cpu_main_s: float = 0.0
    cpu_workers_s: float = 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages_fetched / self.wall_s if self.wall_s else 0.0

    @property
    def crawl_pages_per_s(self) -> float:
        return self.pages_fetched / self.crawl_s if self.crawl_s else 0.0


def crawl_command(web: Web, port: int, db: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """`reprint crawl` of the web's feeds into ``db`` with the issue's settings (and
    ``extra`` ones, ``NAME=VALUE``)."""
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--no-progress"]
    for feed in web.feeds(port):
        command += ["--feed", feed]
    for host in HOSTS:
        command += ["--allow-host", host]
    for setting in (*CRAWL_SETTINGS, *extra):
        command += ["-s", setting]
    return command


def _profiler() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("--profile needs py-spy: pip install -e '.[bench]'")
    return found


def run_crawl(
    web: Web,
    port: int,
    workdir: Path,
    profile_to: Path | None = None,
    extra: tuple[str, ...] = (),
) -> CrawlResult:
    """Crawl the web's feeds into a fresh archive in a subprocess and read what it did.

    :param web: the served web
    :param port: nginx's port
    :param workdir: where the archive and logs go
    :param profile_to: run under py-spy, writing raw samples here (times then include
        the profiler's overhead)
    :param extra: more Scrapy settings, ``NAME=VALUE``
    """
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "crawl.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    command = crawl_command(web, port, db, extra)
    if profile_to is not None:
        command = [
            _profiler(),
            "record",
            "--subprocesses",
            "--idle",
            "--threads",
            "--format",
            "raw",
            "--rate",
            str(PROFILE_RATE),
            "--output",
            str(profile_to),
            "--",
            *command,
        ]
    log = workdir / "crawl.log"
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        rss = TreeRss(proc.pid)
        rss.start()
        try:
            code = proc.wait(timeout=CRAWL_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            rss.stop()
        wall = time.perf_counter() - start
    return _read_archive(db, web, wall, code, rss)


def _read_archive(db: Path, web: Web, wall: float, code: int, rss: TreeRss) -> CrawlResult:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT status, stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
        status, stats = (row[0], json.loads(row[1] or "{}")) if row else ("missing", {})
        pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
        raw_bytes = conn.execute("SELECT coalesce(sum(compressed_size), 0) FROM raw").fetchone()[0]
    finally:
        conn.close()
    db_bytes = sum(
        Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists()
    )
    # the crawl's own process: the tree's root, or py-spy's child when profiled
    main = [pid for pid, name in rss.names.items() if name not in ("py-spy",)]
    main_pid = min(main) if main else 0
    return CrawlResult(
        urls=len(web.paths),
        wall_s=wall,
        crawl_s=float(stats.get("elapsed_time_seconds") or 0.0),
        status=status,
        pages_fetched=int(stats.get("reprint/pages_fetched", 0)),
        pages_stored=int(stats.get("reprint/pages_stored", 0)),
        pages_in_archive=pages,
        articles_stored=int(stats.get("reprint/articles_stored", 0)),
        errors={k: v for k, v in stats.items() if k.startswith("reprint/errors/")},
        loop_lag_max_ms=stats.get("reprint/loop_lag_max_ms"),
        loop_lag_p99_ms=stats.get("reprint/loop_lag_p99_ms"),
        peak_rss_tree_mb=rss.peak / 2**20,
        peak_rss_main_mb=rss.peak_by_pid.get(main_pid, 0) / 2**20,
        cpu_main_s=rss.cpu_by_role().get("main", 0.0),
        cpu_workers_s=rss.cpu_by_role().get("worker", 0.0),
        processes=len(rss.peak_by_pid),
        db_bytes=db_bytes,
        raw_zstd_bytes=raw_bytes,
        exit_code=code,
        stats=stats,
    )


# --- cost split (py-spy raw samples)

BUCKETS = ("download/reactor", "extract", "write", "dedupe", "compress", "startup", "idle", "other")
# Frames of these files are the work named; a stack goes to the first one found from
# its innermost frame out (dedup called from store.save_page is dedupe, not write).
_BUCKET_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dedupe", ("archive/dedup/", "rensa/")),
    (
        "write",
        (
            "archive/store.py",
            "archive/crawls.py",
            "archive/failures.py",
            "archive/db.py",
            "archive/sitelearn.py",
            "archive/sources.py",
            "sqlite_utils/",
            "sqlite3/",
        ),
    ),
    (
        "extract",
        (
            "archive/extract.py",
            "archive/clean.py",
            "archive/metadata.py",
            "trafilatura/",
            "lxml/",
            "lxml_html_clean/",
            "justext/",
            "htmldate/",
            "courlan/",
            "charset_normalizer/",
            "dateparser/",
        ),
    ),
)
# A thread whose innermost frame is in one of these waits for work (py-spy --idle
# samples waiting threads too, and its raw output does not mark them).
_IDLE_FILES = (
    "selectors.py",
    "concurrent/futures/thread.py",
    "multiprocessing/connection.py",
    "multiprocessing/queues.py",
    "multiprocessing/synchronize.py",
    "threading.py",
    "queue.py",
)
# ... or is the reactor's loop itself: uvloop's (crawler/settings.py ASYNCIO_EVENT_LOOP)
# waits for I/O in C, so a sample of the waiting reactor ends in the Python frame that
# started the loop, where the selector loop's ended in selectors.py
_IDLE_FUNCTIONS = ("AsyncioSelectorReactor.run",)
# the thread name prefix of crawler/pipelines.py ArchivePipeline's writer (issue 10)
WRITER_THREAD = "reprint-writer"
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*):(?P<line>\d+)\)$")
_PROCESS = re.compile(r'(?:^|;)process (?P<pid>\d+):"')
_THREAD = re.compile(r";thread \((?P<tid>\d+)\)[^;]*")


# Where raw bodies are compressed: in the extraction worker (archive/prepare.py) since
# issue 10, in the crawl's main process (archive/store.py) before.
_COMPRESS_MODULES = ("archive/prepare.py", "archive/store.py")


def _compress_lines() -> set[tuple[str, int]]:
    """(file, line) of the lines that call zstandard: a C call has no frame of its own,
    so its samples end in the calling line."""
    lines = set()
    for module in _COMPRESS_MODULES:
        source = (ROOT / module).read_text().splitlines()
        lines |= {
            (module, n) for n, text in enumerate(source, 1) if "_compressor.compress(" in text
        }
    return lines


def _role(sample: str) -> str | None:
    # by the process's command line and its frames both: py-spy gives an empty command
    # line for a process it could not read it of, and a worker was once counted as main
    if "resource_tracker" in sample:
        return None  # multiprocessing's bookkeeping process: nothing of the crawl's
    return "extract worker" if any(w.decode() in sample for w in _WORKER_MARKS) else "crawl (main)"


def classify(frames: list[str], compress_lines: set[tuple[str, int]], role: str) -> str:
    """The bucket of one main-thread stack (outermost frame first).

    :param frames: py-spy frames "func (file:line)", outermost first
    :param compress_lines: (module, line) of the lines that call zstandard
    :param role: "crawl (main)" or "extract worker"
    """
    parsed = [m for m in map(_FRAME.match, frames) if m]
    if not parsed:
        return "other"
    if parsed[-1]["file"].endswith(_IDLE_FILES) or parsed[-1]["func"] in _IDLE_FUNCTIONS:
        return "idle"
    if any("importlib" in m["file"] for m in parsed):
        return "startup"
    for m in reversed(parsed):
        file = m["file"]
        if any(
            file.endswith(module) and (module, int(m["line"])) in compress_lines
            for module in _COMPRESS_MODULES
        ):
            return "compress"
        for bucket, markers in _BUCKET_FILES:
            if any(marker in file for marker in markers):
                return bucket
    return "download/reactor" if role == "crawl (main)" else "other"


def cost_split(raw: Path) -> dict[str, dict[str, int]]:
    """Main-thread samples of each kind of process by bucket, from py-spy's raw output.

    Each process's main thread is counted (the reactor's in the crawl, the extraction
    loop's in a worker), and the crawl's archive writer thread; other helper threads
    mostly wait, and would swamp "idle". Workers are summed.

    :param raw: ``py-spy record --subprocesses --idle --threads --format raw`` output
    """
    compress_lines = _compress_lines()
    split: dict[str, dict[str, int]] = {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        # process frames come first, and a command line may itself contain ";"
        thread = _THREAD.search(stack)
        processes = list(_PROCESS.finditer(stack, 0, thread.start() if thread else 0))
        if thread is None or not processes:
            continue
        if thread["tid"] != processes[-1]["pid"]:  # on Linux the main thread's id is the pid
            if WRITER_THREAD not in thread.group(0):
                continue  # helper threads mostly wait
            role = "archive writer thread"
        else:
            role = _role(stack[processes[-1].start() :])
        if role is None:
            continue
        frames = stack[thread.end() :].split(";")[1:]
        bucket = classify(frames, compress_lines, role)
        counts = split.setdefault(role, dict.fromkeys(BUCKETS, 0))
        counts[bucket] += int(count)
    return split


def profile_crawl(web: Web, port: int, workdir: Path) -> dict[str, Any]:
    """One more crawl under py-spy; its cost split and the profiled run's figures."""
    raw = workdir / "profile.txt"
    result = run_crawl(web, port, workdir, profile_to=raw)
    split = cost_split(raw) if raw.exists() else {}
    return {
        "rate": PROFILE_RATE,
        "pages": result.pages_fetched,
        "pages_per_s_profiled": result.pages_per_s,
        "wall_s_profiled": result.wall_s,
        "samples": split,
    }


# --- the run


def measure_variant(
    pages: list[bytes],
    total: int,
    variant: str,
    workdir: Path,
    systems: tuple[str, ...] = SYSTEMS,
    profile: bool = False,
    crawl_settings: tuple[str, ...] = (),
    rounds: int = 1,
) -> dict[str, Any]:
    """Build one variant of the web, serve it and measure ``systems`` on it.

    :param pages: source bodies
    :param total: article URLs
    :param variant: "copies" or "distinct"
    :param workdir: a directory of its own for this variant
    :param systems: any of :data:`SYSTEMS`
    :param profile: also run a crawl under py-spy for the cost split
    :param crawl_settings: more Scrapy settings for `reprint crawl`, ``NAME=VALUE``
    :param rounds: with bare1 and reprint among ``systems``, this many crawls, each
        between two bare1 runs, and report the round of the median ratio (see
        :func:`_paired`)
    """
    web = build_web(pages, total, workdir / "web", variant)
    result: dict[str, Any] = {"variant": variant, "urls": total, "source_pages": len(pages)}
    paired = rounds > 1 and "bare1" in systems and "reprint" in systems
    if "bare1" in systems and not paired:
        result["bare1"] = _timed_figures(bare_single(web.bodies))
    if "bare2" in systems:
        result["bare2"] = _timed_figures(bare_pool(web.bodies, 2))
    with Nginx(web.www, workdir) as nginx:
        if "cli" in systems:
            result["cli"] = _timed_figures(trafilatura_cli(web.urls(nginx.port), workdir / "cli"))
        for name, mode in FLOORS.items():
            if name in systems:
                result[name] = floor_crawl(web, nginx.port, mode, workdir / "floors")
        if paired:
            result["rounds"] = _paired(web, nginx.port, workdir / "crawl", crawl_settings, rounds)
            by_ratio = sorted(result["rounds"], key=lambda r: r["ratio"])
            median = by_ratio[len(by_ratio) // 2]
            result["bare1"], result["reprint"] = median["bare1"], median["reprint"]
        elif "reprint" in systems:
            result["reprint"] = _crawl_figures(
                run_crawl(web, nginx.port, workdir / "crawl", extra=crawl_settings)
            )
        if profile:
            result["profile"] = profile_crawl(web, nginx.port, workdir / "profile")
    return result


def _timed_figures(timed: Timed) -> dict[str, Any]:
    return {**asdict(timed), "pages_per_s": timed.pages_per_s}


def _crawl_figures(crawl: CrawlResult) -> dict[str, Any]:
    return {
        **asdict(crawl),
        "pages_per_s": crawl.pages_per_s,
        "crawl_pages_per_s": crawl.crawl_pages_per_s,
    }


def _paired(
    web: Web, port: int, workdir: Path, crawl_settings: tuple[str, ...], rounds: int
) -> list[dict[str, Any]]:
    """``rounds`` crawls, each between two bare1 runs (bare1, crawl, bare1, crawl, ...,
    bare1), each crawl's ratio to the mean of the bare1 runs just before and after it.

    On a shared machine the speed drifts by 10-30% within one run: bare1 alone, measured
    only before each crawl, gave 30.9 and 39.8 pages/s in two rounds a minute apart, and
    ratios of 1.28 to 1.73 for the same crawler (issue 10's eighth round). The mean of
    the runs on either side cancels a drift that is steady over the round.
    """
    before = _timed_figures(bare_single(web.bodies))
    measured = []
    for _ in range(rounds):
        crawl = _crawl_figures(run_crawl(web, port, workdir, extra=crawl_settings))
        after = _timed_figures(bare_single(web.bodies))
        bare = {
            "pages": before["pages"],
            "pages_per_s": (before["pages_per_s"] + after["pages_per_s"]) / 2,
            "before_pages_per_s": before["pages_per_s"],
            "after_pages_per_s": after["pages_per_s"],
        }
        measured.append(
            {"bare1": bare, "reprint": crawl, "ratio": crawl["pages_per_s"] / bare["pages_per_s"]}
        )
        before = after
    return measured


def ratios(result: dict[str, Any]) -> dict[str, float]:
    """Each system's pages/s over one-process bare trafilatura's."""
    base = result.get("bare1", {}).get("pages_per_s")
    if not base:
        return {}
    out = {
        name: result[name]["pages_per_s"] / base
        for name in ("bare2", "cli", *FLOORS, "reprint")
        if name in result
    }
    if "reprint" in result:
        out["reprint (crawl time)"] = result["reprint"]["crawl_pages_per_s"] / base
    return out


def markdown(results: list[dict[str, Any]]) -> str:
    """The report: throughput per variant, the crawl's figures, and cost splits."""
    lines = [
        "| variant | URLs | bare 1 proc pages/s | bare 2 procs | trafilatura CLI | reprint crawl "
        "(wall) | reprint (crawl time) | bare2/bare1 | CLI/bare1 | **reprint/bare1** |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def rate(res: dict[str, Any], name: str, key: str = "pages_per_s") -> str:
        return f"{res[name][key]:.1f}" if name in res else "-"

    for res in results:
        r = ratios(res)
        lines.append(
            f"| {res['variant']} | {res['urls']} | {rate(res, 'bare1')} | {rate(res, 'bare2')} "
            f"| {rate(res, 'cli')} | {rate(res, 'reprint')} "
            f"| {rate(res, 'reprint', 'crawl_pages_per_s')} | "
            + " | ".join(f"{r[k]:.2f}" if k in r else "-" for k in ("bare2", "cli"))
            + (
                f" | **{r['reprint']:.2f}** ({r['reprint (crawl time)']:.2f}) |"
                if "reprint" in r
                else " | - |"
            )
        )
    for res in results:
        if res.get("rounds"):
            each = ", ".join(
                f"{r['ratio']:.2f} ({r['bare1']['before_pages_per_s']:.1f} and "
                f"{r['bare1']['after_pages_per_s']:.1f} / {r['reprint']['pages_per_s']:.1f})"
                for r in res["rounds"]
            )
            lines += [
                "",
                f"{res['variant']}: {len(res['rounds'])} crawls, each between two bare1 runs; "
                "reprint/bare1 of each round (bare1 before and after / crawl pages/s, the "
                f"ratio to the mean of the two): {each}; the table shows the round of the "
                "median ratio.",
            ]
    floors = [res for res in results if any(name in res for name in FLOORS)]
    if floors:
        lines += [
            "",
            "Floors (bench/floor.py): the same crawl of the same web doing no work with the "
            "pages (scrapy-fetch), or only decoding, parsing and trafilatura's first stage "
            "in a 2-process pool (scrapy-first-stage); nothing stored; timed from the "
            "crawl's start, like the crawl time above; CPU includes start-up:",
            "",
            "| variant | system | pages | pages/s | /bare1 | CPU ms/page main + workers |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for res in floors:
            r = ratios(res)
            for name in FLOORS:
                if name in res:
                    f = res[name]
                    pages = max(f["pages"], 1)
                    lines.append(
                        f"| {res['variant']} | {name} | {f['pages']} | {f['pages_per_s']:.1f} "
                        f"| {r.get(name, 0):.2f} | {f['cpu_main_s'] * 1e3 / pages:.1f} + "
                        f"{f['cpu_workers_s'] * 1e3 / pages:.1f} |"
                    )
    crawls = [res for res in results if "reprint" in res]
    if crawls:
        lines += [
            "",
            "| variant | pages fetched / stored | articles | peak RSS tree (main) MB | processes "
            "| loop lag max / p99 ms | DB bytes/page | raw zstd bytes/page "
            "| CPU ms/page main + workers | status | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for res in crawls:
            c = res["reprint"]
            stored = max(c["pages_stored"], 1)
            lines.append(
                f"| {res['variant']} | {c['pages_fetched']} / {c['pages_stored']} "
                f"| {c['articles_stored']} "
                f"| {c['peak_rss_tree_mb']:.0f} ({c['peak_rss_main_mb']:.0f}) "
                f"| {c['processes']} | {c['loop_lag_max_ms']} / {c['loop_lag_p99_ms']} "
                f"| {c['db_bytes'] / stored:,.0f} | {c['raw_zstd_bytes'] / stored:,.0f} "
                f"| {c.get('cpu_main_s', 0) * 1e3 / stored:.1f} + "
                f"{c.get('cpu_workers_s', 0) * 1e3 / stored:.1f} "
                f"| {c['status']} | {sum(c['errors'].values())} |"
            )
    for res in results:
        prof = res.get("profile")
        if not prof:
            continue
        lines += [
            "",
            f"Cost split, {res['variant']}: share of each process's main-thread samples "
            f"({prof['rate']}/s; workers summed) and, in brackets, ms of that thread per "
            f"page; profiled run {prof['pages_per_s_profiled']:.1f} pages/s:",
            "",
            "| process | samples | " + " | ".join(BUCKETS) + " |",
            "|---|---:|" + "---:|" * len(BUCKETS),
        ]
        pages = prof.get("pages") or res["urls"]
        for role, counts in sorted(prof["samples"].items()):
            total = sum(counts.values()) or 1
            ms = {b: 1000 * counts[b] / prof["rate"] / pages for b in BUCKETS}
            lines.append(
                f"| {role} | {total} | "
                + " | ".join(f"{100 * counts[b] / total:.0f}% ({ms[b]:.1f})" for b in BUCKETS)
                + " |"
            )
    return "\n".join(lines)


def _machine() -> dict[str, Any]:
    import trafilatura

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "trafilatura": trafilatura.__version__,
        "loadavg": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, help="folder of *.html / *.html.gz article pages")
    parser.add_argument("--urls", type=int, default=1000, help="article URLs to serve")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument(
        "--profile", action="store_true", help="one more crawl under py-spy for the cost split"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="this many crawls, each between two bare1 runs (the median ratio)",
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "throughput.json")
    parser.add_argument("--keep", type=Path, help="build the webs and archives here, and keep them")
    parser.add_argument(
        "--render", action="store_true", help="print the tables of the --json file and stop"
    )
    args = parser.parse_args(argv)
    if args.render:
        print(markdown(json.loads(args.json.read_text())["results"]))
        return 0
    if args.pages is None:
        parser.error("--pages is required")
    pages = load_pages(args.pages)
    systems = tuple(s for s in args.systems.split(",") if s)
    report: dict[str, Any] = {
        "machine": _machine(),
        "settings": list(CRAWL_SETTINGS),
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="reprint-throughput-") as scratch:
        base = args.keep or Path(scratch)
        for variant in args.variants.split(","):
            print(f"{variant}: {args.urls} URLs from {len(pages)} pages…", file=sys.stderr)
            res = measure_variant(
                pages,
                args.urls,
                variant,
                base / variant,
                systems,
                args.profile,
                rounds=max(1, args.rounds),
            )
            res["ratios"] = ratios(res)
            report["results"].append(res)
    report["machine"]["loadavg_after"] = os.getloadavg()
    print(markdown(report["results"]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
