"""Fault campaign: crawls killed with SIGKILL at random points, then resumed.

For each round: a fresh archive; `reprint crawl` of a generated fixture web is started,
killed (the whole process group, as systemd would) after a random number of fetched
pages, then run again to completion. Checked after the resume: every article page is
stored, none twice, the database passes `PRAGMA integrity_check`, and the killed run is
recorded as interrupted.

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

from crawler.fixture_server import FixtureWeb  # noqa: E402

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


def build_web(root: Path, pages: int, seed: int) -> None:
    """A site of ``pages`` distinct stories, each slow to answer, listed by one feed."""
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
        html = (
            f"<html><head><title>Story {n}</title></head><body><article>"
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
        if "Crawled (200)" in line and "/story/" in line:
            fetched += 1
            if fetched >= after_pages:
                break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return fetched


def resume(db: Path, feed: str) -> None:
    """Run the crawl to completion."""
    subprocess.run(
        _crawl_cmd(db, feed), cwd=ROOT, capture_output=True, timeout=CRAWL_TIMEOUT_S, check=True
    )


def _stored(db: Path) -> int:
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
            stored_at_kill = _stored(db)
            resume(db, feed)
            results.append(check(db, pages, n, killed_after, stored_at_kill))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        results = run_campaign(args.rounds, args.pages, args.seed, Path(tmp))
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
        json.dumps({"summary": summary, "rounds": [asdict(r) for r in results]}, indent=2)
    )
    for key, value in summary.items():
        print(f"{key:32} {value}")
    return 0 if summary["rounds_ok"] == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
