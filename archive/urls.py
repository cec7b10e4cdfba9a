"""URL normalisation: the key of every page row."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url as _courlan_normalize


def normalize_url(url: str) -> str:
    """Return the form of ``url`` that keys the archive.

    courlan lowercases scheme and host, drops default ports, sorts query parameters and
    strips tracking ones (utm_*, fbclid, ...); we also drop the fragment, which never
    selects a different document on news sites.

    :param url: an absolute http(s) URL
    """
    normalized = _courlan_normalize(url.strip())
    parts = urlsplit(normalized)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def site_of(url: str) -> str:
    """Return the site an URL belongs to: its host (with port when not default), no www."""
    netloc = urlsplit(normalize_url(url)).netloc
    return netloc.removeprefix("www.")
