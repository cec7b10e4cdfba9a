"""Re-run extraction and cleaning on the stored raw HTML and update pages and articles in
place (``reprint reextract``).

Two passes over the selected pages. The first relearns each site's boilerplate from
fresh extractions (so lines learned under older rules are forgotten, and pages stored
before a line was learned benefit from it). The second extracts again with the learned
lines and stores each page through :func:`archive.store.save_page`, the crawl's own path:
a page whose clean text changed is matched against the archive again (dedup), and the
articles it left and joined are recomputed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from archive.db import write_transaction
from archive.errors import ExtractionError
from archive.extract import Extracted, extract_article
from archive.settings import MIN_ARTICLE_WORDS, REEXTRACT_BATCH_PAGES
from archive.sitelearn import forget_site, learn_page, learned_lines, story_key
from archive.store import FetchedPage, load_raw, save_page

if TYPE_CHECKING:
    from sqlite_utils import Database

logger = logging.getLogger(__name__)

# Page columns whose change counts as a metadata change in the summary
METADATA_COLUMNS = (
    "title",
    "author",
    "published",
    "updated",
    "canonical_url",
    "language",
    "site_name",
    "image",
    "tags",
    "description",
    "origin",
)
PHASE_LEARN = "learn"
PHASE_EXTRACT = "extract"

# progress(phase, pages done in the phase, pages in the phase)
Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class ReextractSummary:
    """What a re-extraction changed."""

    pages: int = 0  # pages selected
    text_changed: int = 0  # pages whose clean text changed
    metadata_changed: int = 0  # pages whose title, author, dates... changed
    unchanged: int = 0
    moved: int = 0  # pages that joined an article of other copies (dedup matched them)
    new_articles: int = 0  # pages whose new text matched no stored article
    articles_before: int = 0
    articles_after: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason), kept as is
    removed: dict[str, int] = field(default_factory=dict)  # boilerplate lines, by kind
    learned: dict[str, int] = field(default_factory=dict)  # site -> learned lines
    words_before: int = 0
    words_after: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as a JSON-ready dict."""
        return asdict(self)


# Page columns a re-extraction reads (never the text: an archive's worth would not fit)
_ROW_COLUMNS = (
    "id",
    "url",
    "requested_url",
    "final_url",
    "site",
    "article_id",
    "raw_sha256",
    "content_type",
    "http_status",
    "etag",
    "last_modified",
    "fetched_at",
    "source",
    "crawl_id",
    "word_count",
    *METADATA_COLUMNS,
)


def _select(db: Database, site: str | None) -> list[dict[str, Any]]:
    where, args = ("WHERE pages.site = ?", [site.removeprefix("www.")]) if site else ("", [])
    columns = ", ".join(f"pages.{c}" for c in _ROW_COLUMNS)
    return [
        dict(row)
        for row in db.query(
            f"SELECT {columns}, raw.content_type AS raw_content_type FROM pages"
            f" JOIN raw ON raw.sha256 = pages.raw_sha256 {where} ORDER BY pages.id",
            args,
        )
    ]


def _hints(row: dict[str, Any]) -> dict[str, Any]:
    # what the page row knew (partly from its feed or sitemap), used only where the page
    # itself says nothing, so a re-extraction never loses a feed-given date or author
    tags = json.loads(row["tags"]) if row.get("tags") else []
    return {
        "title": row.get("title"),
        "author": row.get("author"),
        "published": row.get("published"),
        "tags": tags,
    }


