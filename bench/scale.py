"""Scale benchmark: FTS search latency, export throughput and archive size at N articles.

    python bench/scale.py 100000 1000000          # sizes as arguments
    python bench/scale.py 20000 --words 600 --keep
    python bench/scale.py 1000000 --reuse         # measure again an archive kept before

For each size: generate a synthetic archive through the real schema (open_archive, so
every migration, FTS trigger and change-log trigger fires), with entertainment-like text
(~600 words an article, Zipf-distributed vocabulary, names and show titles), 1-12 copies
a story; then measure

- search: p50/p95 latency of 20 typical queries through ``archive.search.search`` (bm25
  ranking, snippet, limit 20), each run 5 times, warm page cache;
- export: rows/s and peak memory of ``reprint export`` to /dev/null, per format, each
  in a fresh process (so the peak RSS is the export's own);
- size: the SQLite file against the raw article text it holds;
- datasette: median latency of the pages and canned queries of `reprint serve`.

Prints a table and ratios, writes bench/results/scale-<N>.json. Archives are built under
bench/results/data/ (gitignored) and deleted unless --keep.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.db import open_archive  # noqa: E402
from archive.search import search  # noqa: E402
from archive.settings import SEARCH_RANK_WINDOW  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SEED = 7
BATCH = 20_000  # articles per transaction while loading: few commits, bounded memory
SENTENCE_POOL = 200_000  # distinct sentences texts are drawn from
REPEATS = 5  # runs of each query
# Calibrated to what entertainment archives look like: the most covered star or show is
# in ~2-4% of all stories and most in a handful; the commonest news word ("season") in
# ~25% of stories, a middling one ("divorce") in ~2%.
TOPIC_ZIPF = 0.7
NEWS_WORD_SHARE = 0.05  # sentences that carry a news word

FIRST = [
    "Maya",
    "Jonah",
    "Ines",
    "Rae",
    "Dario",
    "Keiko",
    "Amara",
    "Lucien",
    "Priya",
    "Tobias",
    "Sienna",
    "Mateo",
    "Noor",
    "Felix",
    "Harriet",
    "Kofi",
    "Elodie",
    "Ravi",
    "Greta",
    "Idris",
    "Marisol",
    "Caspian",
    "Yara",
    "Anselm",
    "Leila",
    "Oskar",
    "Delphine",
    "Tariq",
    "Wren",
    "Bastian",
    "Odette",
    "Emeka",
    "Solene",
    "Joaquin",
    "Freya",
    "Hiro",
    "Celeste",
    "Kwame",
    "Ottilie",
    "Rafael",
]
LAST = [
    "Okonjo",
    "Whitlock",
    "Carvalho",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Adeyemi",
    "Fontaine",
    "Raman",
    "Kessler",
    "Vance",
    "Delgado",
    "Haddad",
    "Brandt",
    "Ashworth",
    "Mensah",
    "Laurent",
    "Iyer",
    "Sorensen",
    "Farouk",
    "Castellanos",
    "Hale",
    "Nakamura",
    "Ferreira",
    "Blackwood",
    "Osei",
    "Duval",
    "Kaur",
    "Petrov",
    "Quinlan",
    "Abernathy",
    "Sato",
    "Valencia",
    "Thorne",
    "Oyelaran",
    "Marchetti",
    "Lund",
    "Achebe",
    "Rousseau",
    "Calloway",
]
SHOWS = [
    "Lantern House",
    "Glasshouse Bay",
    "Northern Embers",
    "The Quiet Harbour",
    "Silver Fathom",
    "Paper Kingdoms",
    "Midnight Orchard",
    "The Salt Road",
    "Copper Skies",
    "Hollow Crown Lane",
    "Velvet Static",
    "The Last Ferry",
]
NEWS_WORDS = [
    "season",
    "premiere",
    "finale",
    "renewed",
    "cancelled",
    "trailer",
    "cast",
    "episode",
    "series",
    "streaming",
    "network",
    "album",
    "tour",
    "single",
    "chart",
    "festival",
    "award",
    "nomination",
    "red",
    "carpet",
    "interview",
    "divorce",
    "wedding",
    "engaged",
    "baby",
    "split",
    "reunion",
    "sequel",
    "spinoff",
    "director",
    "showrunner",
    "studio",
    "box",
    "office",
    "release",
    "date",
    "casting",
    "rumour",
    "fans",
    "critics",
    "review",
    "soundtrack",
    "documentary",
    "podcast",
    "tribute",
    "concert",
    "gala",
    "premiere",
    "backstage",
    "rehearsal",
    "lawsuit",
    "settlement",
    "memoir",
    "biopic",
]
SITES = [
    f"{name}.example"
    for name in [
        "glossmag",
        "starwire",
        "popdesk",
        "reelnews",
        "tunedin",
        "marqueedaily",
        "celebritywire",
        "screenbuzz",
        "showtalk",
        "trendline",
        "stagepass",
        "headlinerhub",
        "fanpulse",
        "gossipgrid",
        "cinemabeat",
        "tvinsider",
        "musicroom",
        "redcarpetnow",
        "hotsheet",
        "spotlightwire",
        "buzzfeedr",
        "entertainist",
        "talkietimes",
        "boxofficer",
        "serieswatch",
        "playlistpost",
        "idolizer",
        "showbizdaily",
        "paparazzo",
        "vanityview",
        "coastcast",
        "metroshow",
        "lateedition",
        "primetimer",
        "silverscreen",
        "chartbeat",
        "premierepost",
        "castlist",
        "studiogram",
    ]
]
LANGUAGES = [("en", 90), ("es", 5), ("fr", 3), ("de", 2)]
# how many places a story runs in: most once, a long tail of widely syndicated stories
FANOUT = [(1, 70), (2, 14), (3, 7), (4, 4), (5, 2), (6, 1), (8, 1), (12, 1)]

QUERIES: list[dict[str, str]] = [
    {"q": "okonjo"},
    {"q": "maya okonjo"},
    {"q": '"lantern house"'},
    {"q": '"glasshouse bay" renewed'},
    {"q": "whitlock carvalho"},
    {"q": "divorce"},
    {"q": "premiere NEAR(lantern house)"},
    {"q": "soundtrack album tour"},
    {"q": "biopic memoir"},
    {"q": "kessler OR vance"},
    {"q": "festival NOT award"},
    {"q": "showrun*"},
    {"q": '"northern embers" finale'},
    {"q": "reunion sequel"},
    {"q": "hale nakamura"},
    {"q": "copper skies", "site": "glossmag.example"},
    {"q": "red carpet gala", "since": "RECENT"},
    {"q": "lawsuit settlement"},
    {"q": '"the salt road" casting'},
    {"q": "renewed", "site": "starwire.example"},
]


def _syllable_words(rng: random.Random, count: int) -> list[str]:
    onsets = [
        "b",
        "c",
        "d",
        "f",
        "g",
        "h",
        "j",
        "k",
        "l",
        "m",
        "n",
        "p",
        "r",
        "s",
        "t",
        "v",
        "w",
        "z",
        "br",
        "cr",
        "dr",
        "fr",
        "gr",
        "pl",
        "st",
        "tr",
        "sh",
        "ch",
        "th",
    ]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"]
    codas = ["", "", "n", "r", "s", "l", "t", "nd", "st", "rk"]
    words: set[str] = set()
    while len(words) < count:
        parts = rng.randint(1, 3)
        words.add(
            "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(parts))
            + rng.choice(codas)
        )
    return sorted(words)


def _sentence_pool(rng: random.Random) -> list[str]:
    # Zipf-like weights: a few filler words everywhere, a long tail of rare ones; names
    # are not in the pool but put into each article by its topic (see generate)
    filler = [
        "the",
        "a",
        "of",
        "and",
        "to",
        "in",
        "on",
        "for",
        "with",
        "that",
        "was",
        "is",
        "at",
        "as",
        "by",
        "it",
        "from",
        "his",
        "her",
        "their",
    ]
    vocab = filler + _syllable_words(rng, 40_000)
    cum = list(itertools.accumulate(1.0 / (rank + 1) ** 1.05 for rank in range(len(vocab))))
    news_cum = list(itertools.accumulate(1.0 / (r + 1) ** 0.8 for r in range(len(NEWS_WORDS))))
    pool = []
    for _ in range(SENTENCE_POOL):
        words = rng.choices(vocab, cum_weights=cum, k=rng.randint(8, 22))
        if rng.random() < NEWS_WORD_SHARE:
            words.insert(
                rng.randrange(len(words)), rng.choices(NEWS_WORDS, cum_weights=news_cum)[0]
            )
        sentence = " ".join(words)
        pool.append(sentence[0].upper() + sentence[1:] + ".")
    return pool


def _topics(rng: random.Random) -> tuple[list[str], list[float], list[str], list[float]]:
    """People and shows with Zipf popularity: a few stars in many stories, most in few."""
    extra_first = _syllable_words(rng, 160)
    extra_last = _syllable_words(rng, 160)
    people = [f"{first} {last}" for first in FIRST for last in LAST]
    people += [
        f"{first.title()} {last.title()}"
        for first, last in zip(extra_first, extra_last * 2, strict=False)
    ]
    rng.shuffle(people)
    shows = SHOWS + [
        f"The {a.title()} {b.title()}"
        for a, b in zip(_syllable_words(rng, 3000), _syllable_words(rng, 3000)[::-1], strict=True)
    ]
    people_cum = list(itertools.accumulate(1.0 / (r + 1) ** TOPIC_ZIPF for r in range(len(people))))
    shows_cum = list(itertools.accumulate(1.0 / (r + 1) ** TOPIC_ZIPF for r in range(len(shows))))
    return people, people_cum, shows, shows_cum


def _weighted(pairs: list[tuple[object, int]]) -> tuple[list[object], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


def generate(path: Path, count: int, words: int) -> dict[str, float]:
    """Fill a new archive at ``path`` with ``count`` synthetic articles and their copies."""
    rng = random.Random(SEED)
    pool = _sentence_pool(rng)
    per_article = max(1, round(words / 17))  # sentences of ~17 words
    languages, language_weights = _weighted(LANGUAGES)
    fanouts, fanout_weights = _weighted(FANOUT)
    site_weights = [1.0 / (i + 1) ** 0.8 for i in range(len(SITES))]
    authors = [f"{first} {last}" for first in FIRST for last in LAST]
    people, people_cum, shows, shows_cum = _topics(rng)
    site_cum = list(itertools.accumulate(site_weights))
    end = datetime(2026, 11, 1, tzinfo=UTC)
    db = open_archive(path)
    db.execute("PRAGMA journal_size_limit = 67108864")
    # a big page cache for the loader: index inserts at random keys (url, author) stop
    # going to the OS for every page once the archive outgrows the default 2 MB cache
    db.execute("PRAGMA cache_size = -1048576")
    conn: sqlite3.Connection = db.conn
    started = time.perf_counter()
    text_bytes = 0
    page_id = 0
    for first in range(1, count + 1, BATCH):
        articles, pages = [], []
        for article_id in range(first, min(first + BATCH, count + 1)):
            sentences = rng.choices(pool, k=per_article)
            # the story is about one or two people and a show, named in a few sentences
            cast = rng.choices(people, cum_weights=people_cum, k=rng.randint(1, 2))
            show = rng.choices(shows, cum_weights=shows_cum)[0]
            for name in (*cast, *cast, show, show):
                i = rng.randrange(per_article)
                sentences[i] = f"{name} {sentences[i][0].lower()}{sentences[i][1:]}"
            text = "\n".join(" ".join(sentences[i : i + 4]) for i in range(0, per_article, 4))
            text_bytes += len(text.encode())
            site = rng.choices(SITES, cum_weights=site_cum)[0]
            published = end - timedelta(minutes=rng.randrange(365 * 24 * 60))
            seen = (published + timedelta(minutes=rng.randrange(1, 600))).isoformat(
                timespec="seconds"
            )
            title = f"{cast[0]} on {show}: {rng.choice(NEWS_WORDS)} news"
            copies = rng.choices(fanouts, fanout_weights)[0]
            url = f"https://{site}/news/{article_id}-{show.lower().replace(' ', '-')}"
            representative = page_id + 1
            for n in range(copies):
                page_id += 1
                copy_site = site if n == 0 else rng.choice(SITES)
                copy_url = url if n == 0 else f"https://{copy_site}/syndicated/{article_id}-{n}"
                pages.append(
                    (
                        page_id,
                        copy_url,
                        copy_site,
                        article_id,
                        title,
                        published.isoformat(),
                        url,
                        text,
                        len(text.split()),
                        seen,
                        seen,
                        200,
                        "text/html",
                    )
                )
            articles.append(
                (
                    article_id,
                    title,
                    rng.choice(authors),
                    published.isoformat(),
                    rng.choices(languages, language_weights)[0],
                    text,
                    len(text.split()),
                    site,
                    url,
                    json.dumps(["TV", show]),
                    representative,
                    seen,
                    seen,
                    copies,
                    site.split(".")[0].title(),
                )
            )
        with conn:
            conn.executemany(
                "INSERT INTO articles (id, title, author, published, language, text, word_count,"
                " site, canonical_url, tags, representative_page_id, first_seen, last_seen,"
                " copies, site_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                articles,
            )
            conn.executemany(
                "INSERT INTO pages (id, url, site, article_id, title, published, canonical_url,"
                " text, word_count, first_seen, fetched_at, http_status, content_type)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                pages,
            )
        print(f"  {min(first + BATCH - 1, count):>9,} articles", end="\r", file=sys.stderr)
    load_s = time.perf_counter() - started
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(file=sys.stderr)
    return {"load_s": load_s, "text_bytes": text_bytes, "pages": page_id}


def measure_search(path: Path, window: int | None = SEARCH_RANK_WINDOW) -> dict[str, object]:
    """Latency of QUERIES through archive.search.search, warm cache.

    :param window: search()'s rank window (None: rank every match, exact bm25)
    """
    db = open_archive(path, readonly=True)
    since = "2026-10-01"
    timings: list[float] = []
    per_query = []
    for spec in QUERIES:
        kwargs = {k: v for k, v in spec.items() if k != "q"}
        if kwargs.get("since") == "RECENT":
            kwargs["since"] = since
        kwargs["window"] = window
        search(db, spec["q"], **kwargs)  # warm-up: first touch of the pages involved
        runs = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            hits = search(db, spec["q"], **kwargs)
            runs.append((time.perf_counter() - t0) * 1000)
        matches = db.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [spec["q"]]
        ).fetchone()[0]
        per_query.append(
            {**spec, "hits": len(hits), "matches": matches, "median_ms": statistics.median(runs)}
        )
        timings.extend(runs)
    db.close()
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(0.95 * (len(timings) - 1))],
        "max_ms": timings[-1],
        "queries": per_query,
    }


# Runs `reprint export` and reports the process's own peak memory (VmHWM: ru_maxrss would
# include the forking parent's pages, which Linux carries across exec).
_EXPORT_WRAPPER = """
import runpy, sys
try:
    runpy.run_module("crawler.cli", run_name="__main__")
