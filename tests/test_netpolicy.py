"""The network policy on every fetch: `reprint extract --url` (address forms, redirects,
the total deadline, malformed URLs) and crawls through a proxy."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.cli.extract import EXIT_UNREADABLE
from crawler.fetch_one import FetchDeadline, fetch_page

from .conftest import http_server, recording_server, run_crawl
from .ssrf_forms import PRIVATE_HOSTS, hosts_file_names

if TYPE_CHECKING:
    import http.server
    from collections.abc import Callable, Iterator
    from pathlib import Path


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    with recording_server(lambda path: b"<html><body><p>SECRET</p></body></html>") as served:
        yield served


def _extract(*args: str) -> tuple[int, str]:
    """Run `reprint extract` in this process: (exit status, stderr); no traceback allowed."""
    result = CliRunner().invoke(cli, ["extract", *args])
    assert isinstance(result.exception, SystemExit | None), result.exc_info
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stderr


# every private-address form, and the names the hosts file gives the recorder's address;
# {port} is the recorder's, on 127.0.0.1
REFUSED_HOSTS = [netloc for _name, netloc in PRIVATE_HOSTS] + [
    f"{name}:{{port}}" for name in hosts_file_names()
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_extract_url_refuses_every_form_of_a_private_address(
    host: str, recorder: tuple[str, list[str]]
) -> None:
    base, hits = recorder
    port = urlsplit(base).port
    code, stderr = _extract("--url", f"http://{host.format(port=port)}/latest/meta-data")
    assert code == EXIT_UNREADABLE
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("Error: refused ") and "--allow-host " in stderr
    assert hits == []  # refused before any connection


def test_extract_url_allow_host_is_the_way_around(recorder: tuple[str, list[str]]) -> None:
    base, hits = recorder
    port = urlsplit(base).port
    # allowing the address lets every spelling of it through, as the crawl's resolver does
    code, stderr = _extract("--url", f"http://2130706433:{port}/page", "--allow-host", "127.0.0.1")
    assert code == 1, stderr  # fetched: the page is just too short to be an article
    assert hits == ["/page"]


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ("http://localhost:{port}/secret", "private address localhost"),
        ("http://127.0.0.2:{port}/secret", "private address 127.0.0.2"),
        ("http://2130706434:{port}/secret", "resolves to 127.0.0.2"),
        ("http://[::1]:{port}/secret", "private address ::1"),
        ("ftp://127.0.0.1/secret", "not an http(s) URL (ftp scheme"),
        ("file:///etc/passwd", "not an http(s) URL (file scheme"),
    ],
)
def test_extract_url_checks_every_redirect_hop(location: str, says: str) -> None:
    hits: list[str] = []

    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        hits.append(request.path)
        if request.path == "/start":
            request.send_response(302)
            port = request.server.server_address[1]
            request.send_header("Location", location.format(port=port))
            request.end_headers()
        else:
            request.send_response(200)
            request.end_headers()
            request.wfile.write(b"SECRET")

    with http_server(handle) as base:
        # the first hop is allowed (the test server is on loopback), the next is not
        code, stderr = _extract("--url", f"{base}/start", "--allow-host", "127.0.0.1")
    assert code == EXIT_UNREADABLE
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert says in stderr and f"redirected from {base}/start" in stderr
    assert hits == ["/start"]


def _trickle(
    payload: bytes, stop: threading.Event
) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """A handler writing ``payload`` a byte every 50 ms: each byte comes well within any
    socket timeout, the whole takes seconds."""

    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        try:
            for byte in payload:
                if stop.wait(0.05):  # the pace of the trickle, and the end of the test
                    return
                request.wfile.write(bytes([byte]))
        except OSError:
            pass  # the client gave up: what it should do

    return handle


@pytest.mark.parametrize(
    "payload",
    [
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 100 + b"\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Length: 200\r\n\r\n" + b"<p>" * 66 + b"xx",
    ],
    ids=["headers", "body"],
)
def test_extract_url_has_one_deadline_for_the_whole_fetch(payload: bytes) -> None:
    stop = threading.Event()
    with http_server(_trickle(payload, stop)) as base:
        started = time.monotonic()
        try:
            with pytest.raises(FetchDeadline, match=r"the whole fetch may take 0\.5 s"):
                fetch_page(f"{base}/slow", allowed=["127.0.0.1"], deadline=0.5)
        finally:
            stop.set()
        assert time.monotonic() - started < 3  # the trickle alone takes over 5 s


@pytest.mark.parametrize(
    "url",
    [
        "//host.example/x",  # no scheme
        "host.example/x",
        "http://host.example/a\tb",
        "http://host.\texample/",
        "http://host.example/a b",
        "http://host.example/a\nb",
        "http://[::1/",
        "http://host.example:99999/",
        "http:///x",  # no host
        "mailto:someone@host.example",
    ],
)
def test_extract_url_malformed_is_one_line_and_exit_2(url: str) -> None:
    code, stderr = _extract("--url", url)
    assert code == EXIT_UNREADABLE
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("Error: bad URL ")


# 127.0.0.1 itself is allowed in test crawls (fixture webs live there): the links point
# at 127.0.0.2, written so that only resolving the name shows what it is
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Decimal</title><link>http://2130706434:{port}/hidden-decimal</link></item>
<item><title>Hex</title><link>http://0x7f.2:{port}/hidden-hex</link></item>
<item><title>Hosts file</title><link>http://localhost.:{port}/hidden-hosts</link></item>
<item><title>Intranet</title><link>http://intranet.invalid/hidden-intranet</link></item>
</channel></rss>"""


@pytest.mark.slow
def test_crawl_through_a_proxy_checks_names_before_sending(tmp_path: Path) -> None:
    port: list[int] = []

    def respond(path: str) -> bytes:  # a "proxy" that answers everything itself
        return FEED.format(port=port[0]).encode() if path.endswith("/feed.xml") else b""

    with recording_server(respond) as (proxy, hits):
        port.append(urlsplit(proxy).port or 0)
        stats, _ = run_crawl(
            tmp_path / "p.db",
            "--feed",
            f"{proxy}/feed.xml",  # on 127.0.0.1, allowed for fixture webs
            "-s",
            "RETRY_TIMES=0",
            env={"http_proxy": proxy, "https_proxy": proxy, "no_proxy": ""},
        )
    feeds = stats["feeds"]
    assert f"{proxy}/feed.xml" in hits  # the crawl did go through the proxy
    assert not [h for h in hits if "hidden" in h], hits
    assert feeds["reprint/skipped/private_address"] == 3
    assert feeds["reprint/errors/dns"] == 1  # intranet.invalid: not resolvable here
