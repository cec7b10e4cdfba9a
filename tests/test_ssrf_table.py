"""The crawl's SSRF table: every private-address form (tests/ssrf_forms.py) through every
way a remote document can make a crawl fetch a URL, in real `reprint crawl` runs.

The legitimate documents (feeds, sitemaps, robots.txt, pages) are served on 127.0.0.2,
the one host the crawl is allowed (``--allow-host 127.0.0.2``); every form points at a
recorder on 127.0.0.1 and [::1] (or at an address that leads nowhere here), which no
allowance covers. One crawl per document kind lists every form at once; each URL carries
a token ``ssrf.<path>.<form>.``, and the crawl's log, the recorder, the document server
(also the proxy) and the archive tell what became of each one: a cell passes when its
URL was refused (and counted) or never requested, as the table below expects, and
nothing reached the recorder.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner

from crawler.cli import cli

from .conftest import http_server, run_crawl
from .ssrf_forms import NON_HTTP_URLS, PRIVATE_HOSTS, hosts_file_names, loopback_recorder

if TYPE_CHECKING:
    import http.server
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from .ssrf_forms import Recorder


pytestmark = pytest.mark.slow  # real crawls, servers or processes
# the documents' host: the allowed one, a loopback address no form denotes
DOCS_HOST = "127.0.0.2"

# what became of one URL
REFUSED_PRIVATE = "refused: private address"  # by the guard or resolver, counted
REFUSED_SCHEME = "refused: not http(s)"  # by the guard or the robots.txt parser, counted
REFUSED_READING = "refused reading the sources"  # `reprint crawl` stops before crawling
NOT_REQUESTED = "never requested"  # dropped by a parser, the site spider or Scrapy
HIT = "HIT"


@dataclass(frozen=True)
class Form:
    name: str
    private_host: bool  # True: an http URL on a private host; False: a non-http(s) URL
    template: str

    def url(self, token: str, port: int, local_file: Path) -> str:
        if self.private_host:
            return f"http://{self.template.format(port=port)}/{token}"
        return self.template.format(port=port, file=local_file, token=token)


FORMS = [
    *(Form(name, True, netloc) for name, netloc in PRIVATE_HOSTS),
    # public-looking names mapped to loopback by this machine's hosts file, if any
    *(Form(f"hosts-file-{n}", True, n + ":{port}") for n in hosts_file_names()),
    *(Form(name, False, url) for name, url in NON_HTTP_URLS),
]


def token(path: str, form: Form) -> str:
    return f"ssrf.{path}.{form.name}."


# Where a remote document (or an operator's list) names a URL the crawl then fetches.
# Delivery path -> what becomes of a non-http(s) URL there (private hosts: refused).
PATHS: dict[str, str] = {
    "command-line": REFUSED_READING,  # --feed/--sitemap/--crawl-site
    "sources-toml": REFUSED_READING,  # [[source]] feed/sitemap/site
    "site-section": REFUSED_SCHEME,  # a sources.toml site's sections
    "feed-link": NOT_REQUESTED,  # an RSS item's <link>: the feed parser keeps http(s)
    "redirect": NOT_REQUESTED,  # a 302 from an allowed page: Scrapy keeps the 302
    "meta-refresh": NOT_REQUESTED,  # from an allowed page: Scrapy keeps the page
    "robots-sitemap": REFUSED_SCHEME,  # a robots.txt Sitemap: line
    "index-child": NOT_REQUESTED,  # a sitemap index's <sitemap><loc>
    "sitemap-loc": NOT_REQUESTED,  # a urlset's <url><loc>
    "site-link": NOT_REQUESTED,  # a link on a site page: another host, never followed
    "site-link-redirect": NOT_REQUESTED,  # a same-site link answering 302
    "proxy-feed-link": NOT_REQUESTED,  # an RSS <link> with http_proxy set
}


def expected(path: str, form: Form) -> str:
    if not form.private_host:
        return PATHS[path]
    return NOT_REQUESTED if path == "site-link" else REFUSED_PRIVATE


@dataclass
class Docs:
    """The documents of one crawl, served on DOCS_HOST; every request line is kept (as
    the proxy of a proxied crawl, it sees the URL of every request sent through it)."""

    base: str = ""
    routes: dict[str, tuple[int, dict[str, str], str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add(self, path: str, body: str = "", status: int = 200, **headers: str) -> str:
        self.routes[path] = (status, headers, body)
        return self.base + path

    def handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        self.requests.append(request.path)
        status, headers, body = self.routes.get(urlsplit(request.path).path, (404, {}, ""))
        request.send_response(status)
        for name, value in headers.items():
            # a Location may hold any character: sent as UTF-8 bytes, as servers do
            request.send_header(name, value.encode().decode("latin-1"))
        request.end_headers()
        request.wfile.write(body.encode())


def rss(links: list[str]) -> str:
    items = "".join(
        f"<item><title>Entry {i}</title><link>{escape(link)}</link></item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def refresh_page(url: str) -> str:
    return (
        f'<html><head><meta http-equiv="refresh" content="0;url={html.escape(url)}">'
        "</head><body><p>Moved.</p></body></html>"
    )


XML = {"Content-Type": "application/xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# each kind of source in turn, so that every spider's own start requests are covered
SOURCE_KINDS = ("feed", "sitemap", "site")

# path -> {form: URL} of the forms a crawl plan lists there
Targets = dict[str, dict[Form, str]]


@dataclass
class Plan:
    """One crawl: its arguments and environment."""

    args: list[str]
    env: dict[str, str] | None = None


# the `reprint crawl` option of each source kind (--site is a host filter there)
CRAWL_OPTION = {"feed": "--feed", "sitemap": "--sitemap", "site": "--crawl-site"}


def plan_command_line(docs: Docs, targets: Targets, tmp: Path) -> Plan:
    # an allowed feed of no entries beside them: the crawl fetches something, exits 0
    args = ["--feed", docs.add("/empty.xml", rss([]), **XML)]
    for i, (form, url) in enumerate(targets["command-line"].items()):
        if form.private_host:
            args += [CRAWL_OPTION[SOURCE_KINDS[i % 3]], url]
    return Plan(args)


def plan_sources_toml(docs: Docs, targets: Targets, tmp: Path) -> Plan:
    tables = [
        f'[[source]]\nname = "{form.name}"\n{SOURCE_KINDS[i % 3]} = {json.dumps(url)}\n'
        for i, (form, url) in enumerate(targets["sources-toml"].items())
        if form.private_host
    ]
    sections = json.dumps(list(targets["site-section"].values()), ensure_ascii=False)
    start = docs.add("/", "<html><body><p>Front page</p></body></html>", **HTML)
    tables.append(f'[[source]]\nname = "docs"\nsite = "{start}"\nsections = {sections}\n')
    sources = tmp / "sources.toml"
    sources.write_text("\n".join(tables), encoding="utf-8")
    return Plan(["--sources", str(sources)])


def plan_feed(docs: Docs, targets: Targets, tmp: Path) -> Plan:
    links = list(targets["feed-link"].values())
    for i, url in enumerate(targets["redirect"].values()):
        links.append(docs.add(f"/redirect-{i}", status=302, Location=url))
    for i, url in enumerate(targets["meta-refresh"].values()):
        links.append(docs.add(f"/refresh-{i}", refresh_page(url), **HTML))
    feed = docs.add("/feed.xml", rss(links), **XML)
    return Plan(["--feed", feed])


def plan_sitemaps(docs: Docs, targets: Targets, tmp: Path) -> Plan:
    urlset = "".join(f"<url><loc>{escape(u)}</loc></url>" for u in targets["sitemap-loc"].values())
    urlset_url = docs.add("/urlset.xml", f'<urlset xmlns="{SITEMAP_NS}">{urlset}</urlset>', **XML)
    children = [*targets["index-child"].values(), urlset_url]
    index = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in children)
    index_url = docs.add(
        "/index.xml", f'<sitemapindex xmlns="{SITEMAP_NS}">{index}</sitemapindex>', **XML
    )
    named = [*targets["robots-sitemap"].values(), index_url]
    robots = "User-agent: *\nAllow: /\n" + "".join(f"Sitemap: {u}\n" for u in named)
    return Plan(["--sitemap", docs.add("/robots.txt", robots)])


def plan_site(docs: Docs, targets: Targets, tmp: Path) -> Plan:
    links = list(targets["site-link"].values())
    for i, url in enumerate(targets["site-link-redirect"].values()):
        links.append(docs.add(f"/go-{i}", status=302, Location=url))
    anchors = "".join(
        f'<li><a href="{html.escape(u)}">link {i}</a></li>' for i, u in enumerate(links)
    )
    start = docs.add("/", f"<html><body><ul>{anchors}</ul></body></html>", **HTML)
    return Plan(["--crawl-site", start])


def plan_proxy(docs: Docs, targets: Targets, tmp: Path) -> Plan:
    feed = docs.add("/feed.xml", rss(list(targets["proxy-feed-link"].values())), **XML)
    # the document server is the proxy too: it sees the URL of every request sent to it
    proxy = {"http_proxy": docs.base, "https_proxy": docs.base, "no_proxy": "", "NO_PROXY": ""}
    return Plan(["--feed", feed], env=proxy)


# crawl -> (the paths it delivers every form by, what builds its documents and arguments)
PLANS: dict[str, tuple[tuple[str, ...], Callable[[Docs, Targets, Path], Plan]]] = {
    "command-line": (("command-line",), plan_command_line),
    "sources-toml": (("sources-toml", "site-section"), plan_sources_toml),
    "feed": (("feed-link", "redirect", "meta-refresh"), plan_feed),
    "sitemaps": (("robots-sitemap", "index-child", "sitemap-loc"), plan_sitemaps),
    "site": (("site-link", "site-link-redirect"), plan_site),
    "proxy": (("proxy-feed-link",), plan_proxy),
}


def reading_outcome(path: str, url: str, tmp: Path) -> str:
    """What `reprint crawl` does with a non-http(s) source, given on the command line or
    in sources.toml: it refuses to start (in this process; nothing is fetched)."""
    if path == "command-line":
        args = ["--feed", url]
    else:
        sources = tmp / "bad-sources.toml"
        sources.write_text(f"[[source]]\nfeed = {json.dumps(url)}\n", encoding="utf-8")
        args = ["--sources", str(sources)]
    result = CliRunner().invoke(cli, ["crawl", "--db", str(tmp / "never.db"), *args])
    if result.exit_code == 2 and "not an http(s) URL" in result.output:  # a usage error
        return REFUSED_READING
    return f"other: exit {result.exit_code}: {result.output.strip()[-300:]}"


def logged_outcome(lines: list[str]) -> str:
    """What the crawl's log says of one URL (the lines naming its token)."""
    if not lines:
        return NOT_REQUESTED
    said = set()
    for line in lines:
        if "private address" in line:
            said.add(REFUSED_PRIVATE)
        elif "not an http(s) URL" in line or "non-http(s) sitemap" in line:
            said.add(REFUSED_SCHEME)
        else:
            said.add(f"other: {line[-300:]}")
    return " / ".join(sorted(said))


