"""`reprint`'s exit statuses and its one error boundary: every error the archive library
(archive/errors.py) or the crawler's configuration (crawler/errors.py) raises becomes one
line on stderr and the documented exit status (README "Exit status"); anything else is a
bug and keeps its traceback."""

from __future__ import annotations

import os
import sqlite3
import sys
from enum import IntEnum
from typing import Any

import click

from archive.errors import (
    ArchiveError,
    ArticleNotFound,
    BadCursor,
    BadQuery,
    ExportTargetError,
    NoArticleText,
    NotHtml,
)
from crawler.cli.output import plain
from crawler.errors import ConfigError


class Exit(IntEnum):
    """Every exit status of `reprint` (the README's table lists the same)."""

    OK = 0
    FAILED = 1  # what was asked is not there or could not be done
    USAGE = 2  # bad command line, option value, sources file, query or input
    ARCHIVE = 3  # the archive is missing, not an archive, newer, locked, or refused a write
    NOTHING_FETCHED = 4  # crawl: no source could be fetched at all
    SOURCE_FAILED = 5  # crawl: a configured source gave nothing (listed at the end)
    UNFINISHED = 6  # crawl: a spider stopped before finishing (crash, SIGTERM)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


# first match wins: the specific errors before their bases
_STATUS_OF: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Exit], ...] = (
    ((ArticleNotFound, NoArticleText, ExportTargetError), Exit.FAILED),
    ((BadQuery, BadCursor, NotHtml, ConfigError), Exit.USAGE),
    ((ArchiveError, sqlite3.Error), Exit.ARCHIVE),
    (OSError, Exit.FAILED),
)


class CommandError(click.ClickException):
    """A failure reported as one plain line, with its exit status."""

    def __init__(self, message: object, status: Exit = Exit.FAILED) -> None:
        super().__init__(plain(message))
        self.exit_code = int(status)  # type: ignore[misc]  # click reads it per instance


def exit_status(exc: BaseException) -> Exit | None:
    """The documented exit status of a library or configuration error (None: a bug)."""
    for kinds, status in _STATUS_OF:
        if isinstance(exc, kinds):
            return status
    return None


def _describe(exc: BaseException, ctx: click.Context) -> str:
    db_path = _db_of(ctx)
    if isinstance(exc, sqlite3.Error) and db_path:
        return f"cannot use the archive {db_path}: {exc}"
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def _db_of(ctx: click.Context) -> str | None:
    sub = ctx.invoked_subcommand and click.get_current_context(silent=True)
    params: dict[str, Any] = sub.params if isinstance(sub, click.Context) else ctx.params
    value = params.get("db_path")
    return str(value) if value else None


def _is_text(arg: str) -> bool:
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _quiet_stdout() -> None:
    """The reader of stdout went away (`| head`): send what is left nowhere, so that
    Python's final flush does not complain either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


class ReprintGroup(click.Group):
    """The command group with the error boundary around every command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:
            # no shell passes a NUL (argv entries are C strings); bytes that are not
            # UTF-8 arrive as lone surrogates, which neither SQLite nor the terminal
            # takes: both would fail deep inside a command
            if "\x00" in arg or not _is_text(arg):
                raise click.UsageError(
                    "an argument holds a NUL character or bytes that are not UTF-8", ctx
                )
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            # click's messages quote what was given (a file name, a value): as text
            exc.message = plain(exc.message)  # type: ignore[misc]  # set once, before shown
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(Exit.INTERRUPTED) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise click.exceptions.Exit(Exit.OK) from None
        except Exception as exc:
            status = exit_status(exc)
            if status is None:
                raise
            raise CommandError(_describe(exc, ctx), status) from exc
