"""The ``sources`` table: each configured feed, sitemap or site, and how its last fetch went.

Kept so that scheduled crawls can ask for only what changed (ETag / Last-Modified) and so
people can see which sources are stale or failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.metadata import now_iso

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class SourceFetch:
    """One fetch of a source document (a feed, a sitemap, a site's start page)."""

    url: str
    kind: str  # feed | sitemap | site
    name: str
    status: int
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str | None = None
    # why the document gave no entries, in words a person can act on ("HTTP 404",
    # "DNS lookup failed", "not a feed"); None when it was read
    problem: str | None = None


def record_source_fetch(db: Database, fetch: SourceFetch, *, validators: bool = True) -> None:
    """Insert or update the source's row with the outcome of this fetch.

    :param validators: also store its ETag/Last-Modified, so the next crawl asks for the
        document only if it changed. Pass False until every page the document listed is
        archived: a crawl that dies halfway must see the document again next time.
    """
    row = {
        "url": fetch.url,
        "kind": fetch.kind,
        "name": fetch.name,
        "last_status": fetch.status,
        "last_crawled": fetch.fetched_at or now_iso(),
    }
    # keep validators only from successful fetches: a 304/5xx carries none worth keeping
    if validators and 200 <= fetch.status < 300:
        row["etag"] = fetch.etag
        row["last_modified"] = fetch.last_modified
    db.table("sources").upsert(row, pk="url")  # url is unique (archive.db); id stays stable


def source_validators(db: Database, url: str) -> tuple[str | None, str | None]:
    """The (ETag, Last-Modified) stored for a source, for a conditional GET."""
    row = db.execute("SELECT etag, last_modified FROM sources WHERE url = ?", [url]).fetchone()
    return (row[0], row[1]) if row else (None, None)
