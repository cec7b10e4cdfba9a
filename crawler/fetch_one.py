"""Fetch one page without Scrapy, for `reprint extract --url` (a fast start matters there).

Same User-Agent, size limit, redirect limit and network policy as crawls
(crawler/settings.py, crawler/netpolicy.py): http(s) only; the host resolved once and
every address it resolves to checked; the connection made to a checked address (the
Host header and TLS server name still name the host), so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot redirect it; every redirect
hop checked the same way; one deadline for the whole fetch, redirects and slow bodies
included.

Proxies from the environment (http_proxy, https_proxy) are not used: a proxy would
resolve the name again itself, out of reach of the check. Behind a mandatory proxy,
fetch the page with another tool and pipe it in (`curl ... | reprint extract - --url URL`).
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from crawler import settings as crawl_settings
from crawler.netpolicy import (
    allowed_set,
    blocked_reason,
    not_http_reason,
    resolved_reason,
    with_allow_hint,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Characters a request target may carry as they are; anything else (non-ASCII) is
# percent-encoded, as a browser would before sending it.
_TARGET_SAFE = "/?&=;:@!$'()*+,%[]~"


class FetchError(OSError):
    """The page could not be fetched (network error, HTTP error, too large)."""


class BadURL(FetchError):
    """The URL is malformed or not an http(s) URL with a host: nothing to fetch."""


class RefusedHost(FetchError):
    """The network policy refuses the URL's host (a non-public address or local name)."""


class FetchDeadline(FetchError):
    """The whole fetch took longer than its deadline."""


@dataclass(frozen=True, slots=True)
class FetchedBody:
    """A fetched page's bytes and what the response said of them."""

    url: str  # after redirects
    body: bytes
    content_type: str | None
    status: int


