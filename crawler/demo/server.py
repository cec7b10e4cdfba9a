"""Serve a directory of fixture websites on 127.0.0.1, one OS-chosen port per site, or
all of them under real-looking host names on one port.

Each sub-directory of the root is one website. Text files are templates: ``{{site:NAME}}``
becomes that site's base URL, so feeds, canonical links and cross-site links carry the
ports the OS handed out. An optional ``_routes.json`` per site adds special behaviours
(redirects, error statuses, delays, gzip, odd content types) keyed by URL path::

    {"/loop-a": {"status": 302, "headers": {"Location": "{{site:hostile}}/loop-b"}},
     "/busy": {"status": 429, "headers": {"Retry-After": "1"}},
     "/slow/": {"delay_ms": 200},
     "/news-sitemap.xml": {"gzip": true}}

A route without ``body`` or ``body_file`` that answers 2xx serves the static file at its
path with the route's extras applied.

With ``domain="example"`` every site is named ``NAME.example`` (RFC 2606: reserved, never
on the internet) and all are served by one server on one port, which picks the site from
the request's host: the absolute URL an HTTP client sends to a proxy, else the Host
header. Clients reach it by using it as their HTTP proxy (``proxy_url``), so URLs, and
the sites an archive records, carry no port (the demo, crawler/demo.py).

Used by the tests and by ``reprint demo``; run by hand with
``python -m crawler.demo.server [ROOT]``.
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import json
import logging
import mimetypes
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType

logger = logging.getLogger(__name__)

#: The embedded demo web shipped as package data; the default root of ``python -m``.
DEMO_WEB_ROOT = Path(__file__).resolve().parent / "web"

HOST = "127.0.0.1"
ROUTES_FILE = "_routes.json"
INDEX_FILE = "index.html"

#: Site names are directory names; keep them URL- and hostname-safe.
PLACEHOLDER = re.compile(rb"\{\{site:([A-Za-z0-9_.-]+)\}\}")
#: Base used for a placeholder naming a site that is not being served (e.g. only one site
#: of the demo was started). ``.invalid`` never resolves (RFC 2606), so a crawler that
#: follows such a link fails fast instead of leaving the machine.
UNKNOWN_SITE_BASE = "http://{name}.invalid"

#: Files with these suffixes are templates; everything else is served byte for byte.
TEXT_SUFFIXES = frozenset({".html", ".htm", ".xml", ".txt", ".rss", ".atom", ".json"})
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
CONTENT_TYPES: Mapping[str, str] = {
    ".html": HTML_CONTENT_TYPE,
    ".htm": HTML_CONTENT_TYPE,
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    # Served as stored, with no Content-Encoding: a .gz file is a gzip document (e.g. a
    # compressed sitemap), not a compressed transfer of something else.
    ".gz": "application/gzip",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"

ROUTE_KEYS = frozenset(
    {"status", "headers", "body", "body_file", "content_type", "delay_ms", "gzip"}
)
#: Routes answer final responses only (1xx would break the exchange); the reason phrase
#: of the default body comes from HTTPStatus, so the status must be one it knows.
MIN_STATUS, MAX_STATUS = 200, 599
KNOWN_STATUSES = frozenset(s.value for s in HTTPStatus if MIN_STATUS <= s.value <= MAX_STATUS)
#: Statuses whose response never carries a body (RFC 9110 §6.4.1).
BODILESS_STATUSES = frozenset({HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED})

#: serve_forever() notices shutdown() only between polls; the stdlib default of 0.5 s would
#: add half a second to every test teardown.
SHUTDOWN_POLL_S = 0.05
#: Socket timeout per connection, so a client that connects and never sends a request
#: cannot pin a handler thread for the rest of the process.
HANDLER_TIMEOUT_S = 30.0
#: mtime written into gzip headers: a fixed value keeps compressed bodies reproducible.
GZIP_MTIME = 0
MS_PER_S = 1000


# main() wakes this often to notice a stop signal (Event.wait without a timeout would not).
STOP_POLL_S = 0.2


class FixtureError(Exception):
    """Base class for fixture web errors."""


class UnknownSite(FixtureError, LookupError):
    """A site name that is not served by this FixtureWeb."""


class BadRoutes(FixtureError, ValueError):
    """A ``_routes.json`` file that cannot be used."""


class NotStarted(FixtureError, RuntimeError):
    """Ports are only known once ``start()`` has bound the servers."""


@dataclass(frozen=True)
class Route:
    """One entry of a site's ``_routes.json``."""

    status: int = HTTPStatus.OK
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    body_file: Path | None = None
    content_type: str | None = None
    delay_ms: int = 0
    gzip: bool = False


