"""Extraction benchmark: reprint's extract+clean against trafilatura and readability-lxml.

    python -m bench.extraction DATASET [--wceb WCEB_CHECKOUT] [--repeat 3] [--write]

1. Accuracy on each page set: per-page precision/recall/F1 of the bag of lowercase word
   tokens (NFKC, runs of word characters), averaged over pages; an empty output scores 0.
   The sets: an extraction dataset (html/<id>.html.gz + ground-truth.json with
   articleBody and url per id), and with ``--wceb`` the article and blog pages of the web
   content extraction benchmark (repository tiptopjaw/web-content-extraction-benchmark:
   release/html/<id>.html.gz + benchmark/ground-truth/<id>.json). reprint runs as a crawl
   runs it, with the default "not an article" gate; per set the bench also reports a
   paired bootstrap interval of reprint's F1 minus the best trafilatura mode's, the
   pages reprint empties that trafilatura extracts, and reprint's 10 worst pages.
2. Speed: pages/second of reprint's whole extract+clean step (archive.extract.
   extract_article) as a ratio of bare trafilatura.extract, timed in the same run.
3. The project's own syndication fixtures (crawler/demo/web, ground truth in
   stories.json): share of boilerplate lines left in the text and of story lines lost,
   for trafilatura alone, reprint's patterns on a site's first page, and reprint once the
   site's lines are learned (every demo page stored in a temporary archive first).

Prints a table, writes bench/results/extraction.json and, with --write, the "Extraction"
section of BENCHMARKS.md. Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import platform
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import trafilatura
from readability import Document

from archive.db import open_archive, write_transaction
from archive.errors import ExtractionError
from archive.extract import extract_article
from archive.sitelearn import learned_lines
from archive.store import FetchedPage, save_page
from bench.scoring import score
from crawler.demo import DEMO_WEB, demo_manifest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "extraction.json"
BENCHMARKS = ROOT / "BENCHMARKS.md"
SECTION = "## Extraction"
_WORD = re.compile(r"\w+")
_PLACEHOLDER = re.compile(rb"\{\{site:([A-Za-z0-9_.-]+)\}\}")

Extractor = Callable[[bytes, str], str]


def reprint_text(body: bytes, url: str) -> str:
    """reprint's clean text as a crawl gets it; a page it refuses as not an article scores
    as empty."""
    try:
        return extract_article(body, url).text
    except ExtractionError:
        return ""


def readability_text(body: bytes, url: str) -> str:
    """readability-lxml's main content as text, one line per block."""
    summary = Document(body.decode("utf-8", "replace"), url=url).summary(html_partial=True)
    tree = lxml.html.fromstring(summary)
    for block in tree.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr"):
        block.tail = "\n" + (block.tail or "")
    return tree.text_content()


SYSTEMS: dict[str, Extractor] = {
    "reprint (extract+clean)": reprint_text,
    "trafilatura defaults": lambda b, u: trafilatura.extract(b, url=u) or "",
    "trafilatura, include_comments=False": lambda b, u: (
        trafilatura.extract(b, url=u, include_comments=False) or ""
    ),
    "trafilatura favor_precision, no comments": lambda b, u: (
        trafilatura.extract(b, url=u, favor_precision=True, include_comments=False) or ""
    ),
    "readability-lxml": readability_text,
}
# The speed baseline: bare trafilatura.extract with its defaults
BASELINE = "trafilatura defaults"
OURS = "reprint (extract+clean)"
# reprint is compared with the best of these on each set
TRAFILATURA_MODES = tuple(name for name in SYSTEMS if name.startswith("trafilatura"))
# WCEB page types that are articles (the others are forums, shops, docs, listings)
WCEB_ARTICLE_TYPES = frozenset({"article", "blog"})
BOOTSTRAP_ROUNDS = 2000
WORST_PAGES = 10

Page = tuple[str, bytes, str, str]


def load_dataset(path: Path) -> list[Page]:
    """(id, html bytes, url, true article body) for every page of the dataset."""
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        body = gzip.decompress((path / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, body, item.get("url") or "", item["articleBody"]))
    return pages


def load_wceb(path: Path) -> list[Page]:
    """(id, html bytes, url, true main content) of WCEB's article and blog pages."""
    pages = []
    for file in sorted((path / "benchmark" / "ground-truth").glob("*.json")):
        item = json.loads(file.read_text(encoding="utf-8"))
        if item["_internal"]["page_type"]["primary"] not in WCEB_ARTICLE_TYPES:
            continue
        html = path / "release" / "html" / f"{file.stem}.html.gz"
        body = gzip.decompress(html.read_bytes())
        pages.append((file.stem, body, item.get("url") or "", item["ground_truth"]["main_content"]))
    return pages


