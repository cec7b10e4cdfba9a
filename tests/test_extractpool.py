"""The extraction pool: a worker that dies or a page past its deadline costs that page
only (issue 10). Real worker processes, real extraction."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from functools import partial
from typing import Any

import pytest

from archive.extract import Extracted, extract_article
from archive.settings import MAX_HTML_ELEMENTS
from crawler.extractpool import ExtractionCrashed, ExtractionPool, ExtractionTimedOut, warm_up

from .archive_builder import STORY, page_html

pytestmark = pytest.mark.slow  # real crawls, servers or processes

URL = "https://tidings.example/tv/glasshouse-bay-renewed"
# Tens of thousands of one-word paragraphs, just under the element cap: seconds of
# extraction for a 300 KB page.
SLOW_PAGE = (
    "<html><body><article>"
    + "<p>a b</p>" * (MAX_HTML_ELEMENTS * 9 // 10)
    + "</article></body></html>"
).encode()


def _good_page(n: int) -> partial[Extracted]:
    return partial(extract_article, page_html(f"Renewed {n}", STORY), URL)


def _run(workers: int, scenario: Any) -> list[Any]:
    pool = ExtractionPool()

    async def main() -> list[Any]:
        pool.acquire(workers)
        try:
            # the workers import trafilatura first: deadlines start on warm workers
            await asyncio.gather(*(pool.run(_good_page(0), timeout=None) for _ in range(workers)))
            return list(await scenario(pool))
        finally:
            await pool.release()

    return asyncio.run(main())


def test_a_page_past_its_deadline_is_given_up_and_the_others_come_through() -> None:
    async def scenario(pool: ExtractionPool) -> list[Any]:
        return await asyncio.gather(
            pool.run(partial(extract_article, SLOW_PAGE, URL), timeout=0.5),
            *(pool.run(_good_page(n), timeout=60) for n in range(1, 4)),
            return_exceptions=True,
        )

    slow, *good = _run(1, scenario)
    assert isinstance(slow, ExtractionTimedOut), slow
    assert [r.title for r in good] == ["Renewed 1", "Renewed 2", "Renewed 3"], good


def test_a_page_that_waited_behind_a_slow_one_is_not_timed_out_with_it() -> None:
    # one worker, two pages handed to it: the second waits while the first runs past its
    # deadline, so its own deadline ends just after; it once was given up as timed out
    # (and the second kill of the already killed pool raised AttributeError)
    async def scenario(pool: ExtractionPool) -> list[Any]:
        slow = asyncio.ensure_future(pool.run(partial(extract_article, SLOW_PAGE, URL), timeout=1))
        await asyncio.sleep(0.01)  # handed over after the slow page
        good = asyncio.ensure_future(pool.run(_good_page(1), timeout=1))
        return await asyncio.gather(slow, good, return_exceptions=True)

    slow, good = _run(1, scenario)
    assert isinstance(slow, ExtractionTimedOut), slow
    assert isinstance(good, Extracted) and good.title == "Renewed 1", good


def test_a_killed_worker_costs_no_page_in_flight() -> None:
    async def scenario(pool: ExtractionPool) -> list[Any]:
        pages = [asyncio.ensure_future(pool.run(_good_page(n), timeout=None)) for n in range(1, 4)]
        slow = asyncio.ensure_future(
            pool.run(
                partial(extract_article, SLOW_PAGE[:150_000] + b"</article>", URL), timeout=None
            )
        )
        await asyncio.sleep(0)  # let the jobs reach the workers' queue
        for child in multiprocessing.active_children():  # the OOM killer, say
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        return await asyncio.gather(*pages, slow, return_exceptions=True)

    *good, slow = _run(2, scenario)
    assert [r.title for r in good] == ["Renewed 1", "Renewed 2", "Renewed 3"], good
    assert isinstance(slow, (Extracted, Exception)) and not isinstance(slow, ExtractionCrashed)


def test_a_page_that_kills_every_worker_is_given_up_alone() -> None:
    async def scenario(pool: ExtractionPool) -> list[Any]:
        return await asyncio.gather(
            pool.run(partial(os._exit, 3), timeout=None),  # a real crash of the worker
            *(pool.run(_good_page(n), timeout=None) for n in range(1, 3)),
            return_exceptions=True,
        )

    crash, *good = _run(2, scenario)
    assert isinstance(crash, ExtractionCrashed), crash
    assert [r.title for r in good] == ["Renewed 1", "Renewed 2"], good


def test_two_spiders_share_the_pool_through_a_crash_and_each_ones_close() -> None:
    # the spiders of one crawl (feeds, sitemaps, site) share one pool: a crash replaces it
    # for both, and the first spider to close must not shut it down under the other
    pool = ExtractionPool()

    async def main() -> list[Any]:
        pool.acquire(1)
        pool.acquire(1)  # the second spider joins the first one's pool
        try:
            first = await asyncio.gather(
                pool.run(partial(os._exit, 3), timeout=None),  # the first spider's crash
                pool.run(_good_page(1), timeout=None),  # the second spider's page beside it
                return_exceptions=True,
            )
            await pool.release()  # the first spider closes
            after = await pool.run(_good_page(2), timeout=None)  # the second goes on
            return [*first, after]
        finally:
            await pool.release()

    crash, beside, after = asyncio.run(main())
    assert isinstance(crash, ExtractionCrashed), crash
    assert isinstance(beside, Extracted) and beside.title == "Renewed 1", beside
    assert isinstance(after, Extracted) and after.title == "Renewed 2", after
    assert pool.executor is None  # the last spider to close shut it down


def test_shutting_the_pool_down_leaves_the_loop_free() -> None:
    # the last spider's close joins the worker processes: in a thread, so callbacks of
    # the other spiders still run meanwhile (it was a crawl's largest loop lag)
    pool = ExtractionPool()
    ran_during_shutdown: list[bool] = []

    async def main() -> None:
        pool.acquire(2)
        await pool.run(_good_page(0), timeout=None)
        release = asyncio.ensure_future(pool.release())
        await asyncio.sleep(0)  # the release starts and hands the join to a thread
        ran_during_shutdown.append(not release.done())
        await release

    asyncio.run(main())
    assert ran_during_shutdown == [True]
    assert pool.executor is None


def _parent_of_worker() -> tuple[int, str, str]:
    """In a worker: its parent's pid, command line and loaded shared objects."""
    parent = os.getppid()
    with open(f"/proc/{parent}/cmdline", "rb") as cmdline, open(f"/proc/{parent}/maps") as maps:
        return parent, cmdline.read().decode(errors="replace"), maps.read()


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads Linux's /proc")
def test_workers_are_forked_from_a_server_that_imported_the_extraction_code() -> None:
    """Each worker used to import lxml, trafilatura and numpy itself (0.5 s of CPU each)
    on a core the crawl's own start-up was using; the fork server imports them once,
    from `warm_up`, beside the caller's start-up."""
    warm_up()
    pool = ExtractionPool()

    async def main() -> tuple[int, str, str]:
        pool.acquire(1)
        try:
            return await pool.run(_parent_of_worker, timeout=None)
        finally:
            await pool.release()

    parent, cmdline, maps = asyncio.run(main())
    assert parent != os.getpid()  # not a fork of this process, with its threads
    assert "multiprocessing.forkserver" in cmdline
    assert "lxml/etree" in maps  # imported before the fork, by the server


