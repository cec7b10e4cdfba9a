"""Keep crawls on the public internet: the network policy of crawler/netpolicy.py applied
to every request a crawl makes (pages, robots.txt, sitemaps, redirects), unless the host
is explicitly allowed (REPRINT_ALLOW_HOSTS, `reprint crawl --allow-host`).

Three checks cover the ways a host is reached:

- a downloader middleware, first of all, refuses URLs that are not http(s) with a host,
  IP literals that are not public and local names, before any connection (the settings
  also turn off the file/s3/ftp/data download handlers, so a request that got past it
  would still not be fetched);
- the middleware then resolves the host itself, without blocking the reactor, and
  refuses it when any of its addresses is not public. Through a proxy (HTTP_PROXY/
  HTTPS_PROXY in the environment, or a request's "proxy" meta) this is the only check:
  the crawl connects to the proxy and the proxy resolves the name. The proxy resolves it
  again when it connects, so a name whose DNS answer changes in between (DNS rebinding)
  can still reach what the proxy can; the proxy's own rules are the last line there. A
  name the crawl cannot resolve itself is not sent to the proxy at all (the proxy may
  resolve intranet names the crawl cannot). Without a proxy it is also what makes a
  refused name count as refused (reprint/skipped/private_address, with its
  --allow-host hint): Twisted reports a resolver's refusal as "no results for hostname
  lookup", indistinguishable from a name that does not exist;
- the DNS resolver refuses names that resolve to a non-public address, at connect time,
  so a name whose DNS answer changed since the middleware's check is refused too, and
  the address connected to is the one checked.

The one exception is the offline demo: with REPRINT_DEMO_WEB set (a setting, so only
`reprint demo` or the operator can set it), a request for a ``NAME.example`` host that
crawler.demo.DemoWebMiddleware sent to that address is not resolved: the demo web's
server answers for those names, and they resolve nowhere else. The resolver then lets
the crawl connect to that server's address as written in the setting (the IP literal
itself, never a name resolving to it); a URL naming that address directly is still
refused by the middleware.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError
from twisted.internet.threads import deferToThread

from crawler.netpolicy import (
    allowed_set,
    blocked_reason,
    is_demo_host,
    is_ip_literal,
    not_http_reason,
    resolved_reason,
    with_allow_hint,
)

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


class BlockedAddress(DNSLookupError):
    """A host name resolved to an address the crawl may not reach."""


def demo_web_host(crawler: Crawler) -> str:
    """The host of REPRINT_DEMO_WEB (the demo web's server), "" when unset."""
    return urlsplit(crawler.settings.get("REPRINT_DEMO_WEB") or "").hostname or ""


def allowed_hosts(crawler: Crawler) -> frozenset[str]:
    """REPRINT_ALLOW_HOSTS as a set of lowercase host names / IP addresses."""
    return allowed_set(crawler.settings.getlist("REPRINT_ALLOW_HOSTS"))


def _addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (blocking: run it in a thread)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PrivateAddressGuardMiddleware:
    """Refuse requests that are not http(s) with a host, those whose host is a non-public
    IP literal or a local name, and those whose host resolves to a non-public address."""

    def __init__(
        self, allowed: frozenset[str], cache_size: int = 10_000, demo_web: str = ""
    ) -> None:
        """
        :param allowed: hosts and addresses allowed whatever they are (:func:`allowed_hosts`)
        :param cache_size: how many hosts' verdicts to remember (DNSCACHE_SIZE; 0: none)
        :param demo_web: REPRINT_DEMO_WEB, the demo web's address ("" in real crawls)
        """
        self.allowed = allowed
        self.demo_web = demo_web
        # a host's verdict, as Scrapy's DNS cache keeps a host's address for the crawl
        self.verdicts: LocalCache[str, str | None] = LocalCache(limit=cache_size)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuardMiddleware:
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        demo_web = settings.get("REPRINT_DEMO_WEB") or ""
        return cls(allowed_hosts(crawler), cache_size, demo_web)

    def _to_demo_web(self, request: Request, host: str) -> bool:
        """Whether the request goes to the configured demo web (crawler/demo.py)."""
        return (
            bool(self.demo_web)
            and request.meta.get("proxy") == self.demo_web
            and is_demo_host(host)
        )

    async def process_request(self, request: Request) -> None:
        url = urlparse_cached(request)
        host = url.hostname or ""
        reason = not_http_reason(url.scheme, host)
        if reason:
            raise IgnoreRequest(reason)  # no --allow-host lifts this one
        reason = blocked_reason(host, self.allowed)
        if reason:
            raise IgnoreRequest(with_allow_hint(reason, host))
        if self._to_demo_web(request, host):
            return  # answered by the demo web's server; NAME.example resolves nowhere
        if not is_ip_literal(host):  # an address as written was judged just above
            await self._check_resolved(host, url.port or (443 if url.scheme == "https" else 80))

    async def _check_resolved(self, host: str, port: int) -> None:
        """Resolve ``host`` in a thread and refuse it unless every address is public.

        :raises IgnoreRequest: an address is not public (counted as private_address)
        :raises DNSLookupError: the name does not resolve here (counted as dns)
        """
        if host in self.verdicts:
            reason = self.verdicts[host]
        else:
            try:
                addresses = await maybe_deferred_to_future(deferToThread(_addresses, host, port))
            except (OSError, UnicodeError) as exc:
                raise DNSLookupError(f"{host} (checked before connecting): {exc}") from exc
            reason = self.verdicts[host] = resolved_reason(host, addresses, self.allowed)
        if reason:
            raise IgnoreRequest(with_allow_hint(reason, host))


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to non-public addresses."""

    allowed: frozenset[str] = frozenset()
    demo_web_host = ""  # the demo web's server address, looked up as a proxy's host

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> PublicOnlyResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allowed = allowed_hosts(crawler)
        resolver.demo_web_host = demo_web_host(crawler)
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._check, name)
        return deferred

    def _check(self, address: str, name: str) -> str:
        if self.demo_web_host and name == self.demo_web_host:
            return address  # the literal address of REPRINT_DEMO_WEB, given by the operator
        reason = resolved_reason(name, [address], self.allowed)
        if reason:
            raise BlockedAddress(with_allow_hint(reason, name))
        return address
