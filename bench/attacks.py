"""The attack classes of the hardening work (issue 15), each with the tests that try it:
runs them and prints, per class, how many cases were tried and how many held.

    python -m bench.attacks            # the markdown table of BENCHMARKS.md ("Attacks")
    python -m bench.attacks --junit report.xml   # tally a pytest --junitxml report instead

A case is one collected test (each parametrised variant apart); many cases try several
attacks at once (one crawl over a document listing every address form), which the
"what is tried" column says. Needs root for the disk-full and read-only-media cases
(they mount a tmpfs) and redis-server, like the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class AttackClass:
    """One kind of attack, and the tests (node-id prefixes) that try it."""

    name: str
    tried: str  # what the cases do, in words
    tests: tuple[str, ...]


CLASSES: tuple[AttackClass, ...] = (
    AttackClass(
        "Silent loss (High)",
        "disk full (tmpfs), write lock held, SIGKILL and SIGTERM mid-crawl; then re-crawl",
        ("tests/test_faults.py",),
    ),
    AttackClass(
        "Local files on a remote's word (High)",
        "file:/ftp:/data: URLs in robots.txt, sitemaps, feeds, redirects",
        (
            "tests/test_crawl_hostile.py::test_robots_txt_cannot_make_the_crawl_read_local_files",
            "tests/test_netpolicy.py::test_extract_url_checks_every_redirect_hop",
        ),
    ),
    AttackClass(
        "Killed distributed worker, poison pages (High)",
        "a worker SIGKILLed with requests leased on a real redis-server; unreadable and "
        "unstorable queue entries",
        ("tests/test_distributed.py",),
    ),
    AttackClass(
        "SSRF through the crawl",
        "51 private-address forms x 12 delivery paths (feed, entry, sitemap, index, robots, "
        "redirect, meta refresh, site link, proxy...) = 612 cells in 6 crawls",
        (
            "tests/test_ssrf_table.py",
            "tests/test_crawl_hostile.py::test_loopback_is_refused_unless_allowed",
            "tests/test_crawl_hostile.py::test_public_name_resolving_to_loopback_is_refused",
            "tests/test_crawl_hostile.py::test_resolver_refuses_names_of_private_addresses",
            "tests/test_netpolicy.py::test_crawl_through_a_proxy_checks_names_before_sending",
        ),
    ),
    AttackClass(
        "SSRF and stalls through `extract --url`",
        "every address form, redirect hops, trickling servers, malformed URLs",
        (
            "tests/test_netpolicy.py::test_extract_url_refuses_every_form_of_a_private_address",
            "tests/test_netpolicy.py::test_extract_url_allow_host_is_the_way_around",
            "tests/test_netpolicy.py::test_extract_url_has_one_deadline_for_the_whole_fetch",
            "tests/test_netpolicy.py::test_extract_url_malformed_is_one_line_and_exit_2",
        ),
    ),
    AttackClass(
        "Hostile pages and documents",
        "gzip/deflate bombs, oversized, binary, deep nesting, broken encodings, entity "
        "bombs, 20k-item feeds, element-count and extraction-deadline pages, slow servers",
        (
            "tests/test_hostile_input.py",
            "tests/test_crawl_hostile.py::test_feed_of_broken_pages_keeps_the_good_ones",
            "tests/test_crawl_hostile.py::test_entity_bomb_feed_neither_expands_nor_fetches",
            "tests/test_crawl_hostile.py::test_malformed_feed_is_recovered",
            "tests/test_crawl_hostile.py::test_news_sitemap_since_filter_and_index_loop",
            "tests/test_archive.py::test_extract_refuses",
            "tests/test_archive.py::test_many_angle_brackets_in_a_script_are_not_elements",
            "tests/test_extractpool.py",
        ),
    ),
    AttackClass(
        "Unbounded sources",
        "a source listing more than its cap, a crawl past its time limit",
        ("tests/test_budget.py",),
    ),
    AttackClass(
        "Text that breaks feeds and storage",
        "control characters, character references, lone surrogates, javascript: URLs",
        ("tests/test_sanitize.py",),
    ),
    AttackClass(
        "The served archive",
        "feed limits, huge SQL values and texts, error-page cost, published paths, plain "
        "datasette, script in stored text rendered in Chromium",
        ("tests/test_serve.py", "tests/test_browser.py"),
    ),
    AttackClass(
        "Archives that are not what they seem",
        "another application's SQLite file, a newer schema, non-SQLite bytes, read-only media",
        (
            "tests/test_archive.py::test_another_applications_database",
            "tests/test_archive.py::test_archive_of_a_newer_reprint",
            "tests/test_archive.py::test_a_file_that_is_not_a_database",
            "tests/test_readonly_media.py",
        ),
    ),
    AttackClass(
        "Export targets",
        "FIFOs, symlinks, directories, device nodes as --out",
        ("tests/test_export.py::test_out_refuses",),
    ),
    AttackClass(
        "Search bombs",
        "prefix and AND floods past the FTS time budget; FTS syntax errors",
        (
            "tests/test_archive.py::test_a_search_past_its_time_budget",
            "tests/test_archive.py::test_search_ranks_highlights_filters_and_rejects_bad",
            "tests/test_cli.py::test_bad_query_is_a_clear_error",
        ),
    ),
    AttackClass(
        "The command line",
        "every command and option fed 19 hostile values (870 invocations); markup and "
        "terminal escapes in stored text",
        ("tests/test_cli_fuzz.py", "tests/test_cli_output.py"),
    ),
)


@dataclass(slots=True)
class Tally:
    tried: int = 0
    held: int = 0


def _node_id(case: ET.Element) -> str:
    # junit classname "tests.test_x" (or "tests.test_x.Class"), name "test_y[param]"
    module = case.get("classname", "").split(".")
    path = "/".join(module[:2]) + ".py"
    return f"{path}::{case.get('name', '')}"


def run(files: list[str]) -> dict[str, bool]:
    """Run the test files; return {node id: passed} for every case."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--junitxml",
                str(report),
                *files,
            ],
            cwd=ROOT,
            check=False,
        )
        return read_report(report)


def read_report(report: Path) -> dict[str, bool]:
    """{node id: passed} for every case of a pytest --junitxml report."""
    cases = ET.parse(report).getroot().iter("testcase")
    return {
        _node_id(case): not any(child.tag in ("failure", "error", "skipped") for child in case)
        for case in cases
    }


def tally(results: dict[str, bool]) -> dict[str, Tally]:
    """Each class's count of cases tried and held (a case counted in its first class)."""
    counts = {attack.name: Tally() for attack in CLASSES}
    for node, passed in results.items():
        for attack in CLASSES:
            if node.startswith(attack.tests):
                counts[attack.name].tried += 1
                counts[attack.name].held += passed
                break
    return counts


def table(counts: dict[str, Tally]) -> str:
    lines = ["| attack class | what is tried | cases tried | held |", "|---|---|---:|---:|"]
    for attack in CLASSES:
        count = counts[attack.name]
        lines.append(f"| {attack.name} | {attack.tried} | {count.tried} | {count.held} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, help="tally this pytest --junitxml report")
    args = parser.parse_args()
    if args.junit:
        print(table(tally(read_report(args.junit))))
        return
    files = sorted(
        {
            t.split("::")[0]
            for attack in CLASSES
            for t in attack.tests
            if (ROOT / t.split("::")[0]).exists()
        }
    )
    print(table(tally(run(files))))


if __name__ == "__main__":
    main()
