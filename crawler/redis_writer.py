"""The archive writer of a distributed crawl: pops the pages workers pushed to Redis and
stores them (no Scrapy here: `reprint write` runs on the archive's machine)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING

from archive.crawls import finish_crawl, mark_interrupted, start_crawl
from archive.db import write_transaction
from archive.errors import PageRefused
from archive.extract import Extracted
from archive.lock import open_writer
from archive.store import FetchedPage, save_page_alone

if TYPE_CHECKING:
    from pathlib import Path

    from redis import Redis
    from sqlite_utils import Database

logger = logging.getLogger(__name__)

ITEMS_KEY = "reprint:pages"  # the Redis list workers push to and the writer pops from
UNREADABLE_KEY = "reprint:pages:unreadable"  # pages the writer could not read
# pages read but refused by the archive (the page, not the file, is at fault): set aside so
# that one poison page does not fail its batch on every run, holding every later page back
UNSTORABLE_KEY = "reprint:pages:unstorable"
# pages per transaction; as in a local crawl (REPRINT_COMMIT_ITEMS)
WRITE_BATCH = 50
# how long one wait for new pages lasts before the writer checks whether to stop
POP_TIMEOUT_S = 1


def page_to_json(page: FetchedPage) -> str:
    """Serialise a fetched page with its extraction for the Redis list."""
    # the worker-side derived values (compressed body, signature) are not sent: the
    # writer computes them (archive.store.save_page)
    data = asdict(replace(page, prepared=None))
    del data["prepared"]
    data["body"] = base64.b64encode(page.body).decode("ascii")
    return json.dumps(data, ensure_ascii=False)


def page_from_json(text: str | bytes) -> FetchedPage:
    """Read back a page serialised by :func:`page_to_json` (fields unknown to this
    version of Extracted are ignored, so workers and writer may differ by a release).

    :raises ValueError: not a serialised page
    """
    data = json.loads(text)
    data.pop("prepared", None)
    known = {f.name for f in fields(Extracted)}
    extracted = Extracted(**{k: v for k, v in data.pop("extracted").items() if k in known})
    data["body"] = base64.b64decode(data["body"])
    return FetchedPage(extracted=extracted, **data)


@dataclass
class WriteSummary:
    """What one writer session stored."""

    pages: int = 0
    new_articles: int = 0
    copies: int = 0
    unreadable: int = 0
    unstorable: int = 0


def write_from_redis(
    server: Redis,
    db_path: str | Path,
    *,
    until_empty: bool = False,
    max_pages: int | None = None,
    on_batch: Callable[[WriteSummary], None] | None = None,
) -> WriteSummary:
    """Store the pages queued in Redis into the archive, in batched transactions.

    A page is removed from Redis only after its batch committed (popped into a
    processing list first), so a writer killed mid-batch loses nothing: the next writer
    stores that batch again (saving is idempotent by URL).

    :param server: the Redis connection
    :param db_path: the archive
    :param until_empty: stop when the queue is empty (else wait for pages forever)
    :param max_pages: stop after this many pages
    :param on_batch: called after every committed batch with the running totals
    """
    summary = WriteSummary()
    processing = f"{ITEMS_KEY}:processing"
    with open_writer(db_path) as db:
        with write_transaction(db):
            mark_interrupted(db)
            crawl_id = start_crawl(db, "redis-writer", {"queue": ITEMS_KEY})
        # pages a killed writer had popped but not committed go first
        while server.lmove(processing, ITEMS_KEY, "RIGHT", "LEFT"):
            pass
        status = "interrupted"
        try:
            while max_pages is None or summary.pages < max_pages:
                first = server.blmove(ITEMS_KEY, processing, POP_TIMEOUT_S, "LEFT", "RIGHT")
                if first is None:
                    if until_empty:
                        break
                    continue
                batch = [first]
                while len(batch) < WRITE_BATCH and (
                    item := server.lmove(ITEMS_KEY, processing, "LEFT", "RIGHT")
                ):
                    batch.append(item)
                _store(db, server, batch, crawl_id, summary)
                server.delete(processing)
                if on_batch is not None:
                    on_batch(summary)
            status = "finished"
        finally:
            with write_transaction(db):
                finish_crawl(db, crawl_id, status, asdict(summary))
    return summary


def _store(
    db: Database, server: Redis, batch: list[bytes | str], crawl_id: int, summary: WriteSummary
) -> None:
    with write_transaction(db):
        for raw in batch:
            try:
                page = page_from_json(raw)
            except (ValueError, KeyError, TypeError) as exc:
                # kept aside, not dropped: a newer worker's format, or a bug to look at
                server.rpush(UNREADABLE_KEY, raw)
                summary.unreadable += 1
                logger.error("unreadable page moved to %s: %s", UNREADABLE_KEY, exc)
                continue
            try:
                result = save_page_alone(db, page, crawl_id)
            except PageRefused as exc:
                # set aside, not retried: the batch stays in Redis only for archive faults
                server.rpush(UNSTORABLE_KEY, raw)
                summary.unstorable += 1
                logger.error("page %s not storable, moved to %s: %s", page.url, UNSTORABLE_KEY, exc)
                continue
            summary.pages += 1
            if result.new_article:
                summary.new_articles += 1
            elif result.new_page or result.text_changed:
                summary.copies += 1
