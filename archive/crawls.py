"""The ``crawls`` table: every crawl recorded, from its start to how it ended (or that it
was interrupted: a process killed mid-crawl leaves its row 'running' until the next one
looks).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from archive.db import inserted_rowid
from archive.metadata import now_iso

if TYPE_CHECKING:
    from sqlite_utils import Database


def start_crawl(db: Database, spider: str, args: dict[str, Any] | None = None) -> int:
    """Record the start of a crawl; return its id."""
    return inserted_rowid(
        db.execute(
            "INSERT INTO crawls (spider, args, started, status, pid) VALUES (?, ?, ?, ?, ?)",
            [
                spider,
                json.dumps(args or {}, sort_keys=True, default=str),
                now_iso(),
                "running",
                os.getpid(),
            ],
        )
    )


def finish_crawl(db: Database, crawl_id: int, status: str, stats: dict[str, Any]) -> None:
    """Record the end of a crawl with its final status and Scrapy stats."""
    db.table("crawls").update(
        crawl_id,
        {
            "finished": now_iso(),
            "status": status,
            "stats": json.dumps(stats, sort_keys=True, default=str),
        },
    )


def mark_interrupted(db: Database) -> int:
    """Mark crawls left 'running' by a process that no longer exists as 'interrupted'.

    :returns: how many crawls were marked
    """
    marked = 0
    for crawl_id, pid in db.execute(
        "SELECT id, pid FROM crawls WHERE status = 'running'"
    ).fetchall():
        if pid and _process_alive(pid):
            continue
        db.table("crawls").update(crawl_id, {"status": "interrupted"})
        marked += 1
    return marked


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
