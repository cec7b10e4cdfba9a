"""The ``page_failures`` table: pages a crawl fetched but could not extract or store.

Counts in a crawl's stats say how many; this says which and why, so that a person can
look at the page (or re-crawl it once the cause is fixed: a failed page is not archived,
so the next crawl asks for it again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.metadata import now_iso

if TYPE_CHECKING:
    from sqlite_utils import Database

# The longest detail kept: an exception message, not a dump of the page.
MAX_DETAIL_CHARS = 500


@dataclass(frozen=True, slots=True)
class PageFailure:
    """One page a crawl could not archive."""

    url: str
    reason: str  # extract_timeout | extractor_crashed | too_many_elements | store
    detail: str = ""


def record_page_failures(db: Database, crawl_id: int | None, failures: list[PageFailure]) -> None:
    """Insert ``failures`` as rows of the crawl ``crawl_id`` (inside the caller's
    transaction)."""
    if not failures:
        return
    at = now_iso()
    db.conn.executemany(
        "INSERT INTO page_failures (crawl_id, url, reason, detail, failed_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [(crawl_id, f.url, f.reason, f.detail[:MAX_DETAIL_CHARS], at) for f in failures],
    )
