"""What every `reprint` command shares: exit codes, the consoles, opening the archive,
the --db option."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from archive.db import open_archive
from archive.errors import ArchiveError

# Exit codes (click itself uses 2 for usage errors)
EXIT_OK = 0
EXIT_CRAWL_FAILED = 1  # a spider stopped before finishing (crash, shutdown, interrupted)
EXIT_ARCHIVE_ERROR = 3  # the archive could not be opened or written (locked, missing)
EXIT_NOTHING_FETCHED = 4  # every source failed: nothing could be downloaded
# stats that count pages fetched but not stored (crawler/pipelines.py ArchivePipeline)
STORAGE_FAILURE_STATS = ("reprint/errors/archive_write", "reprint/errors/store")

DEFAULT_DB = "archive.db"
DEMO_DB = "demo.db"
DEMO_HOST = "127.0.0.1"

# soft_wrap: lines piped to other tools are not cut at 80 columns
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _open(db_path: str, readonly: bool = True):
    try:
        return open_archive(db_path, readonly=readonly)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


def db_option(default: str = DEFAULT_DB) -> Any:
    return click.option(
        "--db",
        "db_path",
        default=default,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The archive (SQLite file).",
    )
