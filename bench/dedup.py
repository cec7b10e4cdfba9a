"""Near-duplicate clustering: quality on a labelled corpus, and cost at archive scale.

    python -m bench.dedup quality [--stories 1500] [--seed 7]
    python -m bench.dedup sweep   [--stories 800]
    python -m bench.dedup cost    [--sizes 10000,100000,1000000] [--probes 2000]
    python -m bench.dedup libraries

quality  stores the generated syndication corpus (bench/syndication_corpus.py) through
         archive.store.save_page into a real SQLite archive and compares the clusters
         with the labels: pairwise precision / recall / F1, adjusted Rand index, recall on
         copies whose shared text is >= 60% of the shorter copy, and whether the original
         represents its story.
sweep    the quality run over a grid of parameters (how archive/settings.py was chosen).
libraries  MinHash signature time of rensa and datasketch on the same shingles.
cost     per-article dedup time (normalise, shingle, signature, candidate query, verify,
         index insert: archive.dedup.place_page) as a ratio of trafilatura's extraction
         time per article, measured in the same process on the extraction-bench pages,
         with the index filled to each size with synthetic signatures; plus memory and the
         index's bytes on disk.

Each command prints a table and writes JSON (--json).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

import archive.dedup
import archive.dedup.cluster
from archive.clean import clean_text
from archive.db import open_archive, write_transaction
from archive.dedup import DEFAULT_PARAMS, DedupParams, set_index_params, shingle_hashes
from archive.dedup.minhash import band_key_matrix, minhash_matrix
from archive.extract import Extracted
from archive.store import FetchedPage, save_page
from archive.text import text_hash, words
from bench.syndication_corpus import Doc, generate_corpus

COMMIT_ITEMS = 50  # as crawler/settings.py REPRINT_COMMIT_ITEMS
# synthetic pages get ids far above real ones, so they never collide
FILLER_FIRST_ID = 1_000_000_000


# --- storing a corpus


def extracted_of(doc: Doc) -> Extracted:
    """What ExtractPipeline would hand over for a corpus doc (text cleaned by clean.py)."""
    cleaned = clean_text(doc.text)
    return Extracted(
        text=cleaned.text,
        title=doc.title,
        published=doc.published,
        site=doc.site,
        site_name=doc.site_name,
        canonical_url=doc.canonical_url,
        origin=cleaned.origin,
        word_count=len(words(cleaned.text)),
        text_hash=text_hash(cleaned.text),
    )


def store_docs(db: Any, docs: list[Doc], *, timings: list[float] | None = None) -> None:
    """Store docs through save_page in transactions of COMMIT_ITEMS pages."""
    for start in range(0, len(docs), COMMIT_ITEMS):
        with write_transaction(db):
            for doc in docs[start : start + COMMIT_ITEMS]:
                page = FetchedPage(
                    url=doc.url,
                    final_url=doc.url,
                    body=doc.text.encode(),
                    extracted=extracted_of(doc),
                )
                save_page(db, page)


def _remove_archive(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- quality


def _pairs(sizes: Any) -> int:
    return sum(comb(n, 2) for n in sizes)


def adjusted_rand_index(truth: list[str], pred: list[int]) -> float:
    """ARI of two labelings of the same items (Hubert & Arabie)."""
    table = Counter(zip(truth, pred, strict=True))
    index = _pairs(table.values())
    a = _pairs(Counter(truth).values())
    b = _pairs(Counter(pred).values())
    total = comb(len(truth), 2)
    expected = a * b / total if total else 0.0
    top = (a + b) / 2
    return (index - expected) / (top - expected) if top != expected else 1.0


@dataclass
class Quality:
    docs: int
    stories: int
    articles: int
    precision: float
    recall: float
    f1: float
    ari: float
    eligible_pairs: int  # copies sharing >= 60% of the shorter text
    eligible_recall: float
    false_merges_by_family: dict[str, int]
    missed_eligible_by_edit: dict[str, int]
    original_represents: float  # share of stories whose article shows the original
    seconds: float


def measure_quality(docs: list[Doc], params: DedupParams, path: Path) -> Quality:
    """Store ``docs`` in a new archive at ``path`` and score its clusters against labels."""
    _remove_archive(path)
    db = open_archive(path)
    with write_transaction(db):
        set_index_params(db, params)
    started = time.perf_counter()
    store_docs(db, docs)
    seconds = time.perf_counter() - started
    article_of = dict(db.execute("SELECT url, article_id FROM pages").fetchall())
    from archive.urls import normalize_url

    pred = {d.doc_id: article_of[normalize_url(d.url)] for d in docs}
    truth = [d.story for d in docs]
    labels = [pred[d.doc_id] for d in docs]
    both = Counter(zip(truth, labels, strict=True))
    tp = _pairs(both.values())
    pred_pairs = _pairs(Counter(labels).values())
    true_pairs = _pairs(Counter(truth).values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0

    by_story: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        by_story[d.story].append(d)
    shingles = {d.doc_id: set(shingle_hashes(extracted_of(d).text, 5).tolist()) for d in docs}
    eligible = hit = 0
    missed: Counter[str] = Counter()
    for group in by_story.values():
        for a, b in itertools.combinations(group, 2):
            sa, sb = shingles[a.doc_id], shingles[b.doc_id]
            if len(sa & sb) / min(len(sa), len(sb)) < 0.6:
                continue
            eligible += 1
            if pred[a.doc_id] == pred[b.doc_id]:
                hit += 1
            else:
                missed.update(set(a.edits) | set(b.edits) or {"none"})
    false_merges: Counter[str] = Counter()
    by_article: dict[int, list[Doc]] = defaultdict(list)
    for d in docs:
        by_article[pred[d.doc_id]].append(d)
    for group in by_article.values():
        for a, b in itertools.combinations(group, 2):
            if a.story != b.story:
                false_merges[a.family if a.family == b.family else "across"] += 1
    reps = dict(
        db.execute(
            "SELECT a.id, p.url FROM articles a JOIN pages p ON p.id = a.representative_page_id"
        ).fetchall()
    )
    originals = [d for d in docs if d.kind == "original"]
    represents = sum(reps.get(pred[d.doc_id]) == normalize_url(d.url) for d in originals)
    articles = db["articles"].count
    db.close()
    return Quality(
        docs=len(docs),
        stories=len(by_story),
        articles=articles,
        precision=round(precision, 5),
        recall=round(recall, 5),
        f1=round(2 * precision * recall / (precision + recall), 5),
        ari=round(adjusted_rand_index(truth, labels), 5),
        eligible_pairs=eligible,
        eligible_recall=round(hit / eligible if eligible else 1.0, 5),
        false_merges_by_family=dict(false_merges),
        missed_eligible_by_edit=dict(missed.most_common()),
        original_represents=round(represents / len(originals), 4),
        seconds=round(seconds, 2),
    )


# --- cost


class Extraction:
    """trafilatura.extract over a directory of pages (*.html.gz), timed in slices so that
    extraction and dedup are measured side by side, under the same machine load."""

    def __init__(self, pages_dir: Path) -> None:
        import trafilatura

        self._extract = trafilatura.extract
        self.pages = [
            gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
            for p in sorted(pages_dir.glob("*.html.gz"))
        ]
        if not self.pages:
            raise FileNotFoundError(f"no *.html.gz pages in {pages_dir}")
        self._extract(self.pages[0])  # warm up imports and caches
        self.next = 0
        self.wall = self.cpu = 0.0
        self.count = 0

    def run(self, pages: int) -> None:
        """Extract the next ``pages`` pages (round robin), adding to the totals."""
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(pages):
            self._extract(self.pages[self.next % len(self.pages)])
            self.next += 1
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.count += pages

    def reset(self) -> None:
        """Start new totals."""
        self.wall = self.cpu = 0.0
        self.count = 0


def make_archive(path: Path, filler: int, params_json: str, seed: int) -> None:
    """Create an archive at ``path`` whose index holds ``filler`` synthetic pages."""
    params = DedupParams.from_json(params_json)
    db = open_archive(path)
    with write_transaction(db):
        set_index_params(db, params)
        fill_index(db, FILLER_FIRST_ID, filler, params, seed=seed)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def fill_index(db: Any, first_id: int, count: int, params: DedupParams, seed: int) -> None:
    """Add ``count`` synthetic pages to the index tables: MinHash signatures of random
    shingle sets sized like real articles (250-1100 shingles), inserted in key order."""
    rng = np.random.default_rng(seed)
    chunk = 20_000
    keys_all: list[np.ndarray] = []
    ids_all: list[np.ndarray] = []
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        sizes = rng.integers(250, 1100, size=n)
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.uint64)
        tokens = rng.integers(0, 2**63, size=int(offsets[-1]), dtype=np.uint64)
        minhashes = minhash_matrix(tokens, offsets, params)
        ids = np.arange(first_id + start, first_id + start + n, dtype=np.int64)
        db.conn.executemany(
            "INSERT INTO dedup_signatures (page_id, shingles, minhash) VALUES (?, ?, ?)",
            zip(
                ids.tolist(),
                sizes.tolist(),
                (m.astype("<u2").tobytes() for m in minhashes),
                strict=True,
            ),
        )
        keys = band_key_matrix(minhashes, params)
        keys_all.append(keys.ravel())
        ids_all.append(np.repeat(ids, params.bands))
    keys = np.concatenate(keys_all)
    ids = np.concatenate(ids_all)
    order = np.lexsort((ids, keys))
    db.conn.executemany(
        "INSERT OR IGNORE INTO dedup_bands (key, page_id) VALUES (?, ?)",
        zip(keys[order].tolist(), ids[order].tolist(), strict=True),
    )


def index_bytes(db: Any) -> int:
    """Bytes the dedup tables (and their indexes) take in the file."""
    return db.execute(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'dedup_%'"
        " OR name LIKE 'sqlite_autoindex_dedup_%'"
    ).fetchone()[0]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


PHASES = {"signature": "signature", "find": "find_article", "insert": "index_page"}


def measure_cost(
    sizes: list[int],
    probes: int,
    params: DedupParams,
    workdir: Path,
    *,
    pages: Path,
    extraction_share: int = 4,
) -> dict[str, Any]:
    """Time place_page for the same ``probes`` corpus pages stored into an archive whose
    index already holds ``size`` pages, for each size (one archive file per size, so every
    size sees the same probes and the same corpus neighbours).

    After each transaction of COMMIT_ITEMS probes, ``extraction_share`` pages are
    extracted with trafilatura: both are timed in the same windows, wall clock and this
    process's CPU time (the CPU ratio is the one that holds on a busy, shared machine).
    """
    extraction = Extraction(pages)
    corpus = generate_corpus(stories=int(probes / 3.2) + 20, seed=11)[:probes]

    wall: list[float] = []
    cpu: list[float] = []
    real_place = archive.dedup.cluster.place_page

    def timed_place(*args: Any, **kwargs: Any) -> Any:
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            return real_place(*args, **kwargs)
        finally:
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)

    # the phases of place_page, timed in CPU: signature (normalise, shingle, MinHash),
    # find (exact match, evidence, candidate query, verification), insert (index rows)
    phases: dict[str, float] = defaultdict(float)
    originals = {name: getattr(archive.dedup, name) for name in PHASES.values()}

    def phase(name: str, func: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                phases[name] += time.process_time() - started

        return timed

    rows = []
    archive.dedup.cluster.place_page = timed_place  # type: ignore[assignment]
    for name, func in PHASES.items():
        setattr(archive.dedup, func, phase(name, originals[func]))
    try:
        for size in sizes:
            path = workdir / f"cost-{size}.db"
            _remove_archive(path)
            started = time.perf_counter()
            filler = max(0, size - len(corpus))
            # the archive is made by another process, as a crawl opens an archive that
            # earlier runs filled: the measuring process carries no state of the filling
            # (its heap, a page cache holding the whole index)
            child = multiprocessing.get_context("spawn").Process(
                target=make_archive, args=(path, filler, params.to_json(), size)
            )
            child.start()
            child.join()
            if child.exitcode != 0:
                raise RuntimeError(f"filling {path} failed with exit code {child.exitcode}")
            fill_seconds = time.perf_counter() - started
            db = open_archive(path)
            wall.clear()
            cpu.clear()
            phases.clear()
            extraction.reset()
            commit_wall = 0.0
            for start in range(0, len(corpus), COMMIT_ITEMS):
                batch_started = time.perf_counter()
                store_docs(db, corpus[start : start + COMMIT_ITEMS])
                commit_wall += time.perf_counter() - batch_started
                extraction.run(extraction_share)
            dedup_wall, dedup_cpu = float(np.mean(wall)), float(np.mean(cpu))
            extract_wall = extraction.wall / extraction.count
            extract_cpu = extraction.cpu / extraction.count
            rows.append(
                {
                    "archived_articles": filler + len(corpus),
                    "probes": len(corpus),
                    "dedup_ms": round(dedup_wall * 1e3, 4),
                    "dedup_cpu_ms": round(dedup_cpu * 1e3, 4),
                    "dedup_p95_ms": round(float(np.quantile(wall, 0.95)) * 1e3, 4),
                    "trafilatura_ms": round(extract_wall * 1e3, 3),
                    "trafilatura_cpu_ms": round(extract_cpu * 1e3, 3),
                    "ratio": round(dedup_wall / extract_wall, 4),
                    "ratio_cpu": round(dedup_cpu / extract_cpu, 4),
                    **{
                        f"{name}_cpu_ms": round(phases[name] / len(corpus) * 1e3, 4)
                        for name in PHASES
                    },
                    "save_page_and_commit_ms": round(commit_wall / len(corpus) * 1e3, 4),
                    "rss_mb": round(_rss_mb(), 1),
                    "peak_rss_mb": round(
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
                    ),
                    "index_bytes": index_bytes(db),
                    "index_bytes_per_article": round(index_bytes(db) / (filler + len(corpus))),
                    "file_bytes": path.stat().st_size,
                    "fill_seconds": round(fill_seconds, 1),
                    "fill_peak_rss_mb": round(
                        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
                    ),
                }
            )
            db.close()
            _remove_archive(path)
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    finally:
        archive.dedup.cluster.place_page = real_place  # type: ignore[assignment]
        for func, original in originals.items():
            setattr(archive.dedup, func, original)
    for row in rows:
        row["cost_vs_smallest"] = round(row["dedup_cpu_ms"] / rows[0]["dedup_cpu_ms"], 3)
    return {
        "extraction_pages": len(extraction.pages),
        "params": asdict(params),
        "sizes": rows,
    }


# --- hashing libraries


def measure_libraries(texts: list[str], num_perm: int = 256) -> list[dict[str, Any]]:
    """Signature time per text for each MinHash implementation on the same shingles.

    rensa RMinHash and CMinHash hashing shingle strings, rensa on pre-hashed shingles
    (what archive.dedup does), and datasketch when installed (not a dependency:
    ``pip install datasketch`` to include it).
    """
    import rensa

    k = DEFAULT_PARAMS.shingle_words
    shingle_sets = [
        [" ".join(w[i : i + k]) for i in range(max(1, len(w) - k + 1))]
        for w in (words(t) for t in texts)
    ]
    hashed = [shingle_hashes(t) for t in texts]

    def rensa_strings(shingles: list[str]) -> None:
        m = rensa.RMinHash(num_perm=num_perm, seed=1)
        m.update(shingles)
        m.digest()

    def cminhash_strings(shingles: list[str]) -> None:
        m = rensa.CMinHash(num_perm=num_perm, seed=1)
        m.update(shingles)
        m.digest()

    def rensa_prehashed(h: np.ndarray) -> None:
        offsets = np.array([0, len(h)], dtype=np.uint64)
        rensa.RMinHash.digest_matrix_from_flat_token_hashes(h, offsets, num_perm, 1).to_rows()

    cases: list[tuple[str, Any, list[Any]]] = [
        ("rensa RMinHash, shingle strings", rensa_strings, shingle_sets),
        ("rensa CMinHash, shingle strings", cminhash_strings, shingle_sets),
        ("rensa RMinHash, pre-hashed shingles (archive.dedup)", rensa_prehashed, hashed),
    ]
    try:
        import datasketch
    except ImportError:
        datasketch = None
    if datasketch is not None:

        def datasketch_strings(shingles: list[str]) -> None:
            m = datasketch.MinHash(num_perm=num_perm, seed=1)
            m.update_batch([x.encode() for x in shingles])
            m.digest()

        cases.append(("datasketch MinHash, shingle strings", datasketch_strings, shingle_sets))
    rows = []
    for name, func, inputs in cases:
        started = time.process_time()
        for item in inputs:
            func(item)
        rows.append(
            {
                "implementation": name,
                "us_per_text": round((time.process_time() - started) / len(inputs) * 1e6, 1),
            }
        )
    started = time.process_time()
    for t in texts:
        shingle_hashes(t)
    rows.append(
        {
            "implementation": "(normalise + shingle hashing, archive.dedup.shingle_hashes)",
            "us_per_text": round((time.process_time() - started) / len(texts) * 1e6, 1),
        }
    )
    return rows


# --- command line


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


# One parameter moved at a time around the defaults, then the bands (index size and
# insert cost) at the chosen containment bar.
SWEEP: list[dict[str, Any]] = [
    *({"shingle_words": k} for k in (3, 4, 5, 6)),
    *({"min_containment": c} for c in (0.45, 0.5, 0.52, 0.55, 0.58, 0.6)),
    *({"num_perm": n, "bands": 32} for n in (64, 128, 256)),
    *({"bands": b} for b in (12, 16, 20, 24, 32, 48)),
    *({"evidence_containment": e} for e in (0.2, 0.3, 0.4, 0.5)),
    *({"max_candidates": m} for m in (4, 8, 16, 32, 1000)),
]


def main(argv: list[str] | None = None) -> None:
    """Run one of the benchmarks (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.dedup", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--stories", type=int, default=1500)
    q.add_argument("--seed", type=int, default=7)
    s = sub.add_parser("sweep")
    s.add_argument("--stories", type=int, default=1200)
    s.add_argument("--seed", type=int, default=3)
    lib = sub.add_parser("libraries")
    lib.add_argument("--texts", type=int, default=500)
    c = sub.add_parser("cost")
    c.add_argument("--sizes", default="10000,100000,1000000")
    c.add_argument("--probes", type=int, default=2000)
    c.add_argument(
        "--pages", type=Path, required=True, help="a folder of *.html.gz article pages to extract"
    )
    for p in (q, s, lib, c):
        p.add_argument("--json", type=Path, help="write the results here")
        p.add_argument("--dir", type=Path, help="directory for the archive files (default: temp)")
    args = parser.parse_args(argv)
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    workdir.mkdir(parents=True, exist_ok=True)

    if args.command == "quality":
        docs = generate_corpus(args.stories, seed=args.seed)
        result: Any = asdict(measure_quality(docs, DEFAULT_PARAMS, workdir / "quality.db"))
        result["params"] = asdict(DEFAULT_PARAMS)
        print(json.dumps(result, indent=2))
    elif args.command == "sweep":
        docs = generate_corpus(args.stories, seed=args.seed)
        result = []
        for overrides in SWEEP:
            params = replace(DEFAULT_PARAMS, **overrides)
            name = ",".join(f"{k}={v}" for k, v in overrides.items())
            quality = measure_quality(docs, params, workdir / "sweep.db")
            row = {"changed": name, **asdict(quality)}
            result.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
        print(
            _table(
                result,
                ["changed", "precision", "recall", "eligible_recall", "ari", "seconds"],
            )
        )
    elif args.command == "libraries":
        texts = [extracted_of(d).text for d in generate_corpus(args.texts // 3 + 5, seed=5)]
        result = measure_libraries(texts[: args.texts])
        print(_table(result, ["implementation", "us_per_text"]))
    else:
        sizes = [int(x) for x in args.sizes.split(",")]
        result = measure_cost(sizes, args.probes, DEFAULT_PARAMS, workdir, pages=args.pages)
        print(
            _table(
                result["sizes"],
                [
                    "archived_articles",
                    "dedup_ms",
                    "dedup_cpu_ms",
                    "trafilatura_ms",
                    "trafilatura_cpu_ms",
                    "ratio",
                    "ratio_cpu",
                    "cost_vs_smallest",
                    "signature_cpu_ms",
                    "find_cpu_ms",
                    "insert_cpu_ms",
                    "save_page_and_commit_ms",
                    "peak_rss_mb",
                    "index_bytes",
                ],
            )
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
