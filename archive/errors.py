"""Every exception of the archive library, under :class:`ArchiveError`; each message names
the object it is about. Where a caller may expect a builtin (``LookupError`` for a missing
id), the error is that builtin too. `reprint` maps each to its exit status in one place
(crawler/cli/errors.py)."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class of every error raised by the archive library."""


class ArchiveNotFound(ArchiveError):
    """The archive file does not exist (raised when opening read-only)."""


class NotAnArchive(ArchiveError):
    """The file is not a reprint archive: not an SQLite database at all, or another
    application's database (tables but no record of reprint's migrations)."""


class ArchiveTooNew(ArchiveError):
    """The archive records a migration this reprint does not know: a newer reprint wrote
    it, so this one must not write to it (reading it may still work)."""


class ArchiveOutdated(ArchiveError):
    """The archive predates a migration that reading it needs (it was only opened read-only)."""


class ArchiveLocked(ArchiveError):
    """Another process holds the archive's write lock for longer than the busy timeout."""


class ArchiveWriteFailed(ArchiveError):
    """The archive file did not take a write (disk full, I/O error, lock held too long):
    what was being written is not stored."""


class ArchiveReadOnly(ArchiveWriteFailed):
    """The archive is on storage that takes no writes (a read-only mount, a folder without
    write permission): it can be read, searched and served, not crawled into."""


class PageRefused(ArchiveError):
    """The archive took no row of one page for the page's own sake (a value SQLite cannot
    store, such as a lone surrogate): the file is fine and the pages beside it are stored
    (archive.store.save_page_alone)."""

    def __init__(self, url: str, cause: Exception) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.url = url


class DedupIndexError(ArchiveError, RuntimeError):
    """The dedup index cannot be used as it is (parameters out of range, or built with
    other MinHash code): ``reprint dedupe`` makes it anew."""


class ExportTargetError(ArchiveError, OSError):
    """An export's output file cannot be written (a special file or a link in its place,
    no permission, a full disk); the file named is left as it was."""


class BadQuery(ArchiveError):
    """A search query that SQLite FTS5 cannot parse."""


class QueryTooExpensive(BadQuery):
    """A search query that did not finish within its time budget (it was stopped)."""


class BadCursor(ArchiveError, ValueError):
    """An export cursor that is not one this archive handed out."""


class ArticleNotFound(ArchiveError, LookupError):
    """No article with that id."""


class ExtractionError(ArchiveError):
    """A page from which no article could be extracted."""


class NotHtml(ExtractionError):
    """The body is not an HTML document (binary, empty, or too large)."""


class TooManyElements(NotHtml):
    """The page has more elements than extraction takes on (``MAX_HTML_ELEMENTS``)."""


class NoArticleText(ExtractionError):
    """The page is HTML but holds no article text (a hub, gallery or error page)."""
