"""The crawl throughput benchmark's harness in CI (bench/throughput.py, issue 10): a small
web of generated pages served by nginx on 8 loopback hosts, crawled for real by
`reprint crawl`. It checks that every page is stored, never a speed."""

from __future__ import annotations

import itertools
import random
from html import escape
from typing import TYPE_CHECKING

import pytest

from bench.syndication_corpus import _Writer
from bench.throughput import (
    HOSTS,
    build_web,
    classify,
    load_pages,
    markdown,
    measure_variant,
    ratios,
    shuffle_text,
)

from .conftest import recording_server, run_crawl
from .site_builder import STORY, article_page

if TYPE_CHECKING:
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes
# 25 stories under 200 URLs: each page served 8 times, as the full benchmark serves its
# 115 pages 8-9 times; small enough for two crawls in well under 30 s.
STORIES = 25
URLS = 200
PARAGRAPHS = 8  # ~500 words a story: far above REPRINT_MIN_WORDS


def write_pages(folder: Path, count: int, seed: int = 10) -> None:
    """Write ``count`` article pages of generated text (bench/syndication_corpus.py's
    writer) as ``NNN.html`` files: the benchmark's --pages input."""
    writer = _Writer(random.Random(seed))
    folder.mkdir(parents=True)
    for n in range(count):
        entities = writer.entities()
        title = escape(writer.headline(entities))
        body = "".join(f"<p>{escape(p)}</p>" for p in writer.story(entities, PARAGRAPHS))
        (folder / f"{n:03d}.html").write_text(
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            "</head><body><nav><a href='/'>Home</a> <a href='/tv/'>TV</a></nav>"
            f"<main><article><h1>{title}</h1>{body}</article></main>"
            "<footer><p>© Bench News 2026</p></footer></body></html>\n",
            encoding="utf-8",
        )


@pytest.mark.parametrize("variant", ["copies", "distinct"])
def test_every_served_page_is_stored(tmp_path: Path, variant: str) -> None:
    write_pages(tmp_path / "pages", STORIES)
    result = measure_variant(
        load_pages(tmp_path / "pages"), URLS, variant, tmp_path / variant, systems=("reprint",)
    )
    crawl = result["reprint"]
    assert crawl["status"] == "finished", crawl
    assert crawl["exit_code"] == 0, crawl
    assert crawl["errors"] == {}, crawl
    assert crawl["pages_fetched"] == crawl["pages_stored"] == crawl["pages_in_archive"] == URLS
    # copies cluster into their story; shuffled copies are stories of their own
    assert crawl["articles_stored"] == (STORIES if variant == "copies" else URLS)
    assert crawl["loop_lag_max_ms"] is not None  # crawler/looplag.py ran and was recorded
    assert crawl["stats"]["reprint/event_loop"] == "uvloop.Loop"  # crawler/settings.py
    assert crawl["processes"] >= 2  # the tree was polled: the crawl and its workers


def test_paired_rounds_report_the_round_of_the_median_ratio(tmp_path: Path) -> None:
    write_pages(tmp_path / "pages", STORIES)
    result = measure_variant(
        load_pages(tmp_path / "pages"),
        URLS,
        "copies",
        tmp_path / "paired",
        systems=("bare1", "reprint"),
        rounds=3,
    )
    rounds = result["rounds"]
    assert len(rounds) == 3
    for each in rounds:
        bare = each["bare1"]
        assert bare["pages"] == URLS
        assert each["reprint"]["pages_in_archive"] == URLS  # each crawl a fresh archive
        # the crawl's ratio is to the mean of the bare1 runs on either side of it
        mean = (bare["before_pages_per_s"] + bare["after_pages_per_s"]) / 2
        assert bare["pages_per_s"] == pytest.approx(mean)
        assert each["ratio"] == pytest.approx(each["reprint"]["pages_per_s"] / mean)
    # four bare1 runs for three crawls: each one after a crawl is the next one's before
    for one, following in itertools.pairwise(rounds):
        assert one["bare1"]["after_pages_per_s"] == following["bare1"]["before_pages_per_s"]
    median = sorted(r["ratio"] for r in rounds)[1]
    assert ratios(result)["reprint"] == pytest.approx(median)
    assert "3 crawls, each between two bare1 runs" in markdown([result])