@pytest.fixture
def local_file(tmp_path: Path) -> Path:
    """A local file a file: URL names: reading it would store its secret."""
    secret = tmp_path / "secret.html"
    secret.write_text("<html><body><p>LOCAL-SECRET</p></body></html>")
    return secret


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with loopback_recorder() as served:
        yield served


@pytest.mark.parametrize("plan_name", PLANS)
def test_ssrf_table(plan_name: str, recorder: Recorder, local_file: Path, tmp_path: Path) -> None:
    docs = Docs()
    with http_server(docs.handle, host=DOCS_HOST) as base:
        docs.base = base
        paths, build = PLANS[plan_name]
        targets: Targets = {
            path: {f: f.url(token(path, f), recorder.port, local_file) for f in FORMS}
            for path in paths
        }
        plan = build(docs, targets, tmp_path)
        log = tmp_path / "crawl.log"
        stats, db = run_crawl(
            tmp_path / "ssrf.db",
            *plan.args,
            *("-s", "LOG_LEVEL=INFO", "-s", f"LOG_FILE={log}"),
            # only a request the guard let out could wait for these
            *("-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0"),
            allow_host=DOCS_HOST,
            env=plan.env,
            expect_exit=None,  # 0, or 4/5 when refused sources gave nothing: judged below
        )
    log_lines = log.read_text(encoding="utf-8").splitlines()
    archived = [" ".join(map(str, r)) for r in db.execute("SELECT url, requested_url FROM pages")]
    reached = [*recorder.requests, *docs.requests, *archived]
    wrong: list[str] = []
    counted = {REFUSED_PRIVATE: 0, REFUSED_SCHEME: 0}
    for path in paths:
        for form, url in targets[path].items():
            want = expected(path, form)
            mark = token(path, form)
            if [r for r in reached if mark in r]:
                got = HIT
            elif want == REFUSED_READING:
                got = reading_outcome(path, url, tmp_path)
            else:
                got = logged_outcome([line for line in log_lines if mark in line])
            if got != want:
                wrong.append(f"{form.name} via {path}: {got}, expected {want} ({url})")
            counted[want] = counted.get(want, 0) + 1
    assert not wrong, "\n".join(wrong)
    assert recorder.connections == [], recorder.requests
    totals = {
        key: sum(s.get(f"reprint/skipped/{key}", 0) for s in stats.values())
        for key in ("private_address", "not_http_url")
    }
    assert totals == {
        "private_address": counted[REFUSED_PRIVATE],
        "not_http_url": counted[REFUSED_SCHEME],
    }
    pages = " ".join(str(r[0]) for r in db.execute("SELECT text FROM pages"))
    assert "SECRET" not in pages  # neither the recorder's nor the local file's


