"""Items passed from spiders through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from archive.store import FetchedPage

if TYPE_CHECKING:
    from archive.extract import Extracted
    from archive.prepare import PreparedPage


@dataclass
class PageItem:
    """A fetched page; ExtractPipeline fills ``extracted``."""

    url: str  # as requested, before redirects
    final_url: str
    status: int
    body: bytes = field(repr=False)  # logs name the page, not its megabytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    source: str | None = None  # the feed, sitemap or section that listed the page
    hints: dict[str, Any] = field(default_factory=dict)  # title/published/author from it
    extracted: Extracted | None = field(default=None, repr=False)
    # what storing it needs besides SQL, computed in the same worker (archive/prepare.py)
    prepared: PreparedPage | None = field(default=None, repr=False)


def fetched_page(item: Any) -> FetchedPage:
    """The archive's view of an extracted page item (any item type ItemAdapter reads)."""
    adapter = ItemAdapter(item)
    return FetchedPage(
        url=adapter["url"],
        final_url=adapter["final_url"],
        body=adapter["body"],
        extracted=adapter["extracted"],
        http_status=adapter["status"],
        content_type=adapter.get("content_type"),
        etag=adapter.get("etag"),
        last_modified=adapter.get("last_modified"),
        source=adapter.get("source"),
        prepared=adapter.get("prepared"),
    )
