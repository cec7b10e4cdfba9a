"""Items passed from spiders through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.extract import Extracted


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
