"""Raw body compression: zstd levels against a dictionary trained per site (issue 10).

    python -m bench.rawcompress WCEB_CHECKOUT [--min-pages 6] [--json FILE]

The archive stores every response body zstd-compressed (archive.settings.ZSTD_LEVEL).
Pages of one publisher share most of their template, so a dictionary trained on a site's
pages could make the others smaller, or as small at a faster level. This measures it on
real pages grouped by site: the web content extraction benchmark (repository
tiptopjaw/web-content-extraction-benchmark: release/html/<id>.html.gz, the page's URL in
benchmark/ground-truth/<id>.json), every site with ``--min-pages`` pages or more. Per
site, a dictionary is trained on the first half of its pages (as an archive would train
one on the first pages it stored of a site) and every method compresses the second half.
Reported: KB per page and CPU ms per page of each method over all those pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import zstandard

from archive.settings import ZSTD_LEVEL

# zstd's own default dictionary size (its CLI's --maxdict)
DICTIONARY_BYTES = 112_640
LEVELS = (1, ZSTD_LEVEL, 6, 10)


def pages_by_site(checkout: Path) -> dict[str, list[bytes]]:
    """Every page of the benchmark with a URL, by host."""
    sites: dict[str, list[bytes]] = defaultdict(list)
    for truth in sorted((checkout / "benchmark" / "ground-truth").glob("*.json")):
        host = urlsplit(json.loads(truth.read_text(encoding="utf-8")).get("url") or "").hostname
        html = checkout / "release" / "html" / f"{truth.stem}.html.gz"
        if host and html.exists():
            sites[host].append(gzip.decompress(html.read_bytes()))
    return sites


def measure(sites: dict[str, list[bytes]], min_pages: int) -> dict[str, Any]:
    """Bytes and CPU time per compressed page for each method, over the second half of
    the pages of every site with ``min_pages`` pages or more."""
    sizes: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    pages = raw = 0
    used = []
    for host, bodies in sorted(sites.items()):
        if len(bodies) < min_pages:
            continue
        used.append(host)
        train, test = bodies[: len(bodies) // 2], bodies[len(bodies) // 2 :]
        # zstd's trainer wants more samples than a site's first few pages: each counts
        # several times (the dictionary holds what they share, so repeats change little)
        dictionary = zstandard.train_dictionary(DICTIONARY_BYTES, train * 4)
        methods = {f"level {level}": zstandard.ZstdCompressor(level=level) for level in LEVELS}
        methods[f"level {ZSTD_LEVEL}, site dictionary"] = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, dict_data=dictionary
        )
        for name, compressor in methods.items():
            start = time.process_time()
            sizes[name] += sum(len(compressor.compress(body)) for body in test)
            seconds[name] += time.process_time() - start
        pages += len(test)
        raw += sum(len(body) for body in test)
    return {
        "sites": used,
        "pages": pages,
        "raw_kb_per_page": raw / pages / 1024 if pages else 0.0,
        "methods": {
            name: {
                "kb_per_page": sizes[name] / pages / 1024,
                "ms_per_page": seconds[name] / pages * 1000,
            }
            for name in sizes
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="web-content-extraction-benchmark checkout")
    parser.add_argument("--min-pages", type=int, default=6, help="sites with this many pages")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    result = measure(pages_by_site(args.checkout), args.min_pages)
    if not result["pages"]:
        print(f"no site has {args.min_pages} pages in {args.checkout}", file=sys.stderr)
        return 1
    print(
        f"{len(result['sites'])} sites, {result['pages']} pages compressed "
        f"({result['raw_kb_per_page']:.1f} KB a page raw)\n"
    )
    print("| method | KB a page | CPU ms a page |\n|---|---:|---:|")
    for name, row in result["methods"].items():
        print(f"| {name} | {row['kb_per_page']:.1f} | {row['ms_per_page']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