def _extract(
    body: bytes, row: dict[str, Any], min_words: int, site_boilerplate: frozenset[str] | None
) -> Extracted:
    return extract_article(
        body,
        row["final_url"] or row["url"],
        content_type=row["content_type"] or row["raw_content_type"],
        hints=_hints(row),
        min_words=min_words,
        site_boilerplate=site_boilerplate,
    )


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def reextract(
    db: Database,
    *,
    site: str | None = None,
    progress: Progress | None = None,
    min_words: int = MIN_ARTICLE_WORDS,
    relearn: bool = True,
) -> ReextractSummary:
    """Extract every stored page (of one site) again from its raw HTML and update the
    pages, their articles and the dedup in place.

    Pages whose HTML no longer yields an article (a stricter rule, a lower word count)
    keep their stored text and are listed in ``failed``.

    :param db: the archive, opened writable (:func:`archive.db.open_archive`)
    :param site: only the pages of this site (a host as in ``pages.site``, "www." ignored);
        None: every page
    :param progress: called as ``progress(phase, done, total)`` after each page, phase
        "learn" (relearning the sites' boilerplate) then "extract"
    :param min_words: fewer clean words than this and a page is not an article
    :param relearn: relearn each site's boilerplate from fresh extractions first; False
        uses what the archive has learned so far (one pass, half the time)
    :raises ArchiveLocked: another process kept the write lock past the busy timeout
    """
    started = time.perf_counter()
    rows = _select(db, site)
    summary = ReextractSummary(pages=len(rows))
    summary.articles_before = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    summary.words_before = sum(row["word_count"] or 0 for row in rows)
    sites = sorted({row["site"] for row in rows if row["site"]})
    if relearn:
        _relearn(db, rows, sites, min_words, progress)
    learned = {s: learned_lines(db, s) for s in sites}
    summary.learned = {s: len(lines) for s, lines in learned.items()}

    done = 0
    for batch in _batches(rows, REEXTRACT_BATCH_PAGES):
        with write_transaction(db):
            for row in batch:
                _update(db, row, learned.get(row["site"]), min_words, summary)
                done += 1
                if progress:
                    progress(PHASE_EXTRACT, done, len(rows))
    summary.articles_after = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _relearn(
    db: Database,
    rows: list[dict[str, Any]],
    sites: list[str],
    min_words: int,
    progress: Progress | None,
) -> None:
    done = 0
    with write_transaction(db):
        for name in sites:
            forget_site(db, name)
        for row in rows:
            try:
                ex = _extract(load_raw(db, row["raw_sha256"]), row, min_words, None)
            except ExtractionError:
                pass  # not an article any more: it teaches the site nothing
            else:
                if row["site"]:
                    learn_page(
                        db, row["site"], story_key(row["url"], ex.canonical_url), ex.line_keys
                    )
            done += 1
            if progress:
                progress(PHASE_LEARN, done, len(rows))


def _update(
    db: Database,
    row: dict[str, Any],
    site_boilerplate: frozenset[str] | None,
    min_words: int,
    summary: ReextractSummary,
) -> None:
    body = load_raw(db, row["raw_sha256"])
    try:
        ex = _extract(body, row, min_words, site_boilerplate)
    except ExtractionError as exc:
        logger.warning("re-extraction failed, page kept as stored: %s", exc)
        summary.failed.append((row["url"], str(exc)))
        return
    for kind, count in ex.removed.items():
        summary.removed[kind] = summary.removed.get(kind, 0) + count
    summary.words_after += ex.word_count
    page = FetchedPage(
        url=row["requested_url"] or row["url"],
        final_url=row["final_url"] or row["url"],
        body=body,
        extracted=ex,
        http_status=row["http_status"] or 200,
        content_type=row["content_type"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        fetched_at=row["fetched_at"],  # re-extraction is not a new fetch
        source=row["source"],
    )
    with db.atomic():
        result = save_page(db, page, row["crawl_id"])
    after = db.execute(
        f"SELECT {', '.join(METADATA_COLUMNS)} FROM pages WHERE id = ?", [result.page_id]
    ).fetchone()
    text_changed = result.text_changed
    metadata_changed = tuple(row[c] for c in METADATA_COLUMNS) != tuple(after)
    summary.text_changed += text_changed
    summary.metadata_changed += metadata_changed
    summary.unchanged += not (text_changed or metadata_changed)
    summary.new_articles += result.new_article
    summary.moved += result.article_id != row["article_id"] and not result.new_article
