"""Fetch one page without Scrapy, for `reprint extract --url` (a fast start matters there).

Same User-Agent, timeout and size limit as crawls (crawler/settings.py).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from crawler import settings as crawl_settings


class FetchError(OSError):
    """The page could not be fetched (network error, HTTP error, too large)."""


@dataclass(frozen=True, slots=True)
class FetchedBody:
    """A fetched page's bytes and what the response said of them."""

    url: str  # after redirects
    body: bytes
    content_type: str | None
    status: int


def fetch_page(
    url: str,
    *,
    timeout: float = crawl_settings.DOWNLOAD_TIMEOUT,
    max_bytes: int = crawl_settings.DOWNLOAD_MAXSIZE,
) -> FetchedBody:
    """GET ``url`` once (redirects followed) with the crawler's User-Agent.

    :raises FetchError: on a network error, an HTTP error status, or a body over max_bytes
    """
    request = urllib.request.Request(
        url, headers={"User-Agent": crawl_settings.USER_AGENT, "Accept": "text/html,*/*;q=0.5"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"{url}: body over the {max_bytes}-byte limit")
            return FetchedBody(
                url=response.geturl(),
                body=body,
                content_type=response.headers.get("Content-Type"),
                status=response.status,
            )
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the error response's connection
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: {reason}") from exc
