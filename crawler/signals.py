"""reprint's own Scrapy signals."""

from __future__ import annotations

# Sent by spiders when a source document (feed, sitemap, site start page) was fetched or
# failed; args: fetch (archive.sources.SourceFetch). ArchivePipeline records it.
source_fetched = object()
