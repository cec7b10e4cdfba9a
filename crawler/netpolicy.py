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


def is_public_ip(address: str) -> bool:
    """True for a globally routable unicast address; False for loopback, private,
    link-local, shared (CGNAT), multicast, reserved and unspecified ones.

    :raises ValueError: ``address`` is not an IP address in its standard notation
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


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
