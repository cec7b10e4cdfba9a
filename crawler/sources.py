"""The list of sources to crawl: sources.toml plus ad-hoc URLs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.errors import ConfigError

KINDS = ("feed", "sitemap", "site")


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


def adhoc_sources(
    feeds: tuple[str, ...] = (), sitemaps: tuple[str, ...] = (), sites: tuple[str, ...] = ()
) -> list[Source]:
    """Sources given on the command line (--feed/--sitemap/--site)."""
    out: list[Source] = []
    for kind, urls in (("feed", feeds), ("sitemap", sitemaps), ("site", sites)):
        out.extend(Source(name=url, kind=kind, url=_check_url(url, f"--{kind}")) for url in urls)
    return out
