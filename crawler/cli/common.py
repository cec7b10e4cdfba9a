"""What every `reprint` command shares: opening the archive, the --db option, the date
type of every --since."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from archive.db import open_archive
from archive.errors import NotAnArchive
from crawler.cli.output import err as err
from crawler.cli.output import out as out

if TYPE_CHECKING:
    from sqlite_utils import Database

# stats that count pages fetched but not stored (crawler/pipelines.py ArchivePipeline)
STORAGE_FAILURE_STATS = ("reprint/errors/archive_write", "reprint/errors/store")

DEFAULT_DB = "archive.db"
DEMO_DB = "demo.db"
# where the --db value is kept for the error boundary's messages (ctx.meta is shared
# by a command's context and its group's)
DB_META_KEY = "reprint.db_path"


def _refuse_unnameable(
    kind: click.ParamType, value: Any, param: click.Parameter | None, ctx: click.Context | None
) -> None:
    """A clear error for what cannot name a file at all (empty, or holding a NUL
    character) instead of the OS's ValueError."""
    if isinstance(value, str) and (not value or "\x00" in value):
        kind.fail("not a file name (empty, or holding a NUL character)", param, ctx)


class FilePath(click.Path):
    """A file name option: click's checks, and :func:`_refuse_unnameable`'s."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        _refuse_unnameable(self, value, param, ctx)
        return super().convert(value, param, ctx)


class InputFile(click.File):
    """A file to read (or - for standard input), with :func:`_refuse_unnameable`'s checks."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        _refuse_unnameable(self, value, param, ctx)
        return super().convert(value, param, ctx)


def _open(db_path: str, readonly: bool = True) -> Database:
    """The archive at ``db_path``; read-only, an empty file is refused too (SQLite reads
    it as a database without tables, and every query would fail on it).

    :raises ArchiveError: missing, not an archive, newer, locked (exit status 3)
    """
    db = open_archive(db_path, readonly=readonly)
    if readonly and not db["articles"].exists():
        db.close()
        raise NotAnArchive(f"{db_path} is not a reprint archive (it has no articles table)")
    return db


def _remember_db(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    ctx.meta[DB_META_KEY] = value
    return value


def db_option(
    default: str | None = DEFAULT_DB,
    *,
    existing: bool = True,
    help: str = "The archive (SQLite file).",  # click's own name
) -> Any:
    """--db FILE, the archive; ``existing``: the command needs it to exist (every command
    but those that create it: crawl, write, demo, schedule). That is checked when the
    command opens it (:func:`_open`), so parsing a command line touches no file."""
    return click.option(
        "--db",
        "db_path",
        default=default,
        show_default=default is not None,
        type=FilePath(dir_okay=False),
        callback=_remember_db,
        help=help + ("" if existing else " Created when missing."),
    )


class IsoDate(click.ParamType):
    """A date as every --since takes it: 2025-06-01, or an ISO date and time
    (2025-06-01T08:00:00+00:00), in any ISO 8601 spelling Python reads (20250601,
    2025-W22-7); given back in the extended form the archive stores, because exports and
    searches compare it with stored dates as text."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        for kind in (date, datetime):  # a date stays a date: 2025-06-01 takes that whole day
            try:
                return kind.fromisoformat(text).isoformat()
            except ValueError:
                continue
        self.fail(f"expected a date such as 2025-06-01, got {text!r}", param, ctx)


DATE = IsoDate()

# SQLite's largest integer: a bigger id or limit is an error message, not OverflowError
SQLITE_INT_MAX = 2**63 - 1


class PositiveInt(click.ParamType):
    """An id or a count: a whole number from 1 to SQLite's largest integer."""

    name = "N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.fail(f"expected a whole number, got {value!r}", param, ctx)
        if not 1 <= number <= SQLITE_INT_MAX:
            self.fail(f"expected a number from 1 to {SQLITE_INT_MAX}, got {number}", param, ctx)
        return number


POSITIVE_INT = PositiveInt()