def _fallback_stop_words_in_worker() -> tuple[bool, int]:
    """In a worker, before any page: whether trafilatura's stop-word list of all
    languages is built, and how many calls justext's cached set took to build."""
    from justext.core import define_stoplist
    from trafilatura import external

    built = external.JT_STOPLIST is not None
    misses = define_stoplist.cache_info().misses
    define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())
    return built, define_stoplist.cache_info().misses - misses


def test_workers_start_with_the_justext_fallbacks_stop_words_built() -> None:
    """trafilatura's justext fallback builds its stop words of every language on its
    first page without a known language (0.25 s): each worker used to build them."""
    warm_up()
    pool = ExtractionPool()

    async def main() -> tuple[bool, int]:
        pool.acquire(1)
        try:
            return await pool.run(_fallback_stop_words_in_worker, timeout=None)
        finally:
            await pool.release()

    built, new_sets = asyncio.run(main())
    assert built
    assert new_sets == 0  # justext's set came from its cache, built by the fork server


def test_a_trafilatura_without_the_stop_word_list_still_starts_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A release that renamed trafilatura's list: nothing is built ahead, and the fork
    server's import (archive/warm.py) does not fail, which would stop every crawl."""
    from trafilatura import external

    from archive.warm import build_stop_words

    monkeypatch.delattr(external, "jt_stoplist_init")
    assert build_stop_words() is None


def test_every_worker_starts_with_the_pool_not_with_its_first_page() -> None:
    """A pool that does not fork its caller starts a worker per job given while none is
    idle: the second worker used to start only once the crawl's first page came."""
    pool = ExtractionPool()

    async def main() -> int:
        pool.acquire(2)
        try:
            processes = getattr(pool.executor, "_processes", {})
            return len(processes)  # before any page is given to the pool
        finally:
            await pool.release()

    assert asyncio.run(main()) == 2
