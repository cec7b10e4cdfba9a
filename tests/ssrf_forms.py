"""The private-address forms every fetcher must refuse, and the recorder they point at.

Each form is a ``host:port`` written as an attacker would write this machine's loopback
(or another address a fetcher must not reach); ``{port}`` is a :func:`loopback_recorder`'s
port, so that a form the guard lets through lands on a server that counts it. The
recorder listens on 127.0.0.1 and [::1]: every loopback spelling below reaches it on
Linux (0.0.0.0, 0 and [::] included), while the link-local, private and multicast
addresses lead nowhere here and are refused all the same.
"""

from __future__ import annotations

import errno
import http.server
import socket
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.demo.server import SHUTDOWN_POLL_S

if TYPE_CHECKING:
    from collections.abc import Iterator

# (name, host:port) of every private-address form; names are unique, without dots
PRIVATE_HOSTS: list[tuple[str, str]] = [
    ("loopback", "127.0.0.1:{port}"),
    ("decimal", "2130706433:{port}"),
    ("hex", "0x7f000001:{port}"),
    ("hex-dotted", "0x7f.0.0.1:{port}"),
    ("hex-upper", "0X7F.0X0.0X0.0X1:{port}"),
    ("octal", "0177.0.0.1:{port}"),
    ("octal-whole", "017700000001:{port}"),
    ("octal-padded", "0000177.0.0.01:{port}"),
    ("zero-padded", "127.000.000.001:{port}"),
    ("short", "127.1:{port}"),
    ("short-3", "127.0.1:{port}"),
    ("trailing-dot", "127.0.0.1.:{port}"),
    ("fullwidth-digits", "１２７.０.０.１:{port}"),  # IDNA maps them to ASCII
    ("ideographic-dots", "127。0。0。1:{port}"),  # IDNA maps them to "."
    ("userinfo", "127.0.0.2@127.0.0.1:{port}"),  # the host is after the "@"
    ("ipv6", "[::1]:{port}"),
    ("ipv6-long", "[0:0:0:0:0:0:0:1]:{port}"),
    ("ipv6-unspecified", "[::]:{port}"),  # reaches [::1] on Linux
    ("v4-mapped", "[::ffff:127.0.0.1]:{port}"),
    ("v4-mapped-hex", "[::ffff:7f00:1]:{port}"),
    ("v4-mapped-long", "[0:0:0:0:0:ffff:127.0.0.1]:{port}"),
    # IPv6 addresses standing for an IPv4 one: a NAT64 gateway or 6to4 tunnel delivers
    # them there (none here: they lead nowhere on this machine)
    ("nat64", "[64:ff9b::7f00:1]:{port}"),
    ("nat64-private", "[64:ff9b::a00:1]:{port}"),
    ("nat64-local-use", "[64:ff9b:1::a00:1]:{port}"),
    ("6to4", "[2002:7f00:1::]:{port}"),
    ("v4-compatible", "[::127.0.0.1]:{port}"),
    ("unspecified", "0.0.0.0:{port}"),  # reaches this machine's services on Linux
    ("zero", "0:{port}"),  # 0.0.0.0, short
    ("localhost", "localhost:{port}"),
    ("localhost-case-dot", "LocalHost.:{port}"),  # not spelled as the guard's list has it
    ("localhost-upper", "LOCALHOST:{port}"),
    ("localhost-localdomain", "localhost.localdomain:{port}"),
    ("sub-localhost", "ssrf.localhost:{port}"),
    # cloud metadata; on the recorder's port, so that a broken guard asks no real service
    ("metadata", "169.254.169.254:{port}"),
    ("metadata-decimal", "2852039166:{port}"),
    ("private-10", "10.0.0.1:{port}"),
    ("private-172", "172.16.0.1:{port}"),
    ("private-192", "192.168.0.1:{port}"),
    ("shared-cgnat", "100.64.0.1:{port}"),
    ("link-local-v6", "[fe80::1]:{port}"),
    ("unique-local-v6", "[fd00::1]:{port}"),
    ("multicast", "224.0.0.1:{port}"),
    ("broadcast", "255.255.255.255:{port}"),
]


def hosts_file_names(address: str = "127.0.0.1", hosts: Path = Path("/etc/hosts")) -> list[str]:
    """The names this machine's hosts file gives ``address`` besides "localhost" (e.g. the
    machine's own name): public-looking names that resolve to loopback, which only the
    resolver can judge. Machines differ, so the table has 0 or more of them."""
    names: list[str] = []
    try:
        lines = hosts.read_text().splitlines()
    except OSError:
        return names
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if fields and fields[0] == address:
            names += [n for n in fields[1:] if n.lower() not in ("localhost", "localhost.")]
    return list(dict.fromkeys(names))


# (name, URL) of every non-http(s) URL form; {port} is the recorder's, {file} a local
# file's path, {token} marks the URL (a fetcher must not use any of these schemes)
NON_HTTP_URLS: list[tuple[str, str]] = [
    ("file", "file://{file}?{token}"),
    ("file-localhost", "file://localhost{file}?{token}"),
    ("ftp", "ftp://127.0.0.1:{port}/{token}"),
    ("data", "data:text/html,<p>{token}</p>"),
    ("s3", "s3://bucket/{token}"),
    ("gopher", "gopher://127.0.0.1:{port}/_{token}"),
]


@dataclass
class Recorder:
    """What reached a :func:`loopback_recorder`: every connection and request line."""

    port: int
    connections: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    server: _RecordingServer
    timeout = 5  # a client that connects and says nothing (ftp:) is cut off

    def handle_one_request(self) -> None:
        super().handle_one_request()
        if self.requestline:
            self.server.recorder.requests.append(self.requestline)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body><p>SECRET</p></body></html>")

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean


class _RecordingServer(http.server.ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], family: socket.AddressFamily, recorder: Recorder):
        self.address_family = family
        self.recorder = recorder
        super().__init__(address, _RecordingHandler)

    def get_request(self) -> tuple[socket.socket, object]:
        conn, peer = super().get_request()
        self.recorder.connections.append(str(peer))
        return conn, peer


@contextmanager
def loopback_recorder() -> Iterator[Recorder]:
    """A server on 127.0.0.1 and [::1], one port (chosen by the OS) for both, answering
    every GET with a secret and recording every connection and request line. Without
    IPv6 on this machine it listens on 127.0.0.1 alone (the IPv6 forms reach nothing)."""
    with ExitStack() as stack:
        for _attempt in range(20):  # the port the OS gave 127.0.0.1 may be taken on [::1]
            recorder = Recorder(port=0)
            servers = [_RecordingServer(("127.0.0.1", 0), socket.AF_INET, recorder)]
            recorder.port = servers[0].server_address[1]
            try:
                servers.append(_RecordingServer(("::1", recorder.port), socket.AF_INET6, recorder))
            except OSError as exc:
                if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    break  # no IPv6 loopback here
                servers[0].server_close()
                continue
            break
        else:
            raise AssertionError("no port free on both 127.0.0.1 and [::1]")
        for server in servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S}, daemon=True
            )
            thread.start()
            stack.callback(thread.join)
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
        yield recorder
