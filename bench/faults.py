"""Fault campaign: crawls killed with SIGKILL at random points, then resumed; crawls
whose archive fills its disk or whose write lock is held by another process.

Kill rounds: a fresh archive; `reprint crawl` of a generated fixture web is started,
killed (the whole process group, as systemd would) after a random number of fetched
pages, then run again to completion. Checked after the resume: every article page is
stored, none twice, the database passes `PRAGMA integrity_check`, and the killed run is
recorded as interrupted.

Storage rounds (issue 15): the archive lives on a small tmpfs that fills mid-crawl
(`disk-full`), or another connection takes the write lock mid-crawl and holds it
(`held-lock`). The crawl must never count a page as stored that is not in the archive,
exit 3, and save no feed validator (ETag): once space is freed or the lock released,
the next crawl gets the feed in full (not a 304) and stores every page.

    python bench/faults.py --rounds 50 --pages 40 --seed 1

Writes bench/results/faults.json and prints a summary table; exit status 1 when any
round lost, duplicated or corrupted anything.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.demo.server import FixtureWeb  # noqa: E402

# Each page answers after this long, so a crawl lasts long enough to be killed mid-way.
PAGE_DELAY_MS = 30
# Small batches: kills land between, inside and after commits.
COMMIT_ITEMS = 3
CRAWL_TIMEOUT_S = 300
WORDS = (
    "season",
    "cast",
    "finale",
    "premiere",
    "drama",
    "streaming",
    "series",
    "episode",
    "reunion",
    "interview",
    "tour",
    "album",
    "red",
    "carpet",
    "director",
    "writer",
    "studio",
    "ratings",
    "audience",
    "critics",
    "award",
    "nominee",
    "trailer",
    "release",
    "schedule",
    "spin-off",
    "reboot",
    "character",
    "storyline",
    "soap",
    "quiz",
    "host",
)


FILLER_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class RoundResult:
    """What one kill-and-resume round found."""

    round: int
    killed_after_pages: int  # article pages the killed run had fetched
    stored_at_kill: int  # of which committed to the archive when it died
    expected: int
    stored: int
    duplicates: int
    integrity: str
    statuses: list[str]

    @property
    def ok(self) -> bool:
        return (
            self.stored == self.expected
            and self.duplicates == 0
            and self.integrity == "ok"
            and self.statuses[-1] == "finished"
            and "running" not in self.statuses
        )


def build_web(root: Path, pages: int, seed: int, *, padding: bool = False) -> None:
    """A site of ``pages`` distinct stories, each slow to answer, listed by one feed.

    :param padding: give each page ~12 KB of random markup outside the article (stored
        with the raw body), so that a small disk fills after a few dozen pages
    """
    rng = random.Random(seed)
    site = root / "faults"
    site.mkdir(parents=True)
    routes = {}
    items = []
    for n in range(pages):
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + f" story {n} part {k}.</p>"
            for k in range(4)
        )
        noise = "".join(rng.choices(FILLER_CHARS, k=12_000)) if padding else ""
        filler = f"<!-- {noise} -->" if padding else ""
        html = (
            f"<html><head><title>Story {n}</title></head><body>{filler}<article>"
            f"<h1>Story {n}</h1>{paragraphs}</article></body></html>"
        )
        routes[f"/story/{n}/"] = {"delay_ms": PAGE_DELAY_MS, "body": html}
        items.append(
            f"<item><title>Story {n}</title><link>{{{{site:faults}}}}/story/{n}/</link></item>"
        )
    (site / "_routes.json").write_text(json.dumps(routes))
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{"".join(items)}'
        "</channel></rss>"
    )


def _crawl_cmd(db: Path, feed: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        str(db),
        "--feed",
        feed,
        "--allow-host",
        "127.0.0.1",
        "--no-progress",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        f"REPRINT_COMMIT_ITEMS={COMMIT_ITEMS}",
        "-s",
        "REPRINT_EXTRACT_WORKERS=1",
        "-s",
        "LOG_LEVEL=DEBUG",
    ]


def _fetched_a_story(line: str) -> bool:
    """Whether a crawl's log line reports an article page fetched."""
    return "Crawled (200)" in line and "/story/" in line