def paired_bootstrap(ours: list[float], theirs: list[float], rounds: int) -> tuple[float, float]:
    """95% interval of the mean of ``ours - theirs`` over pages resampled with
    replacement (the same pages for both systems in each round; fixed seed)."""
    diffs = [a - b for a, b in zip(ours, theirs, strict=True)]
    rng = random.Random(0)
    n = len(diffs)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def accuracy(pages: list[Page], systems: dict[str, Extractor] | None = None) -> dict[str, Any]:
    """Mean per-page precision/recall/F1 of every system, and how reprint compares with
    the best trafilatura mode page by page."""
    results: dict[str, Any] = {}
    per_page: dict[str, list[tuple[float, float, float]]] = {}
    outputs: dict[str, list[str]] = {}
    for name, extract in (systems or SYSTEMS).items():
        outputs[name] = [extract(body, url) for _, body, url, _ in pages]
        scores = [
            score(text, truth) for text, (*_, truth) in zip(outputs[name], pages, strict=True)
        ]
        per_page[name] = scores
        n = len(scores)
        results[name] = {
            "precision": sum(s[0] for s in scores) / n,
            "recall": sum(s[1] for s in scores) / n,
            "f1": sum(s[2] for s in scores) / n,
        }
    best = max(
        (name for name in results if name in TRAFILATURA_MODES), key=lambda n: results[n]["f1"]
    )
    ours = [s[2] for s in per_page[OURS]]
    theirs = [s[2] for s in per_page[best]]
    low, high = paired_bootstrap(ours, theirs, BOOTSTRAP_ROUNDS)
    emptied = [
        pages[i][0]
        for i, (mine, other) in enumerate(zip(outputs[OURS], outputs[best], strict=True))
        if not mine.strip() and other.strip()
    ]
    worst = sorted(range(len(pages)), key=lambda i: ours[i])[:WORST_PAGES]
    results["comparison"] = {
        "best_trafilatura": best,
        "difference": results[OURS]["f1"] - results[best]["f1"],
        "interval": [low, high],
        "emptied": emptied,
        "worst": [
            {
                "id": pages[i][0],
                "url": pages[i][2],
                "reprint_f1": ours[i],
                "trafilatura_f1": theirs[i],
                "reprint_words": len(outputs[OURS][i].split()),
                "truth_words": len(pages[i][3].split()),
            }
            for i in worst
        ],
    }
    return results


def speed(pages: list[Page], repeat: int) -> dict[str, float]:
    """Pages/second of reprint and of bare trafilatura.extract.

    Each page is run by both systems back to back, ``repeat`` times, and each system's
    fastest time per page is kept: other processes on the machine slow a page's run of
    either system alike, and the per-page minimum drops what they added.
    """
    timed = {OURS: SYSTEMS[OURS], BASELINE: SYSTEMS[BASELINE]}
    for extract in timed.values():  # warm-up: imports, lazy tables, caches
        for _, body, url, _ in pages[:5]:
            extract(body, url)
    best = {name: [float("inf")] * len(pages) for name in timed}
    gc.collect()
    for _ in range(repeat):
        for index, (_, body, url, _) in enumerate(pages):
            for name, extract in timed.items():
                started = time.perf_counter()
                extract(body, url)
                elapsed = time.perf_counter() - started
                best[name][index] = min(best[name][index], elapsed)
    rates = {name: len(pages) / sum(times) for name, times in best.items()}
    rates["ratio"] = rates[OURS] / rates[BASELINE]
    return rates


# --- the project's own syndication fixtures -------------------------------------------


def _render(body: bytes) -> bytes:
    return _PLACEHOLDER.sub(lambda m: b"http://" + m.group(1) + b".example", body)


def _page_file(site: str, path: str) -> Path:
    file = DEMO_WEB / site / path.strip("/")
    return file / "index.html" if file.is_dir() else file


def _story_paragraphs(manifest: dict[str, Any], boilerplate: list[str]) -> dict[str, list[str]]:
    """The paragraphs of each story's original body, minus the known boilerplate."""
    stories = {}
    for story_id, story in manifest["stories"].items():
        original = story["original"]
        tree = lxml.html.fromstring(
            _render(_page_file(original, story["copies"][original]).read_bytes())
        )
        paragraphs = [
            " ".join(p.text_content().split())
            for p in tree.xpath(
                '//div[contains(@class,"article-body") or contains(@class,"caas-body")]/p'
            )
        ]
        stories[story_id] = [
            p for p in paragraphs if p and not any(b.lower() in p.lower() for b in boilerplate)
        ]
    return stories


