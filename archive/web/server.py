"""Serve an archive with datasette (read-only) on a socket we bind ourselves.

Binding the socket before uvicorn starts lets ``port=0`` pick a free port whose address
is known (and printed) before the first request, so scripts and tests never guess ports.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from archive.db import on_readonly_media
from archive.settings import SERVE_FACET_TIME_LIMIT_MS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from datasette.app import Datasette


def build_datasette(path: Path, *, immutable: bool = False) -> Datasette:
    """A Datasette instance serving the archive at ``path`` read-only.

    :param path: the archive file
    :param immutable: open it as immutable (no locking, cached counts): only for an archive
        no crawl will write while it is served; otherwise it is opened ``mode=ro``, which
        reads consistent snapshots beside a running crawl (WAL); always immutable when
        its folder takes no writes (read-only media)
    """
    from datasette.app import Datasette
    from datasette.plugins import pm

    import archive.web

    # the `datasette` entry point registers it when reprint is installed; from a source
    # tree that was not (re)installed, register it here
    if not pm.is_registered(archive.web) and not pm.has_plugin("reprint"):
        pm.register(archive.web, name="reprint")
    # datasette's mode=ro reader cannot open a WAL archive on read-only media
    immutable = immutable or on_readonly_media(path)
    files = [] if immutable else [str(path)]
    immutables = [str(path)] if immutable else []
    return Datasette(
        files,
        immutables=immutables,
        # suggested facets try every column of a table on each page view: on an archive
        # of long texts that alone took over a second a page (bench/scale.py)
        settings={"facet_time_limit_ms": SERVE_FACET_TIME_LIMIT_MS, "suggest_facets": False},
    )


class AddressUnavailable(OSError):
    """The host/port to serve on cannot be bound (in use, or not an address of this host)."""


def bind(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket (port 0: any free port).

    :raises AddressUnavailable: the address is in use or not available
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise AddressUnavailable(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(socket.SOMAXCONN)  # queue clients that connect before uvicorn is up
    return sock


def serve(
    path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    immutable: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the archive until interrupted (Ctrl-C / SIGTERM).

    :param path: the archive file
    :param host: address to listen on
    :param port: port (0: any free port)
    :param immutable: see :func:`build_datasette`
    :param ready: called with the base URL once the socket listens
    :raises AddressUnavailable: the address could not be bound
    """
    import uvicorn

    datasette = build_datasette(path, immutable=immutable)
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    if ready:
        ready(f"http://{shown}:{bound}/")
    server.run(sockets=[sock])
