"""The extraction worker processes of a crawl, and what happens when one fails.

Pages are extracted in worker processes forked from multiprocessing's fork server, one
pool per process, shared by the spiders running in it. Forking the crawl's own process
would copy the reactor's state and threads into each worker; the fork server is a fresh
interpreter with nothing but the extraction code imported (:func:`warm_up`), so each
worker starts from it at once instead of importing everything again.
A worker can die on a page (a parser crash, the OOM killer) or grind on one for minutes
(trafilatura's text search is quadratic in paragraphs on some pathological pages). Either
way ProcessPoolExecutor fails every page in flight, not only the culprit (issue 10). So:

- a page whose worker died is tried once more, alone in a worker of its own: the page
  that killed the worker kills that one too and is given up, the pages that were only
  beside it come through;
- a page that takes longer than its deadline has its workers killed (there is no other
  way to stop a C call inside lxml) and is given up; the other pages then in flight go
  to a fresh pool as above.

A deadline is for extracting, not for starting a worker: the fork server imports lxml,
trafilatura and numpy once (0.5-0.6 s on an idle two-core machine, seconds on a busy
one), and a page retried in a new worker once lost to that (counted as timed out). So
pages handed to a pool start their deadline once its first worker is ready.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import weakref
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ExtractionCrashed(Exception):
    """The page killed its worker process on every attempt."""


class ExtractionTimedOut(Exception):
    """The page was still being extracted at its deadline; its worker was killed."""


# what the fork server imports before forking any worker: the extraction code, its
# libraries and the tables it would build on a worker's first pages (archive/warm.py),
# which every worker used to import or build on its own
_WORKER_IMPORTS = ["archive.warm"]


# Windows has no fork server: its workers are spawned, each importing for itself
_FORK_SERVER = "forkserver" in multiprocessing.get_all_start_methods()


def _context() -> multiprocessing.context.BaseContext:
    if not _FORK_SERVER:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_WORKER_IMPORTS)
    return context


def warm_up() -> None:
    """Start the fork server now, so it imports the extraction code while the caller goes
    on starting up (Scrapy, the archive, the sources): `reprint crawl` calls it first.

    A 1000-page crawl's workers were ready 2.4 s after its start, 0.9 s after the spider
    opened, when each spawned worker imported everything itself on a core the crawl's own
    start-up was using (BENCHMARKS.md, issue 10's seventh round).
    """
    if _FORK_SERVER:
        _context()
        multiprocessing.forkserver.ensure_running()


def default_workers() -> int:
    """One worker per CPU core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ExtractionPool:
    """Worker processes shared by the crawlers of one process."""

    def __init__(self) -> None:
        self.executor: Executor | None = None
        self.workers = 0
        self.niceness = 0
        self.users = 0
        # pages handed to the executor at once: two per worker, one extracted and one
        # waiting, so a worker never idles while the next body is sent to it (with one
        # per worker they idled 19% of a crawl), and a page's deadline runs while it is
        # extracted, not while it waits behind a crawl's worth of others
        self.slots: asyncio.Semaphore | None = None
        # per process pool: a no-op job that ends once a worker is ready (see above)
        self.ready: weakref.WeakKeyDictionary[Executor, Future[None]] = weakref.WeakKeyDictionary()
        # shared pools replaced after a crash or a deadline, while pages may still wait
        self.retired: weakref.WeakSet[Executor] = weakref.WeakSet()

    def acquire(self, workers: int | None, *, niceness: int = 0) -> None:
        """Start the pool (first user) or join it.

        :param workers: processes; 0 runs extraction in a thread of this process (for
            debugging); None: one per CPU core (:func:`default_workers`)
        :param niceness: added to the workers' nice value (REPRINT_EXTRACT_NICENESS)
        """
        if self.executor is None:
            self.niceness = niceness
            self.workers = default_workers() if workers is None else workers
            self.executor = self._start()
            self.slots = asyncio.Semaphore(2 * max(1, self.workers))
        self.users += 1

    def _start(self) -> Executor:
        if self.workers > 0:
            return self._process_pool(self.workers)
        return ThreadPoolExecutor(max_workers=1)

    def _process_pool(self, workers: int) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=_start_worker,
            initargs=(self.niceness,),
        )
        self.ready[pool] = pool.submit(_ready)
        # a pool that does not fork the caller starts a worker per job submitted while
        # none is idle: one no-op job each starts them all now, rather than the second
        # only when the first page arrives
        for _ in range(workers - 1):
            pool.submit(_ready)
        return pool

    async def release(self) -> None:
        """Leave the pool; the last user shuts it down.

        Shutting down joins the worker processes (~100 ms): in a thread, so the reactor
        goes on serving the other spiders of the process meanwhile (it was the largest
        loop lag of a crawl, issue 10).
        """
        self.users -= 1
        if self.users <= 0 and self.executor is not None:
            executor, self.executor = self.executor, None
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    @staticmethod
    def _kill(executor: Executor) -> None:
        if isinstance(executor, ProcessPoolExecutor):
            # the only way to stop a worker inside a long C call; _processes is the
            # executor's own table of its workers (stable since Python 3.2)
            # (None once the executor is shut down)
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.kill()

    def _replace(self, broken: Executor) -> None:
        """Swap in a fresh pool for ``broken`` (once, however many pages saw it break)."""
        if self.executor is not broken:
            return  # another page's failure replaced it already
        self.retired.add(broken)
        broken.shutdown(wait=False, cancel_futures=False)
        self.executor = self._start()

    async def run(self, job: Callable[[], T], *, timeout: float | None) -> T:
        """Run ``job`` in a worker.

        :param job: a picklable callable
        :param timeout: seconds the page may take, None: no deadline
        :raises ExtractionCrashed: the job killed its worker on every attempt
        :raises ExtractionTimedOut: the job ran past ``timeout``
        """
        assert self.slots is not None, "acquire() the pool first"
        async with self.slots:
            return await self._run(job, timeout)

    async def _run(self, job: Callable[[], T], timeout: float | None) -> T:
        executor = self.executor
        assert executor is not None, "acquire() the pool first"
        try:
            return await self._on(executor, job, timeout)
        except BrokenProcessPool:
            self._replace(executor)
            if not isinstance(executor, ProcessPoolExecutor):
                raise
        # Which page killed the worker is unknown: each page that was in flight is
        # tried again alone in a worker of its own, where only the culprit dies again.
        logger.info("an extraction worker died; trying its pages again one by one")
        solo = self._process_pool(1)
        try:
            return await self._on(solo, job, timeout)
        except BrokenProcessPool as exc:
            raise ExtractionCrashed("the page killed its extraction worker twice") from exc
        finally:
            solo.shutdown(wait=False, cancel_futures=True)

    async def _on(self, executor: Executor, job: Callable[[], T], timeout: float | None) -> T:
        ready = self.ready.get(executor)
        if ready is not None and not ready.done():
            await asyncio.wrap_future(ready)  # BrokenProcessPool when no worker could start
        try:
            return await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(executor, job), timeout
            )
        except TimeoutError as exc:
            if executor in self.retired:
                # another page's deadline killed this pool while this page waited in it
                # (two are handed to a worker at once): tried again, alone, like a crash
                raise BrokenProcessPool("its pool was killed for another page") from exc
            self._kill(executor)
            self._replace(executor)  # the shared pool only; a solo pool is its caller's
            raise ExtractionTimedOut(f"still extracting after {timeout:g} s") from exc


def _start_worker(niceness: int) -> None:
    """Worker initializer: yield the CPU to the crawl's own process when it needs it, and
    have the extraction code imported before taking any page (its deadline starts then;
    the fork server's import, a no-op here unless it failed there)."""
    os.nice(niceness)
    import archive.warm  # noqa: F401


def _ready() -> None:
    """The job that tells a pool has a worker ready (it runs after an initializer)."""


# one pool per process
POOL = ExtractionPool()