finally:
    with open("/proc/self/status") as f:
        peak = next(line for line in f if line.startswith("VmHWM:"))
    print("PEAK_KB", peak.split()[1], file=sys.stderr)
"""


def measure_export(path: Path, fmt: str, count: int) -> dict[str, float]:
    """Run `reprint export` to /dev/null in a fresh process: rows/s and peak memory."""
    cmd = [
        sys.executable,
        "-c",
        _EXPORT_WRAPPER,
        "export",
        "--db",
        str(path),
        "--format",
        fmt,
        "--out",
        os.devnull,
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"export {fmt} failed ({proc.returncode}): {proc.stderr}")
    peak_kb = int(proc.stderr.split("PEAK_KB")[-1].split()[0])
    return {"seconds": elapsed, "rows_per_s": count / elapsed, "peak_rss_mb": peak_kb / 1024}


# Pages a person opens in `reprint serve`, timed end to end over HTTP (median of 3).
DATASETTE_PAGES = {
    "articles table (facets site, language, author)": "/{db}/articles.json?_size=20",
    "catalog view with month facet": "/{db}/catalog.json?_facet=month&_size=20",
    "table search (?_search=okonjo)": "/{db}/articles.json?_search=okonjo&_size=20",
    "canned: most copied": "/{db}/most_copied.json",
    "canned: new since yesterday": "/{db}/new_since_yesterday.json",
    "canned: copies of an article": "/{db}/copies_of_article.json?article_id=12345",
    "canned: search with snippet (lantern house)": "/{db}/search_with_snippet.json?q=lantern+house",
    "Atom feed (50 stories)": "/-/reprint/feed.atom",
    "charts page": "/-/reprint/stats",
}


def measure_datasette(path: Path) -> dict[str, float]:
    """Median latency (ms) of DATASETTE_PAGES served by `reprint serve` on the archive."""
    import urllib.request

    cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", str(path), "--port", "0"]
    timings: dict[str, float] = {}
    with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            base = proc.stdout.readline().split(" at ", 1)[1].strip().rstrip("/")
            for name, page in DATASETTE_PAGES.items():
                url = base + page.format(db=path.stem)
                runs = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    with urllib.request.urlopen(url, timeout=120) as response:
                        response.read()
                    runs.append((time.perf_counter() - t0) * 1000)
                timings[name] = statistics.median(runs)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return timings


def size_breakdown(path: Path) -> dict[str, int]:
    """Bytes of the archive by part (SQLite's dbstat): article rows, page rows (each copy
    keeps its own text), the FTS index, the other indexes, the rest."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        conn.close()
    parts = {"articles": 0, "pages": 0, "fts_index": 0, "other_indexes": 0, "rest": 0}
    for name, size in rows:
        if name in ("articles", "pages"):
            parts[name] += size
        elif name.startswith("articles_fts"):
            parts["fts_index"] += size
        elif name.startswith(("idx_", "sqlite_autoindex")):
            parts["other_indexes"] += size
        else:
            parts["rest"] += size
    return parts


