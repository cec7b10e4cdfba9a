"""The network policy of every fetch reprint makes (crawls, robots.txt, sitemaps,
`reprint extract --url`): which URLs may be fetched and which addresses reached.

A feed, sitemap or page can name any URL, including an intranet host or a cloud metadata
address (169.254.169.254); a fetcher that follows such URLs is a server-side request
forgery tool. So:

- only http(s) URLs with a host are fetched: file: would read the fetching machine's own
  files, ftp: and s3: reach hosts by other protocols, data: turns a URL named by a remote
  document into a response without any fetch, and a URL without a host has no address
  to check;
- a host is refused when it is a local name ("localhost") or when any address it is or
  resolves to is not public (loopback, private, link-local, shared, multicast, reserved,
  unspecified), whatever form the address is written in (decimal, hex, octal, short
  IPv4 and IPv4-mapped IPv6 all resolve to the address they denote);
- the only way around is to allow the host by name or address (`--allow-host`);
- the offline demo's web (`reprint demo`) lives under the reserved ``.example`` names
  (RFC 2606: never on the internet) and is reached through the loopback address the
  crawl's settings name (REPRINT_DEMO_WEB, set by `reprint demo` or by the operator,
  never by anything fetched); without that setting ``.example`` names are judged like
  any other (they do not resolve).

The crawl enforces this in crawler/netguard.py (Scrapy middleware and DNS resolver),
`reprint extract --url` in crawler/fetch_one.py. This module imports neither Scrapy nor
Twisted: `reprint extract --url` uses it and must start fast.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

# the archive owns the rule of which URLs are web addresses; fetching follows the same one
from archive.sanitize import WEB_SCHEMES

if TYPE_CHECKING:
    from collections.abc import Iterable

LOCAL_NAMES = ("localhost", "localhost.localdomain")
# How a refused scheme or missing host starts its refusal message; the spiders' errback
# counts it by this prefix (reprint/skipped/not_http_url).
NOT_HTTP_URL = "not an http(s) URL"
# How a refused host starts its refusal message; the spiders' errback counts it by this
# prefix (reprint/skipped/private_address).
PRIVATE_ADDRESS = "private address"
# The demo web's hosts are NAME.example (crawler/demo.py): a top-level domain reserved for
# documentation, so routing it to the demo web can never divert a real site.
DEMO_DOMAIN = "example"


def normalise_host(host: str) -> str:
    """``host`` as the policy compares it: lowercase, without IPv6 brackets, spaces or
    the final dot of a fully qualified name ("localhost." is "localhost")."""
    return host.strip().lower().strip("[]").rstrip(".")


def allowed_set(hosts: Iterable[str]) -> frozenset[str]:
    """The allowed hosts (``--allow-host`` values: names or IP addresses), normalised."""
    return frozenset(normalise_host(h) for h in hosts if h.strip())


def is_demo_host(host: str) -> bool:
    """Whether ``host`` is a name under the demo web's reserved domain (NAME.example)."""
    return normalise_host(host).endswith(f".{DEMO_DOMAIN}")


# IPv6 addresses carrying an IPv4 address that this host or its network delivers to: a
# NAT64 gateway translates 64:ff9b::a00:1 to 10.0.0.1 (RFC 6052), a 6to4 tunnel sends
# 2002:a00:1:: to 10.0.0.1, an IPv4-compatible ::a00:1 went the same way (deprecated, and
# still "global" to Python's ipaddress, as the first two are). 64:ff9b:1::/48 is NAT64
# for local use (RFC 8215), never public.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64, 6to4,
    IPv4-compatible), or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    # :: and ::1 are IPv6's own unspecified and loopback addresses
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def is_public_ip(address: str) -> bool:
    """True for a globally routable unicast address; False for loopback, private,
    link-local, shared (CGNAT), multicast, reserved and unspecified ones, and for IPv6
    addresses standing for such an IPv4 address.

    :raises ValueError: ``address`` is not an IP address in its standard notation
    """
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64_LOCAL:
            return False
        ip = _carried_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is an IP address in standard notation (nothing to resolve)."""
    try:
        ipaddress.ip_address(normalise_host(host))
    except ValueError:
        return False
    return True


def not_http_reason(scheme: str, host: str) -> str | None:
    """Why a URL of this scheme and host must not be fetched at all, or None."""
    if scheme in WEB_SCHEMES and host:
        return None
    return f"{NOT_HTTP_URL} ({scheme or 'no'} scheme, host {host!r})"


def blocked_reason(host: str, allowed: Iterable[str]) -> str | None:
    """Why a request to ``host`` (a name or an IP literal) must not be made, or None.

    Only what the host itself says is judged here; a name is judged again on the
    addresses it resolves to (:func:`resolved_reason`).
    """
    host = normalise_host(host)
    if host in allowed:
        return None
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return f"{PRIVATE_ADDRESS} {host}: a local name"
    try:
        public = is_public_ip(host)
    except ValueError:
        return None  # a name, or an address in a non-standard form: judged once resolved
    return None if public else f"{PRIVATE_ADDRESS} {host}: not a public IP"


def resolved_reason(host: str, addresses: Iterable[str], allowed: Iterable[str]) -> str | None:
    """Why ``host``, resolving to ``addresses``, must not be reached, or None.

    Every address counts: a name with one public and one private address could be
    connected to the private one.

    :param host: the name (or IP literal in any form) as the URL gives it
    :param addresses: what it resolved to, in standard notation
    :param allowed: allowed hosts and addresses (:func:`allowed_set`)
    """
    host = normalise_host(host)
    if host in allowed:
        return None
    for address in addresses:
        if address not in allowed and not is_public_ip(address):
            return f"{PRIVATE_ADDRESS} {host}: resolves to {address}, not a public IP"
    return None


def with_allow_hint(reason: str, host: str) -> str:
    """A refusal message that says how to lift it."""
    return f"{reason} (allow it with --allow-host {normalise_host(host)})"
