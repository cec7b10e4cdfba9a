"""Bounded work per source and per crawl (crawler/budget.py, CLOSESPIDER_TIMEOUT): a big
source is taken in slices across crawls, each cut counted, and nothing it listed is lost
to a saved ETag."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from crawler.budget import SOURCE_CAP_STAT
from crawler.demo.server import FixtureWeb

from .archive_builder import STORY, page_html
from .conftest import run_crawl

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


pytestmark = pytest.mark.slow  # real crawls, servers or processes
PAGES = 12
CAP = 5


@pytest.fixture
def big_source(tmp_path: Path) -> Iterator[FixtureWeb]:
    """A feed listing PAGES distinct stories, and one listing a page that answers after
    the crawl's time limit (the crawl waits for it: Scrapy finishes what is in flight)."""
    site = tmp_path / "web" / "big"
    for n in range(PAGES):
        (site / f"s{n}").mkdir(parents=True)
        story = [f"Story number {n} of the big source. {p}" for p in STORY]
        (site / f"s{n}" / "index.html").write_bytes(page_html(f"Big story {n}", story))
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    items = "".join(
        f"<item><title>t{n}</title><link>{{{{site:big}}}}/s{n}/</link></item>" for n in range(PAGES)
    )
    (site / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{items}</channel></rss>'
    )
    slow_items = "<item><title>late</title><link>{{site:big}}/late</link></item>"
    (site / "slow-feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>{slow_items}'
        "</channel></rss>"
    )
    late = page_html("Late story", STORY).decode()
    (site / "_routes.json").write_text(json.dumps({"/late": {"delay_ms": 4_000, "body": late}}))
    with FixtureWeb(tmp_path / "web") as web:
        yield web


def test_a_source_over_its_cap_is_taken_in_slices(big_source: FixtureWeb, tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    feed = big_source.url("big", "/feed.xml")
    cap = ("-s", f"REPRINT_SOURCE_MAX_REQUESTS={CAP}")
    stored = []
    for _ in range(3):
        stats, db = run_crawl(path, "--feed", feed, *cap)
        stored.append(db["pages"].count)
        capped = stats["feeds"].get(SOURCE_CAP_STAT, 0)
        assert capped == PAGES - stored[-1]  # each cut counted
        # a capped crawl saves no validator: the next one is not answered 304
        etag = db.execute("SELECT etag FROM sources WHERE url = ?", [feed]).fetchone()[0]
        assert (etag is None) == (capped > 0)
        db.close()
    # archived pages do not count against the cap, so each crawl goes on from the last
    assert stored == [CAP, 2 * CAP, PAGES]
    stats, db = run_crawl(path, "--feed", feed, *cap)
    assert stats["feeds"]["reprint/sources/not_modified"] == 1  # all stored: validators kept
    db.close()


def test_a_crawl_over_its_time_limit_stops_and_saves_no_validator(
    big_source: FixtureWeb, tmp_path: Path
) -> None:
    path = tmp_path / "t.db"
    feed = big_source.url("big", "/slow-feed.xml")
    stats, db = run_crawl(
        path, "--feed", feed, "-s", "CLOSESPIDER_TIMEOUT=1", "-s", "DOWNLOAD_TIMEOUT=60"
    )
    assert stats["feeds"]["finish_reason"] == "closespider_timeout"
    assert db.execute("SELECT etag FROM sources WHERE url = ?", [feed]).fetchone()[0] is None
    status = db.execute("SELECT status FROM crawls ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert status == "finished"  # a planned stop, recorded with its reason