# Other spellings of the allowed address (DOCS_HOST): the allowance is of an address, so
# every spelling that resolves to it is allowed too (the guard compares the addresses a
# name resolves to); an IP literal is compared as written, so the IPv4-mapped IPv6
# address, another address to the policy, stays refused (the safe side) unless allowed.
ALLOWED_SPELLINGS = {
    "as-allowed": ("127.0.0.2", True),
    "decimal": ("2130706434", True),
    "hex": ("0x7f000002", True),
    "octal": ("0177.0.0.2", True),
    "short": ("127.2", True),
    "fullwidth-digits": ("１２７.０.０.２", True),  # read as 127.0.0.2
    "v4-mapped": ("[::ffff:127.0.0.2]", False),
}


def test_allowed_address_in_other_spellings(tmp_path: Path) -> None:
    docs = Docs()
    with http_server(docs.handle, host=DOCS_HOST) as base:
        docs.base = base
        docs.add("/empty.xml", rss([]), **XML)
        port = urlsplit(base).port
        feeds = [
            f"http://{host}:{port}/empty.xml?{name}"
            for name, (host, _) in ALLOWED_SPELLINGS.items()
        ]
        stats, _ = run_crawl(
            tmp_path / "a.db",
            *(a for f in feeds for a in ("--feed", f)),
            allow_host=DOCS_HOST,
            expect_exit=5,  # the refused spellings are sources that gave nothing
        )
    fetched = {name for name in ALLOWED_SPELLINGS if f"/empty.xml?{name}" in docs.requests}
    assert fetched == {name for name, (_, allowed) in ALLOWED_SPELLINGS.items() if allowed}
    refused = len(ALLOWED_SPELLINGS) - len(fetched)
    assert stats["feeds"]["reprint/skipped/private_address"] == refused