def _measured_load(path: Path) -> dict[str, float]:
    """What generate() reports, read back from an archive made by an earlier --keep run."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        text_bytes = conn.execute("SELECT sum(length(CAST(text AS BLOB))) FROM articles").fetchone()
        pages = conn.execute("SELECT count(*) FROM pages").fetchone()
    finally:
        conn.close()
    return {"load_s": float("nan"), "text_bytes": text_bytes[0], "pages": pages[0]}


def run(count: int, words: int, formats: list[str], keep: bool, reuse: bool) -> dict[str, object]:
    data = RESULTS / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"scale-{count}.db"
    if reuse and path.exists():
        print(f"== {count:,} articles: measuring the existing {path}", file=sys.stderr)
        load = _measured_load(path)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        print(f"== {count:,} articles x ~{words} words -> {path}", file=sys.stderr)
        load = generate(path, count, words)
        print(f"  loaded in {load['load_s']:.0f}s; searching", file=sys.stderr)
    db_bytes = path.stat().st_size
    result: dict[str, object] = {
        "articles": count,
        "pages": load["pages"],
        "words_per_article": words,
        "load_s": round(load["load_s"], 1),
        "load_articles_per_s": round(count / load["load_s"])
        if load["load_s"] == load["load_s"]
        else None,
        "text_bytes": load["text_bytes"],
        "db_bytes": db_bytes,
        "db_to_article_text": round(db_bytes / load["text_bytes"], 2),
        "size_breakdown": size_breakdown(path),
        # the machine is shared: other work running beside the benchmark shows here
        "loadavg_before": os.getloadavg(),
        "search": measure_search(path),
        "search_exact": measure_search(path, window=None),
        "datasette_ms": measure_datasette(path),
        "export": {},
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()},"
        f" SQLite {sqlite3.sqlite_version}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for fmt in formats:
        print(f"  export {fmt}", file=sys.stderr)
        result["export"][fmt] = measure_export(path, fmt, count)  # type: ignore[index]
    result["loadavg_after"] = os.getloadavg()
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="+", type=int, help="article counts, e.g. 100000 1000000")
    parser.add_argument("--words", type=int, default=600, help="words per article")
    parser.add_argument(
        "--formats", default="jsonl,csv,parquet", help="export formats to time (comma list)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated archives")
    parser.add_argument(
        "--reuse", action="store_true", help="measure archives kept by an earlier --keep run"
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    for count in args.sizes:
        result = run(count, args.words, args.formats.split(","), args.keep, args.reuse)
        (RESULTS / f"scale-{count}.json").write_text(json.dumps(result, indent=2))
        rows.append(result)
    print(
        "| articles | pages | DB size | article text | DB/text | load art/s | search p50 |"
        " search p95 | exact p95 | "
        + " | ".join(f"export {f} rows/s (peak MB)" for f in args.formats.split(","))
        + " |"
    )
    print("|" + "---|" * (9 + len(args.formats.split(","))))
    for r in rows:
        search_ = r["search"]
        exports = r["export"]
        print(
            f"| {r['articles']:,} | {r['pages']:,} | {r['db_bytes'] / 2**30:.2f} GiB |"
            f" {r['text_bytes'] / 2**30:.2f} GiB | {r['db_to_article_text']}x |"
            f" {r['load_articles_per_s'] or '-'} | {search_['p50_ms']:.1f} ms |"
            f" {search_['p95_ms']:.1f} ms |"
            f" {r['search_exact']['p95_ms']:.1f} ms | "
            + " | ".join(
                f"{e['rows_per_s']:,.0f} ({e['peak_rss_mb']:.0f})" for e in exports.values()
            )
            + " |"
        )


if __name__ == "__main__":
    main()