def _normal(text: str) -> str:
    return " " + " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower())) + " "


def fixtures() -> dict[str, dict[str, float]]:
    """Boilerplate lines left and story lines lost on the demo web's article pages."""
    manifest = demo_manifest()
    by_site = manifest["boilerplate"]
    every = sorted({b for strings in by_site.values() for b in strings})
    stories = _story_paragraphs(manifest, every)
    copies = [
        (
            story_id,
            site,
            f"http://{site}.example{path}",
            _render(_page_file(site, path).read_bytes()),
        )
        for story_id, story in manifest["stories"].items()
        for site, path in story["copies"].items()
    ]

    with tempfile.TemporaryDirectory() as tmp:
        db = open_archive(Path(tmp) / "bench.db")
        with write_transaction(db):
            for _, _, url, body in copies:
                page = FetchedPage(url, url, body, extract_article(body, url))
                save_page(db, page)
        learned = {site: learned_lines(db, site) for site in {f"{s}.example" for s in by_site}}
        db.close()

    runs: dict[str, Callable[[str, str, bytes], str]] = {
        "trafilatura defaults": lambda site, url, body: trafilatura.extract(body, url=url) or "",
        "reprint, patterns only (a site's first pages)": lambda site, url, body: (
            extract_article(body, url).text
        ),
        "reprint, with the site's learned lines": lambda site, url, body: (
            extract_article(body, url, site_boilerplate=learned[f"{site}.example"]).text
        ),
    }
    results = {}
    for name, run in runs.items():
        present = left = story_lines = lost = 0
        for story_id, site, url, body in copies:
            text = run(site, url, body)
            page_text = lxml.html.fromstring(body).xpath("string(//body)")
            for line in by_site[site]:
                present += page_text.count(line)
                left += sum(1 for out in text.splitlines() if line in out)
            normal = _normal(text)
            # a copy may lack the original's last paragraph on purpose (stories.json says)
            variant = manifest["stories"][story_id].get("variants", {}).get(site, {})
            absent = variant.get("missing_last_paragraph")
            expected = [p for p in stories[story_id] if not absent or _normal(p) != _normal(absent)]
            story_lines += len(expected)
            lost += sum(1 for p in expected if _normal(p) not in normal)
        results[name] = {
            "boilerplate_in_pages": present,
            "boilerplate_left": left,
            "boilerplate_left_share": left / present if present else 0.0,
            "story_lines": story_lines,
            "story_lines_lost": lost,
            "story_lost_share": lost / story_lines if story_lines else 0.0,
            "pages": len(copies),
        }
    results["learned_lines"] = {site: len(lines) for site, lines in sorted(learned.items())}  # type: ignore[assignment]
    return results


# --- report ----------------------------------------------------------------------------


