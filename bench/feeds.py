"""reprint's feed and sitemap parsers beside the peers that define the job (issue 13).

    python -m bench.feeds feedparser DIR   # DIR: a checkout of feedparser's repository
    python -m bench.feeds sitemaps DIR     # DIR: a checkout of ultimate-sitemap-parser's
    python -m bench.feeds dates DIR        # DIR: feedparser's checkout, its date cases
    python -m bench.feeds memory [--mb 50] [--kind sitemap|feed]  # peak memory, big document

``feedparser``: every ``*.xml`` under DIR/tests (feedparser's own test feeds: RSS 0.9x to
2.0, RSS 1.0, Atom 0.3/1.0, CDF, well- and ill-formed, encodings, entities) and the JSON
feeds under DIR/tests/json are parsed by feedparser and by reprint's ``parse_feed`` from
the same bytes, with the HTTP headers a test file declares in its comments ("Header:
Content-type: ...") given to both. Entries are matched by link: an entry of feedparser
with an http(s) link is *compared*; it *agrees on link* when reprint has an entry with
that URL (feedparser's link passed through reprint's own URL rule first, so only the
choice of link counts, not URL normalisation); title, date (both to UTC) and author are
then compared on the matched entries.

``sitemaps``: ultimate-sitemap-parser's tests define the documents they serve in their
code (``requests_mock`` registrations); each test module is run with a recording stand-in
for that fixture, so every document of every test is collected, then parsed by
ultimate-sitemap-parser (``sitemap_from_str``) and by reprint's ``parse_sitemap``;
documents agree when both find the same page (or sub-sitemap) URLs.

Needs the ``bench`` extra (``pip install -e '.[bench]'``); no network: the peers'
checkouts are read from disk. Not run in CI (tests/test_feedparse.py,
tests/test_sitemapparse.py and tests/test_syndication_crawl.py keep small cases written
here). Prints markdown tables; ``--details FILE`` writes every disagreement as JSON lines.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import importlib.util
import json
import re
import resource
import subprocess
import sys
import time
import types
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.dates import as_utc
from archive.sanitize import http_url
from crawler.feedparse import FeedError, html_to_text, parse_feed
from crawler.sitemapparse import SitemapError, parse_sitemap, sitemap_urls_from_robots

_HEADER = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
_EXPECT = re.compile(r"Expect:\s*(.*?)\s*-->", re.DOTALL)
BASE = "http://feeds.example.com/"
# Where reprint differs from feedparser on purpose (BENCHMARKS.md says why).
DELIBERATE = {
    "id as link": "feedparser takes an entry's atom:id as its link when it has none",
    "content-location": "feedparser resolves links against the Content-Location header",
    "inherited author": "reprint gives an Atom entry without <author> the feed's (RFC 4287)",
}


@dataclass
class Tally:
    """Counts of one comparison: how many compared, how many agreed."""

    compared: int = 0
    agreed: int = 0
    deliberate: int = 0  # differences by design (see DELIBERATE)

    def add(self, agree: bool, deliberate: bool = False) -> None:
        self.compared += 1
        self.agreed += agree
        self.deliberate += not agree and deliberate

    def cell(self) -> str:
        if not self.compared:
            return "-"
        cell = f"{self.agreed}/{self.compared} ({100 * self.agreed / self.compared:.1f}%)"
        if self.deliberate:
            by_design = self.agreed + self.deliberate
            cell += f"; {100 * by_design / self.compared:.1f}% with {self.deliberate} by design"
        return cell


@dataclass
class FeedReport:
    files: int = 0
    reprint_errors: int = 0
    linkless: int = 0  # feedparser's entries without an http(s) link: nothing to fetch
    reprint_only: int = 0  # reprint's entries whose URL is no feedparser entry's link
    links: Tally = field(default_factory=Tally)
    titles: Tally = field(default_factory=Tally)
    dates: Tally = field(default_factory=Tally)
    authors: Tally = field(default_factory=Tally)
    by_group: dict[str, Tally] = field(default_factory=dict)


def _collapse(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None


def _fp_utc(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(calendar.timegm(parsed)))
    return None


def _reprint_utc(value: str | None) -> str | None:
    parsed = as_utc(value)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S") if parsed else None


def _fp_author_forms(entry: Any) -> set[str | None]:
    names = [a.get("name") or a.get("email") for a in entry.get("authors", []) if a]
    forms: set[str | None] = {_collapse(", ".join(n for n in names if n))}
    detail = entry.get("author_detail") or {}
    forms.add(_collapse(detail.get("name")))
    forms.add(_collapse(entry.get("author")))
    return forms


def _fp_title_forms(entry: Any) -> set[str | None]:
    title = entry.get("title")
    return {_collapse(title), html_to_text(title) if title else None}


def _headers(text: str) -> dict[str, str]:
    return {k.strip().lower(): v.strip() for k, v in _HEADER.findall(text)}


def _passes_own_test(text: str, result: Any) -> bool:
    """Whether feedparser passes the test the file states ("Expect: ..."): where it does
    not, it is not the bar."""
    import datetime

    expect = _EXPECT.search(text)
    if expect is None:
        return True
    try:
        # the peer's own test expression, from its own test file
        return bool(eval(expect.group(1).strip(), {"datetime": datetime}, result))
    except Exception:
        return False


def _deliberate_link(fp_entry: Any, link: str, url: str, headers: dict[str, str]) -> str | None:
    if http_url(fp_entry.get("id"), url) == link and not any(
        item.get("rel") == "alternate" and item.get("href") for item in fp_entry.get("links", [])
    ):
        return "id as link"
    if "content-location" in headers:
        return "content-location"
    return None


def _deliberate_author(fp: Any, mine: str | None) -> str | None:
    feed_author = _collapse((fp.feed.get("author_detail") or {}).get("name"))
    return "inherited author" if mine is not None and mine == feed_author else None


def compare_feeds(root: Path, details: list[dict[str, Any]]) -> dict[str, FeedReport]:
    """Run feedparser and reprint over feedparser's test feeds (see the module doc): the
    reports of all files and of those whose own test feedparser passes."""
    import feedparser  # the bench extra

    reports = {"all files": FeedReport(), "feedparser passes its test": FeedReport()}
    files = sorted(root.glob("tests/**/*.xml")) + sorted(root.glob("tests/json/*.json"))
    for path in files:
        body = path.read_bytes()
        rel = str(path.relative_to(root))
        url = BASE + rel
        text = body.decode("utf-8", errors="ignore")
        headers = _headers(text)
        # feedparser's own tests serve the files as XML of the declared encoding, with
        # the headers the file names; Content-Location gives relative links their base
        served = {"content-type": "application/xml", "content-location": url, **headers}
        fp = feedparser.parse(body, response_headers=served)
        scope = [reports["all files"]]
        if _passes_own_test(text, fp):
            scope.append(reports["feedparser passes its test"])
        error = None
        try:
            feed = parse_feed(body, url, content_type=headers.get("content-type"))
            ours = {e.url: e for e in feed.entries}
        except FeedError as exc:
            ours, error = {}, str(exc)
        for report in scope:
            report.files += 1
            report.reprint_errors += error is not None
        group = rel.split("/")[1] if path.suffix == ".xml" else "json"
        their_links = {http_url(e.get("link"), url) for e in fp.entries}
        for report in scope:
            report.reprint_only += len(set(ours) - their_links)
        for fp_entry in fp.entries:
            link = http_url(fp_entry.get("link"), url)
            if link is None:
                for report in scope:
                    report.linkless += 1
                continue
            entry = ours.get(link)
            reason = None
            if entry is None:
                reason = _deliberate_link(fp_entry, link, url, headers)
            for report in scope:
                report.links.add(entry is not None, reason is not None)
                report.by_group.setdefault(group, Tally()).add(entry is not None)
            found = {"file": rel, "feedparser_passes": len(scope) > 1}
            if entry is None:
                details.append(
                    found
                    | {"field": "link", "feedparser": link, "reprint": sorted(ours)}
                    | {"error": error, "by_design": reason}
                )
                continue
            checks = (
                ("title", _fp_title_forms(fp_entry), entry.title),
                ("date", {_fp_utc(fp_entry)}, _reprint_utc(entry.published)),
                ("author", _fp_author_forms(fp_entry), _collapse(entry.author)),
            )
            for name, theirs, mine in checks:
                if theirs == {None} and mine is None:
                    continue  # neither has one: nothing to compare
                agree = mine in theirs
                reason = None
                if name == "author" and theirs == {None}:
                    reason = _deliberate_author(fp, mine)
                for report in scope:
                    getattr(report, f"{name}s").add(agree, reason is not None)
                if not agree:
                    theirs_seen = sorted(str(t) for t in theirs if t is not None)
                    details.append(
                        found
                        | {"field": name, "feedparser": theirs_seen, "reprint": mine}
                        | {"by_design": reason}
                    )
    return reports


def print_feed_reports(reports: dict[str, FeedReport]) -> None:
    print(
        "| files | count | reprint refused | entries compared | links | titles "
        "| dates (UTC) | authors |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for scope, report in reports.items():
        print(
            f"| {scope} | {report.files} | {report.reprint_errors} | {report.links.compared} "
            f"| {report.links.cell()} | {report.titles.cell()} | {report.dates.cell()} "
            f"| {report.authors.cell()} |"
        )
    print()
    for scope, report in reports.items():
        print(
            f"{scope}: feedparser's entries without an http(s) link {report.linkless}; "
            f"reprint's entries at a URL no feedparser entry links to {report.reprint_only}"
        )
    print()
    print("| group (all files) | links agreeing |")
    print("| --- | --- |")
    for group, tally in sorted(reports["all files"].by_group.items()):
        print(f"| {group} | {tally.cell()} |")


# --- ultimate-sitemap-parser ------------------------------------------------------------


@dataclass
class Document:
    url: str
    body: bytes


class _RecordingMock:
    """Stands in for the ``requests_mock`` fixture: records what a test would serve."""

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents

    def get(self, url: str, **kwargs: Any) -> None:
        body = kwargs.get("content")
        if body is None:
            body = (kwargs.get("text") or "").encode("utf-8")
        if kwargs.get("status_code", 200) < 300 and body:
            self.documents.append(Document(url, body))

    def head(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def add_matcher(self, *_args: Any, **_kwargs: Any) -> None:
        pass


def collect_usp_documents(root: Path) -> list[Document]:
    """Every document ultimate-sitemap-parser's tree tests serve, by running each test
    function with a recording ``requests_mock`` (the tests' assertions fail, which is
    expected: only the registrations are wanted)."""
    documents: list[Document] = []
    # The tests import requests_mock for a helper the recording never calls, and their
    # package is named "tests" like this project's.
    stub = types.ModuleType("requests_mock")
    stub.create_response = lambda *_args, **_kwargs: None  # type: ignore[attr-defined]
    sys.modules.setdefault("requests_mock", stub)
    for name in [n for n in sys.modules if n == "tests" or n.startswith("tests.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        for path in sorted((root / "tests" / "tree").glob("test_*.py")):
            spec = importlib.util.spec_from_file_location(f"usp_tests.{path.stem}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            for cls in [v for v in vars(module).values() if isinstance(v, type)]:
                for name in [n for n in dir(cls) if n.startswith("test_")]:
                    _run_recording(getattr(cls(), name), documents)
    finally:
        sys.path.remove(str(root))
    return documents


def _run_recording(test: Any, documents: list[Document]) -> None:
    import inspect

    params = inspect.signature(test).parameters
    kwargs: dict[str, Any] = {}
    for name in params:
        if name == "requests_mock":
            kwargs[name] = _RecordingMock(documents)
        else:
            return  # a test needing other fixtures serves nothing we need
    # the test's own assertions and fetches fail: only its registrations are wanted
    with contextlib.suppress(Exception):
        test(**kwargs)


Fields = dict[str, tuple[str | None, str | None, str | None]]


def _utc(value: Any) -> str | None:
    parsed = as_utc(value)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S") if parsed else None


def _usp_fields(sitemap: Any) -> Fields:
    """Per page URL: lastmod, news title and news publication date (UTC) as usp reads them."""
    fields: Fields = {}
    for page in getattr(sitemap, "pages", []):
        story = page.news_story
        fields[page.url] = (
            _utc(page.last_modified),
            story.title if story else None,
            _utc(story.publish_date) if story else None,
        )
    return fields


def _usp_urls(body: bytes, url: str) -> tuple[str, set[str]] | None:
    """What ultimate-sitemap-parser reads in a document: its kind, and its page (or
    sub-sitemap) URLs; None when it reads nothing."""
    from usp.fetch_parse import IndexRobotsTxtSitemapParser
    from usp.tree import sitemap_from_str

    if body.startswith(b"\x1f\x8b"):
        # usp gunzips what it fetches before parsing, tolerating a cut-off stream
        body = zlib.decompressobj(wbits=31).decompress(body)
    text = body.decode("utf-8", errors="replace")
    if url.endswith("/robots.txt"):
        named: list[str] = []

        def keep(urls: list[str], _level: int, _parents: set[str]) -> list[str]:
            named.extend(urls)
            return []  # fetch none of them

        IndexRobotsTxtSitemapParser(
            url=url,
            content=text,
            recursion_level=0,
            web_client=None,  # type: ignore[arg-type]
            parent_urls=set(),
            recurse_list_callback=keep,
        ).sitemap()
        return "IndexRobotsTxtSitemap", set(named)
    try:
        sitemap = sitemap_from_str(text)
    except Exception:
        return None
    urls = {page.url for page in getattr(sitemap, "pages", [])}
    urls |= {sub.url for sub in getattr(sitemap, "sub_sitemaps", [])}
    _FIELDS_SEEN.update(_usp_fields(sitemap))
    return type(sitemap).__name__, urls


# usp's fields of the document being compared (set by _usp_urls, read by compare_sitemaps)
_FIELDS_SEEN: Fields = {}


def _reprint_urls(document: Document) -> tuple[set[str], Fields, str | None]:
    if document.url.endswith("/robots.txt"):
        named = sitemap_urls_from_robots(document.body)
        return {u for u in (http_url(n, document.url) for n in named) if u}, {}, None
    try:
        sitemap = parse_sitemap(document.body, document.url)
    except SitemapError as exc:
        return set(), {}, str(exc)
    fields = {
        e.loc: (_utc(e.lastmod), e.news_title, _utc(e.news_published)) for e in sitemap.entries
    }
    return {e.loc for e in sitemap.entries}, fields, None


def compare_sitemaps(root: Path, details: list[dict[str, Any]]) -> dict[str, Tally]:
    """Run ultimate-sitemap-parser and reprint over the documents its tests serve: every
    distinct document but the homepages (plain text that neither reads as a sitemap)."""
    documents = collect_usp_documents(root)
    unique = {d.body: d for d in documents if not d.url.endswith("/")}.values()
    documents_tally, urls_tally, fields_tally = Tally(), Tally(), Tally()
    kinds: Counter[str] = Counter()
    for document in unique:
        _FIELDS_SEEN.clear()
        theirs = _usp_urls(document.body, document.url)
        their_urls = theirs[1] if theirs else set()
        ours, our_fields, error = _reprint_urls(document)
        for url, their_fields in _FIELDS_SEEN.items():
            if url in our_fields and any(their_fields):
                # lastmod and news fields of RSS/Atom sitemaps: usp fills lastmod from
                # the entry's date, reprint keeps it as lastmod too
                fields_tally.add(our_fields[url] == their_fields)
                if our_fields[url] != their_fields:
                    details.append(
                        {"document": document.url, "page": url}
                        | {"usp": their_fields, "reprint": our_fields[url]}
                    )
        kinds[theirs[0] if theirs else "unread by usp"] += 1
        agree = ours == their_urls
        documents_tally.add(agree)
        for url in their_urls:
            urls_tally.add(url in ours)
        if not agree:
            details.append(
                {
                    "document": document.url,
                    "usp_kind": theirs[0] if theirs else None,
                    "only_usp": sorted(their_urls - ours),
                    "only_reprint": sorted(ours - their_urls),
                    "error": error,
                }
            )
    print(f"documents by usp's reading: {dict(sorted(kinds.items()))}")
    print()
    return {"documents": documents_tally, "urls": urls_tally, "fields": fields_tally}


# --- feedparser's date unit cases ---------------------------------------------------------


def compare_date_cases(root: Path, details: list[dict[str, Any]]) -> Tally:
    """archive.dates over the cases of feedparser's tests/test_date_parsers.py: a case
    agrees when reprint reads the same UTC time (or, like feedparser, nothing)."""
    import ast

    tree = ast.parse((root / "tests" / "test_date_parsers.py").read_text(encoding="utf-8"))
    tally = Tally()
    for node in ast.walk(tree):
        is_cases = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "parametrize"
            and "input_value" in ast.literal_eval(node.args[0])
        )
        if not is_cases:
            continue
        assert isinstance(node, ast.Call) and isinstance(node.args[1], ast.Tuple | ast.List)
        for case in node.args[1].elts:
            assert isinstance(case, ast.Tuple)
            parser = ast.unparse(case.elts[0])
            value, expected = ast.literal_eval(case.elts[1]), ast.literal_eval(case.elts[2])
            parsed = as_utc(value) if value else None
            got = tuple(parsed.utctimetuple()) if parsed else None
            tally.add(got == expected)
            if got != expected:
                details.append({"parser": parser, "value": value, "feedparser": expected})
    return tally


# --- memory -----------------------------------------------------------------------------


def _sitemap_of(size_bytes: int) -> bytes:
    one = (
        "<url><loc>https://pub.example/news/2024/05/14/story-{n:08d}</loc>"
        "<lastmod>2024-05-14T18:30:00+00:00</lastmod><news:news><news:title>Story {n}"
        "</news:title><news:publication_date>2024-05-14</news:publication_date></news:news>"
        "</url>\n"
    )
    count = size_bytes // len(one.format(n=0))
    urls = "".join(one.format(n=n) for n in range(count))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset '
        'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{urls}</urlset>\n"
    ).encode()


def _feed_of(size_bytes: int) -> bytes:
    one = (
        "<item><title>Story {n}</title><link>https://pub.example/news/story-{n:08d}</link>"
        "<pubDate>Tue, 14 May 2024 18:30:00 GMT</pubDate><dc:creator>Ada Brook</dc:creator>"
        "<description>&lt;p&gt;The story {n} in a few words.&lt;/p&gt;</description></item>\n"
    )
    count = size_bytes // len(one.format(n=0))
    items = "".join(one.format(n=n) for n in range(count))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Pub</title>\n'
        f"{items}</channel></rss>\n"
    ).encode()


def measure_memory(megabytes: int, kind: str) -> dict[str, float]:
    """In this process: RSS with the document's bytes in memory, then peak RSS while
    ``parse_sitemap`` (or ``parse_feed``) reads them (MiB)."""
    size = megabytes * 1024 * 1024
    body = _feed_of(size) if kind == "feed" else _sitemap_of(size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    if kind == "feed":
        parsed: Any = parse_feed(body, "https://pub.example/rss.xml")
    else:
        parsed = parse_sitemap(body, "https://pub.example/sitemap.xml", max_bytes=len(body))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "body_mib": len(body) / 1024 / 1024,
        "urls": len(parsed.entries),
        "rss_with_body_mib": before,
        "peak_rss_mib": peak,
        "parse_extra_mib": peak - before,
        "seconds": seconds,
    }


MEMORY_CHILD = (sys.executable, "-m", "bench.feeds", "memory")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("feedparser", "sitemaps", "dates"):
        command = sub.add_parser(name)
        command.add_argument("checkout", type=Path, help="the peer's repository checkout")
        command.add_argument("--details", type=Path, help="write disagreements (JSON lines)")
    memory = sub.add_parser("memory")
    memory.add_argument("--mb", type=int, default=50)
    memory.add_argument("--kind", choices=("sitemap", "feed"), default="sitemap")
    memory.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "memory":
        if args.child:
            print(json.dumps(measure_memory(args.mb, args.kind)))
            return 0
        # a fresh process, so that peak RSS is this parse's alone
        out = subprocess.run(
            [*MEMORY_CHILD, "--mb", str(args.mb), "--kind", args.kind, "--child"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out)
        print(
            f"| {args.kind} | URLs | RSS with its bytes | peak RSS parsing | parse adds | seconds |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        print(
            f"| {result['body_mib']:.0f} MiB | {result['urls']} "
            f"| {result['rss_with_body_mib']:.0f} MiB | {result['peak_rss_mib']:.0f} MiB "
            f"| {result['parse_extra_mib']:.0f} MiB | {result['seconds']:.1f} |"
        )
        return 0
    details: list[dict[str, Any]] = []
    if args.command == "feedparser":
        print_feed_reports(compare_feeds(args.checkout, details))
    elif args.command == "dates":
        tally = compare_date_cases(args.checkout, details)
        print(f"feedparser's date unit cases read alike by archive.dates: {tally.cell()}")
    else:
        tallies = compare_sitemaps(args.checkout, details)
        print(
            "| documents compared | documents agreeing | URLs (usp's) found by reprint "
            "| pages with lastmod/news: all three agreeing |"
        )
        print("| --- | --- | --- | --- |")
        print(
            f"| {tallies['documents'].compared} | {tallies['documents'].cell()} "
            f"| {tallies['urls'].cell()} | {tallies['fields'].cell()} |"
        )
    if args.details:
        args.details.write_text("".join(json.dumps(d) + "\n" for d in details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
