"""The list of sources to crawl: sources.toml plus ad-hoc URLs."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.errors import ConfigError


@dataclass(frozen=True, slots=True)
class SourceKind:
    """A kind of source and the spider that crawls it.

    The one registry of spiders: sources.toml's keys, `reprint crawl`'s options and the
    crawl runner read it, so a new kind of source is its spider module (whose class says
    ``source_kind = NAME``) and one line in :data:`SOURCE_KINDS`. The spider is named by
    its import path, as Scrapy names components: reading this table imports no Scrapy.
    """

    name: str  # the sources.toml key, and the spider's ``source_kind``
    option: str  # the `reprint crawl` option giving ad-hoc sources of this kind
    help: str
    spider: str  # import path of the spider class


SOURCE_KINDS: tuple[SourceKind, ...] = (
    SourceKind(
        "feed",
        "--feed",
        "Crawl this RSS/Atom/JSON feed (repeatable).",
        "crawler.spiders.feeds.FeedsSpider",
    ),
    SourceKind(
        "sitemap",
        "--sitemap",
        "Crawl this sitemap or robots.txt (repeatable).",
        "crawler.spiders.sitemaps.SitemapsSpider",
    ),
    SourceKind(
        "site",
        "--crawl-site",
        "Crawl this site from this page, following its links (repeatable).",
        "crawler.spiders.site.SiteSpider",
    ),
)
KINDS = tuple(kind.name for kind in SOURCE_KINDS)


class SourcesError(ConfigError):
    """sources.toml is missing, malformed, or names a source badly."""


@dataclass(frozen=True, slots=True)
class Source:
    """One place to crawl: a feed, a sitemap (or robots.txt naming sitemaps), or a site."""

    name: str
    kind: str  # feed | sitemap | site
    url: str
    sections: tuple[str, ...] = field(default=())  # site crawls: section pages to start at


def _check_url(url: object, where: str) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise SourcesError(f"{where}: not an http(s) URL: {url!r}")
    return url


def load_sources(path: str | Path) -> list[Source]:
    """Read sources.toml.

    Each ``[[source]]`` table has a ``name`` and one of ``feed``, ``sitemap`` or ``site``
    (a URL); a site source may list ``sections`` (URLs or paths) to start from.

    :raises SourcesError: the file is unreadable or a source is malformed
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesError(f"sources file not found: {path}") from exc
    except OSError as exc:  # a directory, unreadable
        raise SourcesError(f"cannot read sources file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: {exc}") from exc
    sources = []
    for number, table in enumerate(data.get("source", []), start=1):
        where = f"{path}: source #{number}"
        kinds = [kind for kind in KINDS if kind in table]
        if len(kinds) != 1:
            raise SourcesError(f"{where}: give exactly one of {', '.join(KINDS)}")
        kind = kinds[0]
        url = _check_url(table[kind], where)
        sections = tuple(table.get("sections", ()))
        sources.append(
            Source(name=str(table.get("name", url)), kind=kind, url=url, sections=sections)
        )
    return sources


def adhoc_sources(urls_by_kind: Mapping[str, Iterable[str]]) -> list[Source]:
    """Sources given on the command line: URLs by kind of source (:data:`SOURCE_KINDS`)."""
    out: list[Source] = []
    for kind in SOURCE_KINDS:
        out.extend(
            Source(name=url, kind=kind.name, url=_check_url(url, kind.option))
            for url in urls_by_kind.get(kind.name, ())
        )
    return out
