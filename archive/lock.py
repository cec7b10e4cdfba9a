"""One writer crawl per archive: an advisory lock file beside the database.

SQLite already serialises writes, but two crawls of the same sources interleaving their
batches would fetch everything twice and fight over the write lock for hours. The lock is
an flock on ``<archive>.lock``: the kernel releases it when the holder dies, even by
SIGKILL, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.db import close_writer, open_archive
from archive.errors import ArchiveLocked, ArchiveReadOnly

if TYPE_CHECKING:
    from sqlite_utils import Database

# how often a waiting crawl tries the lock again
LOCK_POLL_SECONDS = 0.5

# locks this process holds, by lock path: nested holders (several spiders in one
# process) share the one flock instead of blocking each other
_held: dict[Path, tuple[int, int]] = {}


def lock_path(archive_path: str | Path) -> Path:
    """The lock file of an archive."""
    return Path(f"{Path(archive_path).resolve()}.lock")


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return "another process"
    return f"process {pid}" if pid else "another process"


@contextmanager
def crawl_lock(
    archive_path: str | Path,
    *,
    wait: bool = False,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the archive's crawl lock for the duration of the block.

    :param archive_path: the archive file
    :param wait: wait for a running crawl to end instead of failing at once
    :param timeout: with ``wait``, give up after this many seconds
    :param on_wait: called once, with a message naming the holder, when we start waiting
    :raises ArchiveLocked: another process holds the lock (and we do not wait, or timed out)
    :raises ArchiveReadOnly: the lock file cannot be created beside the archive
    """
    path = lock_path(archive_path)
    if path in _held:
        fd, count = _held[path]
        _held[path] = (fd, count + 1)
        try:
            yield
        finally:
            _release(path)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # read-only media, no permission: before anything is fetched
        raise ArchiveReadOnly(
            f"cannot write beside {archive_path} ({exc.strerror}): it can be read, not written"
        ) from exc
    deadline = None if timeout is None else time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                holder = _holder(path)
                os.close(fd)
                raise ArchiveLocked(
                    f"{archive_path} is being crawled by {holder}; wait for it to finish"
                    " (or use --wait)"
                ) from None
            if on_wait is not None and not told:
                on_wait(f"waiting for {_holder(path)} to finish crawling {archive_path}")
                told = True
            time.sleep(LOCK_POLL_SECONDS)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _held[path] = (fd, 1)
    try:
        yield
    finally:
        _release(path)


def _release(path: Path) -> None:
    fd, count = _held[path]
    if count > 1:
        _held[path] = (fd, count - 1)
        return
    del _held[path]
    os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextmanager
def open_writer(
    archive_path: str | Path,
    *,
    wait: bool = False,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    **open_options: Any,
) -> Iterator[Database]:
    """The archive opened for writing (created or migrated: :func:`archive.db.open_archive`)
    under its crawl lock, both released at the end of the block: how every writer that is
    not a crawl's pipeline (`reprint write`, re-extraction, dedup rebuilds) holds it.

    :param open_options: keyword arguments of :func:`archive.db.open_archive`
    :raises ArchiveLocked: as :func:`crawl_lock`
    :raises ArchiveError: as :func:`archive.db.open_archive`
    """
    with crawl_lock(archive_path, wait=wait, timeout=timeout, on_wait=on_wait):
        db = open_archive(archive_path, **open_options)
        try:
            yield db
        finally:
            close_writer(db)