@dataclass(frozen=True, slots=True)
class _Target:
    """A URL that passed the policy, with the addresses it may be connected to."""

    scheme: str
    host: str
    port: int
    request_target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def check_url(url: str, allowed: frozenset[str]) -> _Target:
    """Check ``url`` against the network policy and resolve its host (once).

    :param url: an absolute URL
    :param allowed: hosts and addresses allowed whatever they are (netpolicy.allowed_set)
    :raises BadURL: malformed, or not http(s) with a host
    :raises RefusedHost: the host is a local name or resolves to a non-public address
    :raises FetchError: the host does not resolve
    """
    # urlsplit silently drops tabs and newlines, and http.client refuses spaces and
    # control characters only once connected: refuse them here, before anything
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise BadURL(f"{url!r}: a URL cannot contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # e.g. "Invalid IPv6 URL", a port out of range
        raise BadURL(f"{url!r}: {exc}") from exc
    host = parts.hostname or ""
    reason = not_http_reason(parts.scheme, host)
    if reason:
        raise BadURL(f"{url!r}: {reason}")
    reason = blocked_reason(host, allowed)
    if reason:
        raise RefusedHost(f"{url}: {with_allow_hint(reason, host)}")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise FetchError(f"{url}: cannot resolve {host}: {detail}") from exc
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    reason = resolved_reason(host, addresses, allowed)
    if reason:
        raise RefusedHost(f"{url}: {with_allow_hint(reason, host)}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return _Target(parts.scheme, host, port, quote(target, safe=_TARGET_SAFE), addresses)


class _DeadlineReader(io.RawIOBase):
    """A socket's reading side that gives up at a deadline: each receive may wait only
    for the time left, so a server trickling a byte at a time cannot stretch it."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float) -> None:
        """
        :param raw: the socket's own reader (sock.makefile's), which keeps the socket
            open while the response is read, even once the connection is closed
        :param sock: the socket, whose timeout is set before each receive
        :param deadline: time.monotonic() value past which nothing more is read
        """
        super().__init__()
        self.raw = raw
        self.sock = sock
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchDeadline("deadline passed while reading the response")
        self.sock.settimeout(left)
        try:
            return self.raw.readinto(buffer)
        except TimeoutError as exc:
            raise FetchDeadline("deadline passed while reading the response") from exc

    def close(self) -> None:
        self.raw.close()
        super().close()


def _deadline_response(deadline: float) -> type[http.client.HTTPResponse]:
    """An HTTPResponse class reading through a :class:`_DeadlineReader`."""

    class DeadlineResponse(http.client.HTTPResponse):
        def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
            super().__init__(sock, *args, **kwargs)
            raw = self.fp.detach()  # the socket's reader, under the deadline from now on
            self.fp = io.BufferedReader(_DeadlineReader(raw, sock, deadline))

    return DeadlineResponse


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to an address checked beforehand, whatever the host name
    resolves to by now; the Host header and TLS server name still name the host."""

    def __init__(self, target: _Target, deadline: float, context: ssl.SSLContext) -> None:
        left = deadline - time.monotonic()
        super().__init__(target.host, target.port, timeout=left, context=context)
        self.target = target
        # the Host header leaves out the port when it is the scheme's own
        self.default_port = 443 if target.scheme == "https" else 80
        self.tls = context if target.scheme == "https" else None
        self.deadline = deadline
        self.response_class = _deadline_response(deadline)

    def connect(self) -> None:
        error: OSError = OSError(f"no address for {self.target.host}")
        for address in self.target.addresses:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise FetchDeadline("deadline passed while connecting")
            try:
                sock = socket.create_connection((address, self.port), timeout=left)
            except TimeoutError as exc:
                raise FetchDeadline("deadline passed while connecting") from exc
            except OSError as exc:
                error = exc  # try the host's next checked address
                continue
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self.tls is not None:
                    sock = self.tls.wrap_socket(sock, server_hostname=self.target.host)
            except BaseException:
                sock.close()  # e.g. a failed TLS handshake: no connection to keep
                raise
            # sending is bounded by the time left too (sendall's timeout is its total)
            sock.settimeout(max(self.deadline - time.monotonic(), 0.001))
            self.sock = sock
            return
        raise error


def fetch_page(
    url: str,
    *,
    allowed: Iterable[str] = (),
    deadline: float = crawl_settings.DOWNLOAD_TIMEOUT,
    max_bytes: int = crawl_settings.DOWNLOAD_MAXSIZE,
    max_redirects: int = crawl_settings.REDIRECT_MAX_TIMES,
) -> FetchedBody:
    """GET ``url`` (redirects followed) with the crawler's User-Agent, within the
    network policy.

    :param url: an absolute http(s) URL
    :param allowed: hosts or addresses reachable even though not public (--allow-host)
    :param deadline: seconds for the whole fetch, connections, redirects and body included
    :param max_bytes: the largest body accepted
    :param max_redirects: redirects followed at most
    :raises BadURL: ``url``, or a redirect's Location, is malformed or not http(s)
    :raises RefusedHost: a host on the way is refused by the network policy
    :raises FetchDeadline: the fetch took longer than ``deadline``
    :raises FetchError: on a network error, an HTTP error status, or a body over max_bytes
    """
    allowed_hosts = allowed_set(allowed)
    until = time.monotonic() + deadline
    context = ssl.create_default_context()
    came_from: str | None = None
    for _hop in range(max_redirects + 1):
        try:
            target = check_url(url, allowed_hosts)
        except FetchError as exc:
            if came_from is None:
                raise
            raise type(exc)(f"{exc} (redirected from {came_from})") from exc
        connection = _PinnedConnection(target, until, context)
        response: http.client.HTTPResponse | None = None
        try:
            connection.request(
                "GET",
                target.request_target,
                headers={"User-Agent": crawl_settings.USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
            )
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in REDIRECT_STATUSES and location:
                came_from, url = url, urljoin(url, location)  # checked at the next hop
                continue
            if not 200 <= response.status < 300:
                raise FetchError(f"{url}: HTTP {response.status} {response.reason}")
            length = response.getheader("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{url}: body over the {max_bytes}-byte limit")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"{url}: body over the {max_bytes}-byte limit")
            return FetchedBody(
                url=url,
                body=body,
                content_type=response.getheader("Content-Type"),
                status=response.status,
            )
        except FetchDeadline as exc:
            raise FetchDeadline(f"{url}: {exc} (the whole fetch may take {deadline:g} s)") from exc
        except TimeoutError as exc:  # a socket timeout: the time left ran out
            raise FetchDeadline(f"{url}: no answer within {deadline:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, FetchError):
                raise
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise FetchError(f"{url}: {reason or type(exc).__name__}") from exc
        finally:
            if response is not None:
                response.close()  # it holds the socket until closed
            connection.close()
    raise FetchError(f"{url}: more than {max_redirects} redirects")
