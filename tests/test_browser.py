"""A person's view: headless Chromium (Debian's, installed by `make test`) reads and
searches the archive in datasette; screenshots of each page are kept under
test-artifacts/ (ignored by git; CI keeps them as artifacts)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from crawler.demo import demo_manifest

from .archive_builder import build_archive
from .conftest import ROOT, DemoArchive
from .servers import reprint_serve

pytestmark = pytest.mark.slow  # real crawls, servers or processes

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("REPRINT_CHROMIUM", "/usr/bin/chromium")
# Flags for a sandboxed, offline machine (no GPU, no calls home); Playwright itself gives
# each launch a fresh, empty profile (user data dir).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Page loads on a busy CI machine; an answer slower than this is a failure.
PAGE_TIMEOUT_MS = 30_000


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: `make test` installs it (apt chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}: `make browser` installs Debian's (as root)")
    return path


def test_search_page_finds_the_article(tmp_path: Path, chromium_path: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    ARTIFACTS.mkdir(exist_ok=True)
    with reprint_serve(db_path) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(f"{url}archive/articles")
            page.fill("input[name=_search]", "lighthouse keeper")
            page.press("input[name=_search]", "Enter")
            page.wait_for_url("**_search=lighthouse*")
            rows = page.locator("table.rows-and-columns tbody tr")
            page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
            assert rows.count() == 1
            assert "Lighthouse keeper documentary to premiere in June" in rows.first.inner_text()
            assert "1 row where search matches" in page.inner_text("body")

            # the story's own page: readable paragraphs, not a squeezed cell
            rows.first.locator("td.col-id a").click()
            page.wait_for_selector(".reprint-text p")
            assert page.locator(".reprint-text p").count() == 4
            page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=True)

            page.goto(f"{url}-/reprint/stats")
            assert page.locator("svg rect").count() > 5
            page.screenshot(path=str(ARTIFACTS / "stats.png"), full_page=True)
        finally:
            browser.close()


def test_a_reader_finds_a_story_and_every_place_it_ran(
    demo_archive: DemoArchive, chromium_path: str
) -> None:
    """The demo archive as `make demo` leaves it: home page, search, a story with its
    copies, each as a reader sees it (screenshots home.png, results.png, story.png)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    story = demo_manifest()["stories"]["lantern-house-s2-release-date"]
    ARTIFACTS.mkdir(exist_ok=True)
    with reprint_serve(demo_archive.path) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(url)
            assert page.locator("h1").inner_text() == "The stories"
            most_copied = page.locator("#most-copied li")
            assert any(story["title"] in text for text in most_copied.all_inner_texts())
            page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

            page.fill("input[name=q]", "lantern release")
            page.press("input[name=q]", "Enter")
            page.wait_for_selector(".reprint-result")
            first = page.locator(".reprint-result").first
            assert first.locator(".reprint-result-title").inner_text() == story["title"]
            marks = page.locator("mark.reprint-hit").all_inner_texts()
            assert "lantern" in {m.lower() for m in marks}  # the snippet shows the match
            page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)

            first.locator(".reprint-result-title").click()
            page.wait_for_selector(".reprint-headline")
            assert page.locator(".reprint-headline").inner_text() == story["title"]
            assert story["author"] in page.locator(".reprint-byline").inner_text()
            assert page.locator(".reprint-text p").count() >= 5  # paragraphs, not one cell
            copies = page.locator(".reprint-copy")
            assert copies.count() == len(story["copies"])
            hosts = copies.locator(".reprint-copy-host").all_inner_texts()
            assert sorted(hosts) == sorted(f"{site}.example" for site in story["copies"])
            representative = page.locator(".reprint-representative")
            assert representative.locator(".reprint-copy-host").inner_text() == (
                f"{story['original']}.example"
            )
            assert "representative" in representative.inner_text()
            page.screenshot(path=str(ARTIFACTS / "story.png"), full_page=True)
        finally:
            browser.close()
