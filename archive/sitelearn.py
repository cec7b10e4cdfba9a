"""Per-site learned boilerplate: a line that recurs in many different stories of one site
is that site's template (a newsletter prompt, a staff bio, a "Most read" heading), not
story text.

The archive is the training data. When a page is stored, :func:`learn_page` records which
of the site's stories each of its lines appeared in (``site_lines``) and keeps a count per
line (``site_line_counts``). :func:`learned_lines` returns the keys of the lines that
cleared the thresholds (archive/settings.py; stricter for long lines); the caller passes them to
:func:`archive.extract.extract_article` as ``site_boilerplate``, so extraction stays a pure
function that runs in worker processes. A "story" is the page's canonical URL (its own
URL when it states none): two URLs of one story on one site (AMP, a second section path)
count once, and re-clustering articles never inflates a count.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archive.clean import LONG_LINE_KEY_PREFIX
from archive.db import open_archive
from archive.errors import ArchiveNotFound, ExtractionError
from archive.extract import extract_article
from archive.settings import (
    SITE_LINE_MIN_ARTICLES,
    SITE_LINE_MIN_SHARE,
    SITE_LINES_REFRESH_S,
    SITE_LONG_LINE_MIN_ARTICLES,
    SITE_LONG_LINE_MIN_SHARE,
)
from archive.urls import normalize_url, site_of

if TYPE_CHECKING:
    from sqlite_utils import Database

logger = logging.getLogger(__name__)


def story_key(url: str, canonical_url: str | None) -> str:
    """Return what identifies a page's story within its site: the normalised canonical
    URL, else the page's own.

    A canonical URL naming a site's home page (a template bug some sites ship) says
    nothing about the story, so the page's own URL is used instead; otherwise every
    page of such a site would count as one story and the site would never learn.

    :param url: the page's URL
    :param canonical_url: its rel=canonical / og:url, if any
    """
    if canonical_url and urlsplit(canonical_url).path.strip("/"):
        return normalize_url(canonical_url)
    return normalize_url(url)


def learn_page(db: Database, site: str, story: str, line_keys: Iterable[str]) -> int:
    """Record that the lines ``line_keys`` appeared in ``story`` of ``site``.

    Idempotent: storing the same page again adds nothing. Call inside the transaction
    that stores the page.

    :param db: the archive, writable
    :param site: the page's site (:func:`archive.urls.site_of`)
    :param story: :func:`story_key` of the page
    :param line_keys: :attr:`archive.extract.Extracted.line_keys`
    :returns: how many (line, story) pairs were new
    """
    db.execute("INSERT OR IGNORE INTO site_stories (site, story) VALUES (?, ?)", [site, story])
    # site_line_counts follows by a trigger (migration m006): one statement for all lines
    cursor = db.conn.executemany(
        "INSERT OR IGNORE INTO site_lines (site, line_key, story) VALUES (?, ?, ?)",
        [(site, key, story) for key in dict.fromkeys(line_keys)],
    )
    return max(cursor.rowcount, 0)


def forget_site(db: Database, site: str) -> None:
    """Drop everything learned about ``site`` (before relearning it from scratch)."""
    for table in ("site_lines", "site_line_counts", "site_stories"):
        db.execute(f"DELETE FROM {table} WHERE site = ?", [site])


def threshold(stories: int, *, long: bool = False) -> int:
    """How many stories of a site a line must appear in to be its boilerplate.

    :param stories: the number of stories of the site in the archive
    :param long: for a line of more than ``SITE_LINE_MAX_WORDS`` words
    """
    if long:
        return max(SITE_LONG_LINE_MIN_ARTICLES, math.ceil(SITE_LONG_LINE_MIN_SHARE * stories))
    return max(SITE_LINE_MIN_ARTICLES, math.ceil(SITE_LINE_MIN_SHARE * stories))


def site_story_count(db: Database, site: str) -> int:
    """The number of distinct stories of ``site`` the archive has learned from."""
    return db.execute("SELECT count(*) FROM site_stories WHERE site = ?", [site]).fetchone()[0]


def learned_lines(db: Database, site: str) -> frozenset[str]:
    """Return the keys of the lines learned as boilerplate of ``site``.

    :param db: the archive (read-only is enough)
    :param site: the site (:func:`archive.urls.site_of`)
    """
    stories = site_story_count(db, site)
    need, need_long = threshold(stories), threshold(stories, long=True)
    rows = db.execute(
        "SELECT line_key, stories FROM site_line_counts WHERE site = ? AND stories >= ?",
        [site, need],
    ).fetchall()
    return frozenset(
        key for key, count in rows if count >= need_long or not key.startswith(LONG_LINE_KEY_PREFIX)
    )


def learned_lines_for_page(
    db: Database, body: bytes, url: str | None = None, content_type: str | None = None
) -> frozenset[str]:
    """The lines learned for the site of one page given on its own (`reprint extract`):
    the site of ``url``, else of the page's own canonical URL, found by a first
    extraction; none when neither names a site.

    :param body: the page's raw bytes
    :param url: where the page is from, when known
    :param content_type: its Content-Type header, for the charset
    """
    site = site_of(url) if url else None
    if site is None:
        try:
            canonical = extract_article(body, None, content_type=content_type).canonical_url
        except ExtractionError:
            return frozenset()  # the caller's own extraction reports it
        site = site_of(canonical) if canonical else None
    return learned_lines(db, site) if site else frozenset()


class LearnedBoilerplate:
    """The learned lines of each site, read from an archive file and cached for a crawl.

    A crawl's extraction step asks for a site's lines once per page; reading them costs
    one indexed query, done at most every ``refresh_s`` seconds per site so that lines
    learned from the pages just stored reach the next pages of the same site.
    """

    def __init__(
        self,
        path: str | Path | None,
        *,
        refresh_s: float = SITE_LINES_REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """:param path: the archive file (None: nothing learned, e.g. ``reprint extract``)
        :param refresh_s: how long a site's lines are reused before being read again
        :param clock: monotonic time source (tests pass their own)
        """
        self.path = Path(path) if path else None
        self.refresh_s = refresh_s
        self.clock = clock
        self._db: Database | None = None
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    def for_site(self, site: str | None) -> frozenset[str]:
        """Return the learned lines of ``site`` (empty when nothing is learned yet)."""
        if not site or self.path is None:
            return frozenset()
        now = self.clock()
        cached = self._cache.get(site)
        if cached is not None and now - cached[0] < self.refresh_s:
            return cached[1]
        lines = self._read(site)
        self._cache[site] = (now, lines)
        return lines

    def _read(self, site: str) -> frozenset[str]:
        if self._db is None and self.path is not None:
            try:
                self._db = open_archive(self.path, readonly=True)
            except ArchiveNotFound:
                return frozenset()  # created by the archive pipeline later; ask again
        if self._db is None:
            return frozenset()
        try:
            return learned_lines(self._db, site)
        except sqlite3.OperationalError as exc:
            # an archive from before migration m003 (opened read-only, not migrated yet)
            if "no such table" not in str(exc):
                raise
            logger.debug("no learned boilerplate in %s yet: %s", self.path, exc)
            return frozenset()

    def close(self) -> None:
        """Close the read-only connection."""
        if self._db is not None:
            self._db.close()
            self._db = None