def test_requests_held_back_while_the_scheduler_is_full_are_all_crawled(
    tmp_path: Path,
) -> None:
    # 8 feeds of 25 entries against room for 10 queued requests: most are held back and
    # scheduled as the queue drains (crawler/spiders/base.py SourceSpider.hand_over)
    write_pages(tmp_path / "pages", STORIES)
    result = measure_variant(
        load_pages(tmp_path / "pages"),
        URLS,
        "copies",
        tmp_path / "held",
        systems=("reprint",),
        crawl_settings=("REPRINT_MAX_QUEUED_REQUESTS=10",),
    )
    crawl = result["reprint"]
    assert crawl["status"] == "finished", crawl
    assert crawl["stats"].get("reprint/requests/held_back", 0) >= len(HOSTS) - 1
    assert crawl["pages_fetched"] == crawl["pages_stored"] == crawl["pages_in_archive"] == URLS
    assert crawl["errors"] == {}, crawl


def test_web_layout(tmp_path: Path) -> None:
    write_pages(tmp_path / "pages", 3)
    pages = load_pages(tmp_path / "pages")
    web = build_web(pages, 10, tmp_path / "web", "distinct")
    assert len(set(web.bodies)) == 10  # each URL's body is its own
    assert {host for host, _ in web.paths} == set(HOSTS)
    assert web.bodies[0].startswith(pages[0])  # first copies unchanged, bar the comment
    for host in HOSTS:
        assert (web.www / host / "feed.xml").exists()
        assert (web.www / host / "robots.txt").exists()


def test_shuffle_keeps_markup_and_words() -> None:
    body = b"<p>one two three four five</p><script>var a = 1; b c</script><!-- x y z -->"
    shuffled = shuffle_text(body, random.Random(1))
    assert shuffled.endswith(b"<script>var a = 1; b c</script><!-- x y z -->")
    text = shuffled.removeprefix(b"<p>").partition(b"</p>")[0]
    assert sorted(text.split()) == sorted(b"one two three four five".split())
    assert text != b"one two three four five"


def test_loop_lag_monitor_is_off_at_interval_zero() -> None:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from crawler.looplag import LoopLagMonitor

    with pytest.raises(NotConfigured):
        LoopLagMonitor.from_crawler(get_crawler(settings_dict={"REPRINT_LOOP_LAG_INTERVAL": 0}))


def test_requests_held_back_are_released_one_source_at_a_time(tmp_path: Path) -> None:
    # two feeds of 30 entries against room for 4 queued requests, one download at a
    # time: the held-back requests of both feeds are scheduled in turn, so neither site
    # waits for the other's whole list (crawler/spiders/base.py release_held_back)
    entries = 30

    def respond(path: str) -> bytes:
        if path.startswith("/feed-"):
            source = path.removeprefix("/feed-").removesuffix(".xml")
            items = "".join(
                f"<item><title>Story {source}{n}</title><link>/{source}/{n}.html</link></item>"
                for n in range(entries)
            )
            channel = f"<channel><title>{source}</title>{items}</channel>"
            return f"<rss version='2.0'>{channel}</rss>".encode()
        return article_page(STORY)

    with recording_server(respond) as (base, hits):
        run_crawl(
            tmp_path / "a.db",
            "--feed",
            f"{base}/feed-a.xml",
            "--feed",
            f"{base}/feed-b.xml",
            "-s",
            "REPRINT_MAX_QUEUED_REQUESTS=4",
            "-s",
            "CONCURRENT_REQUESTS=1",
        )
    pages = [path.split("/")[1] for path in hits if path.endswith(".html")]
    assert sorted(pages) == ["a"] * entries + ["b"] * entries  # every page fetched once
    first_half = pages[:entries]
    assert first_half.count("a") >= entries // 3 and first_half.count("b") >= entries // 3


def test_the_cost_split_counts_the_reactor_waiting_in_uvloop_as_idle() -> None:
    # uvloop waits for I/O in C: the sample ends in the frame that started the loop
    run = [
        "<module> (crawler/cli/__main__.py:4)",
        "AsyncioSelectorReactor.run (twisted/internet/asyncioreactor.py:257)",
    ]
    assert classify(run, set(), "crawl (main)") == "idle"
    callback = [*run, "Connection.doRead (twisted/internet/tcp.py:278)"]
    assert classify(callback, set(), "crawl (main)") == "download/reactor"
    selector = [*run, "EpollSelector.select (selectors.py:468)"]  # asyncio's own loop
    assert classify(selector, set(), "crawl (main)") == "idle"