@dataclass(frozen=True)
class _Site:
    name: str
    directory: Path
    routes: Mapping[str, Route]


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def load_routes(site: str, directory: Path) -> dict[str, Route]:
    """Read and validate ``directory/_routes.json`` for `site` (empty when absent).

    Raises BadRoutes naming the file and the route, so a typo in a fixture fails at
    construction time rather than as a puzzling crawl result.
    """
    path = directory / ROUTES_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadRoutes(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise BadRoutes(f"{path}: expected an object keyed by URL path")
    return {key: _parse_route(path, key, spec, directory) for key, spec in raw.items()}


def _parse_route(path: Path, key: str, spec: Any, directory: Path) -> Route:
    where = f"{path}: route {key!r}"
    if not key.startswith("/"):
        raise BadRoutes(f"{where}: path must start with '/'")
    if not isinstance(spec, dict):
        raise BadRoutes(f"{where}: expected an object")
    unknown = set(spec) - ROUTE_KEYS
    if unknown:
        raise BadRoutes(f"{where}: unknown key(s) {sorted(unknown)}; allowed {sorted(ROUTE_KEYS)}")
    status = spec.get("status", HTTPStatus.OK)
    if not isinstance(status, int) or status not in KNOWN_STATUSES:
        raise BadRoutes(f"{where}: status must be a known HTTP status {MIN_STATUS}-{MAX_STATUS}")
    headers = spec.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise BadRoutes(f"{where}: headers must map strings to strings")
    body = spec.get("body")
    if body is not None and not isinstance(body, str):
        raise BadRoutes(f"{where}: body must be a string")
    body_file = None
    if "body_file" in spec:
        if body is not None:
            raise BadRoutes(f"{where}: give body or body_file, not both")
        body_file = directory / spec["body_file"]
        if not body_file.is_file():
            raise BadRoutes(f"{where}: body_file {body_file} does not exist")
    content_type = spec.get("content_type")
    if content_type is not None and not isinstance(content_type, str):
        raise BadRoutes(f"{where}: content_type must be a string")
    delay_ms = spec.get("delay_ms", 0)
    if not isinstance(delay_ms, int) or delay_ms < 0:
        raise BadRoutes(f"{where}: delay_ms must be a non-negative integer")
    use_gzip = spec.get("gzip", False)
    if not isinstance(use_gzip, bool):
        raise BadRoutes(f"{where}: gzip must be true or false")
    return Route(status, headers, body, body_file, content_type, delay_ms, use_gzip)


def content_type_for(path: Path) -> str:
    """Content-Type for a file, from its suffix."""
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or FALLBACK_CONTENT_TYPE


def _http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def _small_page(status: int, message: str = "") -> bytes:
    phrase = HTTPStatus(status).phrase
    text = f"<!DOCTYPE html>\n<html><head><title>{status} {phrase}</title></head>"
    text += f"<body><h1>{status} {phrase}</h1><p>{message}</p></body></html>\n"
    return text.encode("utf-8")


class FixtureWeb:
    """Serves each sub-directory of `root` as its own website on 127.0.0.1.

    Every site gets an OS-chosen port (port 0, read back, never fixed). `requests` lists
    ``(site, path)`` for every request received, in arrival order.
    """

    def __init__(
        self, root: Path, sites: Iterable[str] | None = None, *, domain: str | None = None
    ) -> None:
        """Prepare (but do not bind) one server per site, or one for all with `domain`.

        root: directory holding one sub-directory per site.
        sites: names of the sites to serve; None serves every sub-directory (names
            starting with "." or "_", such as __pycache__, are not sites).
        domain: serve site NAME as host ``NAME.domain`` (port 80 in its URLs) from one
            server reached as an HTTP proxy (``proxy_url``); None: one port per site.
        """
        self.domain = domain
        self.root = Path(root)
        if not self.root.is_dir():
            raise FixtureError(f"fixture root {self.root} is not a directory")
        if sites is None:
            names = sorted(
                p.name for p in self.root.iterdir() if p.is_dir() and p.name[0] not in "._"
            )
        else:
            names = list(sites)
        if not names:
            raise FixtureError(f"no site directories under {self.root}")
        self._sites: dict[str, _Site] = {}
        for name in names:
            directory = self.root / name
            if not directory.is_dir():
                raise UnknownSite(f"site {name!r}: no directory {directory}")
            self._sites[name] = _Site(name, directory, load_routes(name, directory))
        self.requests: list[tuple[str, str]] = []
        self._requests_lock = threading.Lock()
        self._servers: dict[str, _SiteServer] = {}
        self._proxy_url = ""
        self._threads: list[threading.Thread] = []
        self._bases: dict[str, str] = {}
        self._byte_bases: dict[bytes, bytes] = {}

    @property
    def sites(self) -> tuple[str, ...]:
        """Names of the served sites."""
        return tuple(self._sites)

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT``: the one server of a `domain` web, to use as a proxy."""
        if not self._proxy_url:
            raise NotStarted("only a running FixtureWeb with a domain has a proxy address")
        return self._proxy_url

    @property
    def hosts(self) -> dict[str, str]:
        """Site name -> its host as URLs give it (``glossmag.example``, ``127.0.0.1:PORT``)."""
        return {name: base.split("://", 1)[1] for name, base in self.bases.items()}

    @property
    def bases(self) -> dict[str, str]:
        """Site name -> ``"http://127.0.0.1:PORT"`` or ``"http://NAME.DOMAIN"`` (no
        trailing slash)."""
        if not self._bases:
            raise NotStarted("FixtureWeb is not running, so it has no ports; call start() first")
        return dict(self._bases)

    def url(self, site: str, path: str = "/") -> str:
        """Absolute URL of `path` (starting with "/") on `site`."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        bases = self.bases
        if site not in bases:
            raise UnknownSite(f"site {site!r} is not served; served sites: {sorted(bases)}")
        return bases[site] + path

    def start(self) -> FixtureWeb:
        """Bind every site's server, then serve each from a daemon thread.

        All sockets are listening before any URL is handed out and before this returns,
        so callers never need to wait or poll for the servers.
        """
        if self._servers:
            raise FixtureError("FixtureWeb is already started")
        try:
            if self.domain:
                by_host = {f"{name}.{self.domain}": site for name, site in self._sites.items()}
                self._servers[self.domain] = _SiteServer(by_host, self)
            else:
                for name, site in self._sites.items():
                    self._servers[name] = _SiteServer({"": site}, self)
        except BaseException:
            # A failed bind must not leak the sockets already opened.
            for server in self._servers.values():
                server.server_close()
            self._servers.clear()
            raise
        if self.domain:
            self._proxy_url = f"http://{HOST}:{self._servers[self.domain].server_address[1]}"
            self._bases = {name: f"http://{name}.{self.domain}" for name in self._sites}
        else:
            self._bases = {
                name: f"http://{HOST}:{server.server_address[1]}"
                for name, server in self._servers.items()
            }
        self._byte_bases = {k.encode(): v.encode() for k, v in self._bases.items()}
        for name, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": SHUTDOWN_POLL_S},
                name=f"fixture-web-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and close every listening socket (idempotent)."""
        # shutdown() blocks until serve_forever() acknowledges, so only servers whose
        # thread is running are asked; all are closed.
        for server, thread in zip(self._servers.values(), self._threads, strict=False):
            server.shutdown()
            thread.join()
        for server in self._servers.values():
            server.server_close()
        self._servers.clear()
        self._threads.clear()
        self._bases = {}
        self._byte_bases = {}
        self._proxy_url = ""

    def __enter__(self) -> FixtureWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def render(self, data: bytes) -> bytes:
        """Replace every ``{{site:NAME}}`` in `data` with that site's base URL."""

        def base(match: re.Match[bytes]) -> bytes:
            name = match.group(1)
            known = self._byte_bases.get(name)
            return (
                known
                if known is not None
                else UNKNOWN_SITE_BASE.format(name=name.decode()).encode()
            )

        return PLACEHOLDER.sub(base, data)

    def _record(self, site: str, path: str) -> None:
        with self._requests_lock:
            self.requests.append((site, path))


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sites: Mapping[str, _Site], web: FixtureWeb) -> None:
        """sites: host -> site; a single site under "" answers whatever the host."""
        self.sites = sites
        self.web = web
        self.label = ", ".join(site.name for site in sites.values())
        super().__init__((HOST, 0), _Handler)

    def site_for(self, host: str) -> _Site | None:
        """The site answering for `host` (a name without port), or None."""
        return self.sites.get("") or self.sites.get(host.lower().rstrip("."))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log handler failures through logging instead of printing to stderr."""
        # Called from inside socketserver's except block, so the exception is current.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            # Clients hanging up mid-answer (crawler timeouts, a delayed route) are routine.
            logger.debug(
                "fixture site %s: client %s went away: %s", self.label, client_address, exc
            )
            return
        logger.exception("fixture site %s: error answering %s", self.label, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    # One request per connection: stop() then never waits on idle keep-alive sockets.
    protocol_version = "HTTP/1.0"
    server_version = "reprint-fixture/1.0"
    timeout = HANDLER_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: per-request lines would drown test and demo output."""

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        """Answer a HEAD: GET's headers, no body."""
        self._answer(send_body=False)

    def _target(self) -> tuple[str, str]:
        """The requested host (without port) and path with query (origin form)."""
        try:
            parts = urlsplit(self.path)
            if parts.scheme:  # absolute form: the request was sent to us as a proxy
                path = parts.path or "/"
                return parts.hostname or "", path + (f"?{parts.query}" if parts.query else "")
            return urlsplit(f"//{self.headers.get('Host', '')}").hostname or "", self.path
        except ValueError:  # a malformed target or Host header names no site
            return "", self.path

    def _answer(self, send_body: bool) -> None:
        host, target = self._target()
        site = self.server.site_for(host)
        if site is None:
            reply = _Reply(
                HTTPStatus.NOT_FOUND,
                {"Content-Type": HTML_CONTENT_TYPE},
                _small_page(HTTPStatus.NOT_FOUND, "No such site here."),
            )
            self._send(reply, send_body)
            return
        self.server.web._record(site.name, target)
        try:
            reply = self._reply(site, target)
        except OSError as exc:
            # An unreadable fixture file is a broken fixture: say so to the client and
            # in the log, with the path, rather than dropping the connection.
            logger.error("fixture site %s: cannot serve %s: %s", site.name, target, exc)
            reply = _Reply(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"Content-Type": HTML_CONTENT_TYPE},
                _small_page(HTTPStatus.INTERNAL_SERVER_ERROR, "fixture file unreadable"),
            )
        self._send(reply, send_body)

    def _send(self, reply: _Reply, send_body: bool) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in BODILESS_STATUSES:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if send_body and reply.status not in BODILESS_STATUSES:
            self.wfile.write(reply.body)

    def _reply(self, site: _Site, target: str) -> _Reply:
        url_path = urlsplit(target).path or "/"
        route = site.routes.get(target) or site.routes.get(url_path)
        if route is not None:
            return self._route_reply(site, url_path, route)
        found = self._find(site, url_path)
        if isinstance(found, str):
            return _Reply(
                HTTPStatus.MOVED_PERMANENTLY,
                {"Location": found, "Content-Type": HTML_CONTENT_TYPE},
                _small_page(HTTPStatus.MOVED_PERMANENTLY, "moved"),
            )
        if found is None:
            return self._not_found()
        body = self._read(found)
        reply = _Reply(HTTPStatus.OK, {"Content-Type": content_type_for(found)}, body)
        return self._conditional(reply, found)

    def _route_reply(self, site: _Site, url_path: str, route: Route) -> _Reply:
        if route.delay_ms:
            time.sleep(route.delay_ms / MS_PER_S)
        web = self.server.web
        source: Path | None = None
        if route.body is not None:
            body = web.render(route.body.encode("utf-8"))
            content_type = HTML_CONTENT_TYPE
        elif route.body_file is not None:
            source = route.body_file
            body = self._read(source)
            content_type = content_type_for(source)
        elif HTTPStatus.OK <= route.status < HTTPStatus.MULTIPLE_CHOICES:  # 2xx
            found = self._find(site, url_path)
            if not isinstance(found, Path):
                return self._not_found()
            source = found
            body = self._read(source)
            content_type = content_type_for(source)
        else:
            body = _small_page(route.status)
            content_type = HTML_CONTENT_TYPE
        headers = {"Content-Type": route.content_type or content_type}
        reply = _Reply(route.status, headers, body)
        if route.status == HTTPStatus.OK:
            reply = self._conditional(reply, source)
        if route.gzip and reply.status != HTTPStatus.NOT_MODIFIED:
            reply.body = gzip.compress(reply.body, mtime=GZIP_MTIME)
            reply.headers["Content-Encoding"] = "gzip"
        # Route headers win over computed ones (case-insensitively), so a route can set
        # its own Content-Type, ETag or Location.
        for name, value in route.headers.items():
            for existing in [k for k in reply.headers if k.lower() == name.lower()]:
                del reply.headers[existing]
            reply.headers[name] = web.render(value.encode("utf-8")).decode("utf-8")
        return reply

    def _find(self, site: _Site, url_path: str) -> Path | str | None:
        """The file for `url_path`, a redirect target for a directory without its
        trailing slash, or None."""
        parts = [p for p in unquote(url_path).split("/") if p]
        # Hidden files, the routes file and any traversal attempt are simply absent.
        if any(p.startswith(".") or p == ROUTES_FILE or "\\" in p for p in parts):
            return None
        candidate = site.directory.joinpath(*parts)
        if not candidate.resolve().is_relative_to(site.directory.resolve()):
            return None
        if candidate.is_dir():
            if not url_path.endswith("/"):
                return url_path + "/"
            candidate = candidate / INDEX_FILE
        return candidate if candidate.is_file() else None

    def _read(self, path: Path) -> bytes:
        data = path.read_bytes()
        if path.suffix.lower() in TEXT_SUFFIXES:
            data = self.server.web.render(data)
        return data

    def _not_found(self) -> _Reply:
        return _Reply(
            HTTPStatus.NOT_FOUND,
            {"Content-Type": HTML_CONTENT_TYPE},
            _small_page(HTTPStatus.NOT_FOUND, "The page you asked for is not here."),
        )

    def _conditional(self, reply: _Reply, source: Path | None) -> _Reply:
        """Add validators to a 200 reply and turn it into a 304 when the client's
        copy is current."""
        etag = '"' + hashlib.sha1(reply.body).hexdigest() + '"'
        reply.headers["ETag"] = etag
        mtime: int | None = None
        if source is not None:
            # HTTP dates have one-second resolution; compare at that resolution.
            mtime = int(source.stat().st_mtime)
            reply.headers["Last-Modified"] = _http_date(mtime)
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            # When If-None-Match is present, If-Modified-Since is ignored (RFC 9110 §13.1.3).
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            fresh = "*" in tags or etag in tags
        else:
            fresh = mtime is not None and self._not_modified_since(mtime)
        if fresh:
            validators = {k: v for k, v in reply.headers.items() if k != "Content-Type"}
            return _Reply(HTTPStatus.NOT_MODIFIED, validators)
        return reply

    def _not_modified_since(self, mtime: int) -> bool:
        value = self.headers.get("If-Modified-Since")
        if value is None:
            return False
        try:
            since = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            # RFC 9110 §13.1.3: an invalid date makes the condition false, not an error.
            logger.debug("fixture: ignoring bad If-Modified-Since %r", value)
            return False
        return mtime <= since.timestamp()


def main(argv: list[str] | None = None) -> int:
    """Serve ROOT (default: the embedded demo web) until Ctrl-C, printing each site's URL."""
    parser = argparse.ArgumentParser(
        prog="python -m crawler.demo.server",
        description="Serve each sub-directory of ROOT as its own website on 127.0.0.1.",
    )
    parser.add_argument("root", nargs="?", type=Path, default=DEMO_WEB_ROOT, help="fixture root")
    parser.add_argument("--site", action="append", dest="sites", help="serve only this site")
    args = parser.parse_args(argv)
    stop = threading.Event()
    # Set handlers explicitly: a process started in the background by a non-interactive
    # shell inherits SIGINT as ignored, and Ctrl-C/kill must still stop it cleanly.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with FixtureWeb(args.root, args.sites) as web:
        for name, base in web.bases.items():
            print(f"{name:<16} {base}/")
        print("Serving; press Ctrl-C to stop.", flush=True)
        while not stop.wait(timeout=STOP_POLL_S):
            pass
        print()  # leave the prompt on a fresh line
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