def _set_lines(name: str, result: dict[str, Any]) -> list[str]:
    """One page set's table, comparison with the best trafilatura mode and worst pages."""
    acc = result["accuracy"]
    cmp = acc["comparison"]
    lines = [
        f"### {name} ({result['pages']} pages)",
        "",
        "| system | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for system, row in acc.items():
        if system == "comparison":
            continue
        bold = "**" if system == OURS else ""
        lines.append(
            f"| {bold}{system}{bold} | {row['precision']:.4f} | {row['recall']:.4f} "
            f"| {bold}{row['f1']:.4f}{bold} |"
        )
    low, high = cmp["interval"]
    emptied = ", ".join(cmp["emptied"]) or "none"
    lines += [
        "",
        f"reprint minus the best trafilatura mode ({cmp['best_trafilatura']}): "
        f"**{cmp['difference']:+.4f} F1**, paired bootstrap 95% interval "
        f"[{low:+.4f}, {high:+.4f}] ({BOOTSTRAP_ROUNDS} resamples of the pages). Pages "
        f"reprint empties that trafilatura extracts: **{len(cmp['emptied'])}** ({emptied}).",
        "",
        f"reprint's {WORST_PAGES} worst pages:",
        "",
        "| page | reprint F1 | trafilatura F1 | reprint words | true words |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for page in cmp["worst"]:
        lines.append(
            f"| {page['id']} | {page['reprint_f1']:.3f} | {page['trafilatura_f1']:.3f} "
            f"| {page['reprint_words']} | {page['truth_words']} |"
        )
    return [*lines, ""]


def markdown(report: dict[str, Any], command: str) -> str:
    """The "Extraction" section of BENCHMARKS.md (the notes that interpret the figures
    are written by hand below the generated part, after CAUSES_MARKER)."""
    spd, fix = report["speed"], report["fixtures"]
    lines = [
        SECTION,
        "",
        f"Reproduce: `{command}` (needs `pip install -e '.[bench]'`). extraction-bench: 115 "
        "pages of the scrapinghub article-extraction-benchmark (`html/<id>.html.gz` and "
        "`ground-truth.json`); web-content-extraction-benchmark: a checkout of "
        "tiptopjaw/web-content-extraction-benchmark, whose 452 article and blog pages are "
        "used (ground truth drafted by an LLM).",
        "",
        "Metric: per-page precision/recall/F1 of the bag of lowercase word tokens (NFKC, runs "
        "of word characters), averaged over pages; an empty output scores 0. reprint runs "
        'as a crawl runs it, with its "not an article" gate: a page it refuses scores 0.',
        "",
    ]
    for name, result in report["sets"].items():
        lines += _set_lines(name, result)
    lines += [
        f"Speed (all pages of the sets above, fastest of {report['repeat']} runs per page, "
        f"the two systems back to back, one process, {report['machine']}): reprint "
        f"extract+clean {spd[OURS]:.1f} pages/s, bare `trafilatura.extract` {spd[BASELINE]:.1f} "
        f"pages/s: **ratio {spd['ratio']:.2f}** (target >= 0.8).",
        "",
        f"Own syndication fixtures (crawler/demo/web, {fix[OURS_FIXTURE]['pages']} article "
        "pages of three publishers; boilerplate strings and story paragraphs from "
        "stories.json and the originals):",
        "",
        "| text from | boilerplate left | story lines lost |",
        "| --- | ---: | ---: |",
    ]
    for name, row in fix.items():
        if name == "learned_lines":
            continue
        lines.append(
            f"| {name} | {row['boilerplate_left']}/{row['boilerplate_in_pages']} "
            f"({row['boilerplate_left_share']:.1%}) | {row['story_lines_lost']}/"
            f"{row['story_lines']} ({row['story_lost_share']:.1%}) |"
        )
    learned = ", ".join(f"{site} {n}" for site, n in fix["learned_lines"].items())
    lines += [
        "",
        f"Lines learned per site from the demo archive: {learned} (every boilerplate line of "
        "the demo web is a known pattern; learning a line no pattern knows is covered by "
        "tests/test_clean.py and tests/test_reextract.py).",
        "",
        CAUSES_MARKER,
    ]
    return "\n".join(lines)


OURS_FIXTURE = "reprint, with the site's learned lines"
# Below this line the Extraction section is written by hand (causes of the worst pages,
# notes); --write keeps it.
CAUSES_MARKER = "<!-- notes below are written by hand; bench/extraction.py --write keeps them -->"


def write_section(text: str) -> None:
    """Replace (or append) the Extraction section of BENCHMARKS.md, keeping the others."""
    current = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.M | re.S)
    if found := pattern.search(current):
        notes = found.group(0).partition(CAUSES_MARKER)[2]
        updated = pattern.sub(lambda _: text + (notes or "\n"), current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    BENCHMARKS.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="folder with html/ and ground-truth.json")
    parser.add_argument(
        "--wceb", type=Path, help="a checkout of web-content-extraction-benchmark (second set)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (best is kept)")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not (args.dataset / "ground-truth.json").is_file():
        parser.error(f"no ground-truth.json in {args.dataset}")
    if args.wceb and not (args.wceb / "benchmark" / "ground-truth").is_dir():
        parser.error(f"no benchmark/ground-truth in {args.wceb}")

    sets = {f"{args.dataset.name}": load_dataset(args.dataset)}
    if args.wceb:
        sets["WCEB article and blog pages"] = load_wceb(args.wceb)
    report: dict[str, Any] = {
        "repeat": args.repeat,
        "machine": f"Python {platform.python_version()}, {platform.machine()}",
        "trafilatura": trafilatura.__version__,
        "sets": {
            name: {"pages": len(pages), "accuracy": accuracy(pages)} for name, pages in sets.items()
        },
        "speed": speed([page for pages in sets.values() for page in pages], args.repeat),
        "fixtures": fixtures(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2), encoding="utf-8")
    # folder names only: where the data sits on the machine that ran it is not the
    # repository's business
    command = f"python -m bench.extraction {args.dataset.name}"
    if args.wceb:
        command += " --wceb web-content-extraction-benchmark"
    section = markdown(report, command)
    print(section)
    if args.write:
        write_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
