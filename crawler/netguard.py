"""Keep crawls on the public internet: no requests to loopback, private, link-local or
otherwise non-public addresses unless the host is explicitly allowed (REPRINT_ALLOW_HOSTS,
`reprint crawl --allow-host`).

A feed or page can link anywhere, including to an intranet or a cloud metadata address
(169.254.169.254); a crawler that follows such links is a server-side request forgery
tool. Two checks cover both ways a host is given: IP literals and "localhost" names are
refused by a downloader middleware before any connection; host names are checked by the
DNS resolver on the address they resolve to (so a public name pointing at 127.0.0.1 is
refused too).

Only http(s) URLs with a host are fetched at all. Robots.txt files, sitemaps and pages
name URLs of any scheme: a file: URL would read the crawling machine's own files (an
endless device file too, as DOWNLOAD_MAXSIZE does not bound them), ftp: and s3: reach
hosts by other protocols, and a URL without a host has no address to check. The same
middleware refuses those, before the other checks; the settings also turn off their
download handlers, so a request that got past it would still not be fetched.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy import Request
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

LOCAL_NAMES = ("localhost", "localhost.localdomain")
WEB_SCHEMES = frozenset({"http", "https"})
# How a refused scheme or missing host starts its IgnoreRequest message; the spiders'
# errback counts it by this prefix (reprint/skipped/not_http_url).
NOT_HTTP_URL = "not an http(s) URL"


class BlockedAddress(DNSLookupError):
    """A host name resolved to an address the crawl may not reach."""


def allowed_hosts(crawler: Crawler) -> frozenset[str]:
    """REPRINT_ALLOW_HOSTS as a set of lowercase host names / IP addresses."""
    return frozenset(
        h.strip().lower() for h in crawler.settings.getlist("REPRINT_ALLOW_HOSTS") if h.strip()
    )


def is_public_ip(address: str) -> bool:
    """True for a globally routable unicast address; False for loopback, private,
    link-local, shared (CGNAT), multicast, reserved and unspecified ones."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def blocked_reason(host: str, allowed: Iterable[str]) -> str | None:
    """Why a request to ``host`` (a name or an IP literal) must not be made, or None."""
    host = host.lower().strip("[]")
    if host in allowed:
        return None
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return f"private address {host}: a local name"
    try:
        public = is_public_ip(host)
    except ValueError:
        return None  # a name: the resolver checks its address
    return None if public else f"private address {host}: not a public IP"


class PrivateAddressGuardMiddleware:
    """Refuse requests that are not http(s) with a host, and those whose host is a
    non-public IP literal or a local name."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuardMiddleware:
        return cls(allowed_hosts(crawler))

    def process_request(self, request: Request) -> None:
        url = urlparse_cached(request)
        host = url.hostname or ""
        if url.scheme not in WEB_SCHEMES or not host:
            raise IgnoreRequest(f"{NOT_HTTP_URL} ({url.scheme or 'no'} scheme, host {host!r})")
        reason = blocked_reason(host, self.allowed)
        if reason:
            raise IgnoreRequest(f"{reason} (allow it with --allow-host {host})")


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to non-public addresses."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> PublicOnlyResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allowed = allowed_hosts(crawler)
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._check, name)
        return deferred

    def _check(self, address: str, name: str) -> str:
        if name.lower() in self.allowed or address in self.allowed or is_public_ip(address):
            return address
        raise BlockedAddress(
            f"{name} resolves to non-public address {address} (allow it with --allow-host {name})"
        )
