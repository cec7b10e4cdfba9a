"""`reprint extract`: one page's article, as crawls extract it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, BinaryIO, NoReturn

import click

from crawler.cli.common import (
    FilePath,
    InputFile,
    _open,
    db_option,
)
from crawler.cli.errors import CommandError, Exit
from crawler.cli.output import json_safe, plain

if TYPE_CHECKING:
    pass


# Exit codes of `reprint extract`
EXIT_NO_ARTICLE = Exit.FAILED
EXIT_UNREADABLE = Exit.USAGE
_GZIP_MAGIC = b"\x1f\x8b"


def _read_input(
    source: BinaryIO | None, url: str | None, allow_host: tuple[str, ...] = ()
) -> tuple[bytes, str | None, str | None]:
    """The document to extract: (body, content type, URL), from a file, stdin or --url.

    :param source: the file given, or None for stdin / --url
    :param url: --url: fetched when no file is given
    :param allow_host: --allow-host: hosts the fetch may reach though not public
    """
    from crawler.fetch_one import BadURL, FetchError, RefusedHost, fetch_page

    if source is None and url:
        try:
            fetched = fetch_page(url, allowed=allow_host)
        except BadURL as exc:
            _fail(EXIT_UNREADABLE, f"bad URL {exc}")
        except RefusedHost as exc:
            _fail(EXIT_UNREADABLE, f"refused {exc}")
        except FetchError as exc:
            _fail(EXIT_UNREADABLE, f"cannot fetch {exc}")
        return fetched.body, fetched.content_type, fetched.url
    name = getattr(source, "name", "stdin")
    try:
        body = (source or sys.stdin.buffer).read()
    except OSError as exc:
        _fail(EXIT_UNREADABLE, f"cannot read {name}: {exc.strerror or exc}")
    if body.startswith(_GZIP_MAGIC):
        import gzip
        import zlib

        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            _fail(EXIT_UNREADABLE, f"cannot read {name}: bad gzip data ({exc})")
    return body, None, url


def _learned_lines(
    archive_path: str, url: str | None, body: bytes, content_type: str | None
) -> frozenset[str]:
    """The boilerplate an archive learned for the page's site."""
    from archive.sitelearn import learned_lines_for_page

    db = _open(archive_path)
    try:
        return learned_lines_for_page(db, body, url, content_type)
    finally:
        db.close()


def _fail(code: Exit, message: str) -> NoReturn:
    raise CommandError(message, code)


@click.command()
@click.argument("source", required=False, metavar="[FILE|-]", type=InputFile("rb"))
@click.option("--url", help="The page's address (site, links, canonical); alone: fetch it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Clean text, or one JSON object with all metadata.",
)
@db_option(None, help="An archive whose learned boilerplate of the page's site applies too.")
# the name --db had before every command said --db
@click.option("--site-context", "site_context", type=FilePath(dir_okay=False), hidden=True)
@click.option(
    "--allow-host",
    multiple=True,
    metavar="HOST",
    help="With --url: allow fetching from this loopback/private host (refused by default).",
)
def extract(
    source: BinaryIO | None,
    url: str | None,
    fmt: str,
    db_path: str | None,
    site_context: str | None,
    allow_host: tuple[str, ...],
) -> None:
    """Extract the clean article text and metadata of one HTML page, exactly as crawls do.

    Reads FILE, or standard input ("-" or no FILE), gzip accepted, any encoding; with
    --url and no FILE, fetches that page under the crawl's network policy: http(s) only,
    no loopback/private/link-local address (on any redirect hop either) unless allowed
    with --allow-host, DOWNLOAD_TIMEOUT seconds for the whole fetch, no proxy.
    Exit status: 0 article printed, 1 the page has no article, 2 the input could not be
    read or is not HTML (a malformed, refused or unfetchable URL included).
    """
    from archive.extract import extract_article

    if source is None and url is None and sys.stdin.isatty():
        raise click.UsageError("give a FILE, - for standard input, or --url")
    body, content_type, page_url = _read_input(source, url, allow_host)
    learned: frozenset[str] = frozenset()
    archive_path = db_path or site_context
    if archive_path:
        learned = _learned_lines(archive_path, page_url, body, content_type)
    # NotHtml (status 2) and NoArticleText (status 1) are the error boundary's to report
    extracted = extract_article(body, page_url, content_type=content_type, site_boilerplate=learned)
    if fmt == "json":
        click.echo(json_safe(extracted.to_json()))
    else:
        click.echo(plain(extracted.text, multiline=True))