def crawl_and_kill(db: Path, feed: str, after_pages: int) -> int:
    """Start a crawl and SIGKILL its process group once it has fetched ``after_pages``
    article pages (read from its log, no timers); return how many it had fetched."""
    proc = subprocess.Popen(
        _crawl_cmd(db, feed),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    fetched = 0
    for line in proc.stderr:
        if _fetched_a_story(line):
            fetched += 1
            if fetched >= after_pages:
                break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return fetched


def crawl_and_terminate(db: Path, feed: str, after_pages: int, stats: Path) -> int:
    """Start a crawl and send its main process SIGTERM (as `systemctl stop` does) once it
    has fetched ``after_pages`` article pages; return its exit status. Scrapy then shuts
    down gracefully: what was fetched must be stored or not counted."""
    proc = subprocess.Popen(
        [*_crawl_cmd(db, feed), "--stats-json", str(stats)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    fetched = 0
    for line in proc.stderr:  # read to the end: the crawl must not block on its log
        if _fetched_a_story(line):
            fetched += 1
            if fetched == after_pages:
                proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=CRAWL_TIMEOUT_S)
    proc.stderr.close()
    return code


def resume(db: Path, feed: str) -> None:
    """Run the crawl to completion."""
    subprocess.run(
        _crawl_cmd(db, feed), cwd=ROOT, capture_output=True, timeout=CRAWL_TIMEOUT_S, check=True
    )


def stored_pages(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.OperationalError:  # killed before the schema was committed
        return 0
    finally:
        conn.close()


def check(
    db: Path, expected: int, round_no: int, killed_after: int, stored_at_kill: int
) -> RoundResult:
    """Count what the archive holds after the resume."""
    conn = sqlite3.connect(db)
    try:
        stored = conn.execute("SELECT count(*) FROM pages WHERE url LIKE '%/story/%'").fetchone()[0]
        distinct = conn.execute(
            "SELECT count(DISTINCT url) FROM pages WHERE url LIKE '%/story/%'"
        ).fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        statuses = [r[0] for r in conn.execute("SELECT status FROM crawls ORDER BY id")]
    finally:
        conn.close()
    return RoundResult(
        round=round_no,
        killed_after_pages=killed_after,
        stored_at_kill=stored_at_kill,
        expected=expected,
        stored=stored,
        duplicates=stored - distinct,
        integrity=integrity,
        statuses=statuses,
    )


@dataclass
class StorageRoundResult:
    """What one disk-full or held-lock round found."""

    fault: str  # disk-full | held-lock
    expected: int
    exit_code: int  # of the crawl that met the fault
    reported_stored: int  # reprint/pages_stored of that crawl
    actually_stored: int  # pages in the archive after it
    validators_saved: bool  # a feed ETag/Last-Modified recorded by that crawl
    resumed_exit_code: int  # of the crawl after the fault was cleared
    stored_after_resume: int
    integrity: str

    @property
    def ok(self) -> bool:
        return (
            self.reported_stored == self.actually_stored
            and self.exit_code == EXIT_ARCHIVE_ERROR
            and not self.validators_saved
            and self.resumed_exit_code == 0
            and self.stored_after_resume == self.expected
            and self.integrity == "ok"
        )


EXIT_ARCHIVE_ERROR = 3
# A tmpfs this small takes the schema and a few dozen pages, then fills.
DISK_FULL_TMPFS = "1m"
# Storage rounds: short waits, so a held lock fails a batch in a fraction of a second.
STORAGE_ROUND_SETTINGS = (
    "REPRINT_BUSY_TIMEOUT_MS=200",
    "REPRINT_COMMIT_SECONDS=0.2",
    "REPRINT_STORE_MAX_FAILURES=3",
)


def _storage_crawl_cmd(db: Path, feed: str, stats: Path) -> list[str]:
    cmd = [*_crawl_cmd(db, feed), "--stats-json", str(stats)]
    for setting in STORAGE_ROUND_SETTINGS:
        cmd += ["-s", setting]
    return cmd


def _start_faulty_crawl(
    fault: str, db: Path, feed: str, workdir: Path, *, log: bool
) -> subprocess.Popen[str]:
    """Start the crawl that meets ``fault``; its stats go where _storage_check reads them.

    :param log: pipe its log (to act on what it fetched) rather than discard it
    """
    return subprocess.Popen(
        _storage_crawl_cmd(db, feed, workdir / f"{fault}-stats.json"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if log else subprocess.DEVNULL,
        text=True,
    )


def _reported_stored(stats: Path) -> int:
    data = json.loads(stats.read_text())
    return sum(s.get("reprint/pages_stored", 0) for s in data.values())


def _validators_saved(db: Path) -> bool:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT count(*) FROM sources WHERE etag IS NOT NULL OR last_modified IS NOT NULL"
        ).fetchone()
    finally:
        conn.close()
    return bool(row[0])


def _storage_check(
    fault: str, db: Path, feed: str, expected: int, workdir: Path, faulty: subprocess.Popen[str]
) -> StorageRoundResult:
    """Read what the faulty crawl reported and stored, then resume and count again."""
    stats = workdir / f"{fault}-stats.json"
    exit_code = faulty.wait(timeout=CRAWL_TIMEOUT_S)
    reported = _reported_stored(stats)
    stored = stored_pages(db)
    validators = _validators_saved(db)
    resumed = subprocess.run(
        _storage_crawl_cmd(db, feed, workdir / f"{fault}-resume.json"),
        cwd=ROOT,
        capture_output=True,
        timeout=CRAWL_TIMEOUT_S,
        check=False,
    )
    result = check(db, expected, 0, 0, stored)
    return StorageRoundResult(
        fault=fault,
        expected=expected,
        exit_code=exit_code,
        reported_stored=reported,
        actually_stored=stored,
        validators_saved=validators,
        resumed_exit_code=resumed.returncode,
        stored_after_resume=result.stored,
        integrity=result.integrity,
    )


def disk_full_round(web: FixtureWeb, pages: int, workdir: Path) -> StorageRoundResult:
    """Crawl into an archive on a tmpfs that fills mid-crawl; grow it; crawl again.

    Needs root (mount). The tmpfs is unmounted at the end.
    """
    mount = workdir / "small-disk"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_FULL_TMPFS}", "tmpfs", str(mount)], check=True
    )
    try:
        db, feed = mount / "archive.db", web.url("faults", "/feed.xml")
        faulty = _start_faulty_crawl("disk-full", db, feed, workdir, log=False)
        faulty.wait(timeout=CRAWL_TIMEOUT_S)
        # space freed: the same file system, grown
        subprocess.run(["mount", "-o", "remount,size=256m", str(mount)], check=True)
        return _storage_check("disk-full", db, feed, pages, workdir, faulty)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def held_lock_round(
    web: FixtureWeb, pages: int, workdir: Path, after_pages: int
) -> StorageRoundResult:
    """Another connection takes the archive's write lock once the crawl has fetched
    ``after_pages`` pages (read from its log) and holds it until the crawl ends."""
    db, feed = workdir / "held-lock.db", web.url("faults", "/feed.xml")
    faulty = _start_faulty_crawl("held-lock", db, feed, workdir, log=True)
    assert faulty.stderr is not None
    holder: sqlite3.Connection | None = None
    fetched = 0
    for line in faulty.stderr:  # read to the end: the crawl must not block on its log
        if holder is None and _fetched_a_story(line):
            fetched += 1
            if fetched >= after_pages:
                holder = sqlite3.connect(db, timeout=CRAWL_TIMEOUT_S, isolation_level=None)
                holder.execute("BEGIN IMMEDIATE")
    faulty.wait(timeout=CRAWL_TIMEOUT_S)
    faulty.stderr.close()
    if holder is not None:
        holder.execute("ROLLBACK")
        holder.close()
    return _storage_check("held-lock", db, feed, pages, workdir, faulty)


def run_campaign(rounds: int, pages: int, seed: int, workdir: Path) -> list[RoundResult]:
    """Run ``rounds`` kill-and-resume rounds against one generated web."""
    rng = random.Random(seed)
    build_web(workdir / "web", pages, seed)
    results = []
    with FixtureWeb(workdir / "web") as web:
        feed = web.url("faults", "/feed.xml")
        for n in range(rounds):
            db = workdir / f"round-{n}.db"
            killed_after = crawl_and_kill(db, feed, rng.randint(1, pages))
            stored_at_kill = stored_pages(db)
            resume(db, feed)
            results.append(check(db, pages, n, killed_after, stored_at_kill))
    return results


def run_storage_rounds(pages: int, seed: int, workdir: Path) -> list[StorageRoundResult]:
    """One held-lock round and, when run as root, one disk-full round."""
    build_web(workdir / "web", pages, seed, padding=True)
    with FixtureWeb(workdir / "web") as web:
        results = [held_lock_round(web, pages, workdir, after_pages=max(1, pages // 4))]
        if os.geteuid() == 0:
            results.append(disk_full_round(web, pages, workdir))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--storage-pages", type=int, default=120)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        results = run_campaign(args.rounds, args.pages, args.seed, Path(tmp) / "kills")
    with tempfile.TemporaryDirectory() as tmp:
        storage = run_storage_rounds(args.storage_pages, args.seed, Path(tmp))
    summary = {
        "rounds": len(results),
        "pages_per_round": args.pages,
        "expected_total": sum(r.expected for r in results),
        "stored_total": sum(r.stored for r in results),
        "lost": sum(max(0, r.expected - r.stored) for r in results),
        "duplicated": sum(r.duplicates for r in results),
        "integrity_failures": sum(r.integrity != "ok" for r in results),
        "killed_runs_marked_interrupted": sum(r.statuses[0] == "interrupted" for r in results),
        "rounds_ok": sum(r.ok for r in results),
        "storage_rounds": [f"{r.fault}: {'ok' if r.ok else 'FAILED'}" for r in storage],
        "storage_pages_lost_for_good": sum(r.expected - r.stored_after_resume for r in storage),
        "storage_false_stored_claims": sum(r.reported_stored - r.actually_stored for r in storage),
        "kills_before_first_commit": sum(r.stored_at_kill == 0 for r in results),
        "kills_mid_crawl": sum(0 < r.stored_at_kill < r.expected for r in results),
        "kills_after_all_stored": sum(r.stored_at_kill == r.expected for r in results),
        "seconds": round(time.monotonic() - started, 1),
        "command": f"python bench/faults.py --rounds {args.rounds} --pages {args.pages} "
        f"--seed {args.seed}",
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "faults.json").write_text(
        json.dumps(
            {
                "summary": summary,
                "rounds": [asdict(r) for r in results],
                "storage_rounds": [asdict(r) for r in storage],
            },
            indent=2,
        )
    )
    for key, value in summary.items():
        print(f"{key:32} {value}")
    ok = summary["rounds_ok"] == len(results) and all(r.ok for r in storage)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
