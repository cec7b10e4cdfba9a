"""`reprint serve`: the archive in datasette."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive.settings import SERVE_DEFAULT_PORT
from crawler.cli.common import (
    _open,
    db_option,
)

if TYPE_CHECKING:
    pass


@click.command(name="serve")
@db_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=SERVE_DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port; the address is printed).",
)
@click.option(
    "--immutable",
    is_flag=True,
    help="The archive will not change while served (no crawl running): faster counts.",
)
def serve_command(db_path: str, host: str, port: int, immutable: bool) -> None:
    """Browse, search and query the archive in datasette, read-only, with the Atom feed
    of stories (/-/reprint/feed.atom) and charts (/-/reprint/stats)."""
    from archive.web.server import AddressUnavailable, serve

    _open(db_path).close()  # a missing or unreadable archive is an error, not an empty site

    def ready(url: str) -> None:
        click.echo(f"Serving {db_path} (read-only) at {url}", err=False)
        sys.stdout.flush()

    try:
        serve(Path(db_path), host=host, port=port, immutable=immutable, ready=ready)
    except AddressUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
