"""What every reprint spider shares: its sources, turning responses into items, errors."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

from scrapy import Request, Spider, signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DontCloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)

from archive.sources import SourceFetch
from crawler.items import PageItem
from crawler.netguard import BlockedAddress
from crawler.netpolicy import NOT_HTTP_URL, PRIVATE_ADDRESS
from crawler.signals import source_fetched
from crawler.sources import Source, adhoc_sources, load_sources

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Feeds and sitemaps are parsed off the reactor, on one thread of their own: one document
# at a time. Parsing is Python code that holds the GIL; on asyncio's default executor the
# 8 feeds of a 20,000-page crawl were parsed by up to 6 threads at once, and the reactor
# waited its turn for the GIL behind all of them: loop lags of 70-260 ms in the crawl's
# first two seconds, the largest of the crawl (issue 10; 2,500 entries a feed). With one
# thread: 80 and 124 ms in two runs, the main process 17 MB smaller. The thread starts on
# first use; it serves every spider of the process.
_SOURCE_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reprint-parse")


async def parse_off_reactor(parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``parse`` (a feed's or sitemap's parser) on the source parsing thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_SOURCE_PARSER, lambda: parse(*args, **kwargs))


# Request.meta key marking the request of a source document (its Source)
SOURCE_META = "reprint_source"
# a conditional request's answer when the document did not change (crawler/incremental.py)
NOT_MODIFIED = 304


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def page_item(response: Response, *, source: str | None, hints: dict[str, Any]) -> PageItem:
    """Build the item of a fetched page (its body untouched: extraction decodes it)."""
    redirects = response.request.meta.get("redirect_urls") if response.request else None
    return PageItem(
        url=redirects[0] if redirects else response.url,
        final_url=response.url,
        status=response.status,
        body=response.body,
        content_type=_header(response, "Content-Type"),
        etag=_header(response, "ETag"),
        last_modified=_header(response, "Last-Modified"),
        source=source,
        hints=hints,
    )


# Requests a feed or sitemap callback hands over before letting the reactor run other
# callbacks. Scrapy schedules each yielded request at once: a 2,500-entry feed held the
# reactor 400 ms (parsed there too, then); runs of 100 keep each hold to a few ms, well
# under the 50 ms loop-lag bound of issue 10.
REQUESTS_PER_RUN = 100


class SourceSpider(Spider):
    """A spider over the sources of one kind: from sources.toml, or given as arguments.

    Arguments: ``sources`` (a list of :class:`Source`, from the CLI) or ``url`` (one or
    more comma-separated URLs, from ``scrapy crawl NAME -a url=...``); with neither, the
    sources of this kind in the REPRINT_SOURCES file.
    """

    source_kind: ClassVar[str]

    def __init__(
        self, *args: Any, sources: list[Source] | None = None, url: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._given_sources = sources
        self._given_urls = tuple(u.strip() for u in url.split(",") if u.strip()) if url else ()
        # the rest of a feed's or sitemap's requests, held back while the scheduler is full
        self._held_back: deque[Iterator[Request]] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, SourceSpider)
        crawler.signals.connect(
            spider._release_on_progress, signal=signals.request_reached_downloader
        )
        crawler.signals.connect(spider._release_when_idle, signal=signals.spider_idle)
        return spider

    async def hand_over(self, requests: Iterator[Request]) -> AsyncIterator[Request]:
        """Yield the requests of a feed or sitemap, letting the reactor run other callbacks
        every REQUESTS_PER_RUN of them; once the scheduler holds REPRINT_MAX_QUEUED_REQUESTS,
        hold the rest back: :meth:`release_held_back` gives them to the engine as the
        scheduler drains.

        Each queued request is ~13 objects the garbage collector scans on every full pass:
        a 20,000-page crawl of 8 long feeds queued them at once, and its 38 full passes
        held the reactor 120-205 ms each (issue 10). The rest is held outside the callback,
        so the feed's response is let go: a callback waiting with it would hold the
        scraper's memory, and with a few large feeds stop the crawl.

        :param requests: an iterator: what it has not given when the scheduler fills is
            what is held back
        """
        for count, request in enumerate(requests, 1):
            yield request
            if count % REQUESTS_PER_RUN == 0:
                await asyncio.sleep(0)
            if self._scheduler_full():
                self._held_back.append(requests)
                self.crawler.stats.inc_value("reprint/requests/held_back")
                return

    def release_held_back(self) -> bool:
        """Give held-back requests to the engine while the scheduler has room; whether
        any was given.

        One request from each held-back source in turn: the scheduler gives each site's
        requests their own downloader slot, and the first source to fill the queue
        would otherwise be the only site crawled until its last request was scheduled,
        its politeness delay the whole crawl's pace, the other sites waiting.

        They reach the scheduler without the spider middlewares a callback's output
        passes through: no Referer header and no depth, neither of which a listed article
        needs.
        """
        engine = self._engine()
        released = False
        while self._held_back and engine is not None and not self._scheduler_full():
            request = next(self._held_back[0], None)
            if request is None:
                self._held_back.popleft()
                continue
            self._held_back.rotate(-1)  # the next source's turn
            engine.crawl(request)
            released = True
        return released

    def _release_on_progress(self) -> None:
        self.release_held_back()  # a request left the scheduler: room for one more

    def _release_when_idle(self) -> None:
        if self.release_held_back():
            raise DontCloseSpider("requests held back are scheduled now")

    def _engine(self) -> ExecutionEngine | None:
        try:
            return self.crawler.engine
        except RuntimeError:  # no crawl running: a spider method called directly
            return None

    def _scheduler_full(self) -> bool:
        limit = self.settings.getint("REPRINT_MAX_QUEUED_REQUESTS")
        engine = self._engine()
        scheduler = engine.scheduler if engine is not None else None
        if not limit or scheduler is None or not hasattr(scheduler, "__len__"):
            return False  # no engine (a method called directly), or a queue of unknown size
        return len(scheduler) >= limit

    def sources(self) -> list[Source]:
        """The sources this spider crawls."""
        if self._given_sources is not None:
            chosen = list(self._given_sources)
        elif self._given_urls:
            chosen = adhoc_sources({self.source_kind: self._given_urls})
        else:
            chosen = load_sources(self.settings.get("REPRINT_SOURCES"))
        return [s for s in chosen if s.kind == self.source_kind]

    def source_request(self, source: Source, url: str | None = None, **kwargs: Any) -> Request:
        """A request for a source document, reported through ``source_fetched``.

        Never filtered as a duplicate: a feed is asked for on every run, also when the
        duplicate filter persists between runs (scrapy-redis).
        """
        meta = {**kwargs.pop("meta", {}), SOURCE_META: source}
        return Request(
            url or source.url, errback=self.on_error, meta=meta, dont_filter=True, **kwargs
        )

    def report_source(
        self, response: Response, problem: str | None = None, *, lists_pages: bool = True
    ) -> None:
        """Record that a source document was fetched (call at the top of its callback);
        ``problem`` says why it gave nothing, when it did not (e.g. "not a feed").

        :param lists_pages: False for a document that lists other documents (a robots.txt,
            a sitemap index): its validators are not kept, since the next crawl must read
            it again whether or not it changed: its sitemaps change without it.
        """
        source = response.meta.get(SOURCE_META)
        if source is None:
            return
        self.crawler.signals.send_catch_log(
            source_fetched,
            fetch=SourceFetch(
                url=source.url if response.url == source.url else response.url,
                kind=source.kind,
                name=source.name,
                status=response.status,
                etag=_header(response, "ETag") if lists_pages else None,
                last_modified=_header(response, "Last-Modified") if lists_pages else None,
                problem=problem,
            ),
        )

    def article_request(self, url: str, source: str, hints: dict[str, Any]) -> Request:
        """A request for an article page listed by a source, with the source's hints."""
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"source": source, "hints": hints},
        )

    def parse_article(
        self, response: Response, source: str, hints: dict[str, Any]
    ) -> Iterator[PageItem]:
        """An article page listed by a feed or sitemap."""
        if response.status == NOT_MODIFIED:
            return  # nothing new since the last crawl
        yield self.page_item(response, source, hints)

    def page_item(
        self, response: Response, source: str | None, hints: dict[str, Any] | None = None
    ) -> PageItem:
        """The item for an article page, counted in ``reprint/pages_fetched``."""
        self.crawler.stats.inc_value("reprint/pages_fetched")
        return page_item(response, source=source, hints=hints or {})

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: log the URL and reason, count it by kind, and when the
        request was for a source document, report the source's problem in words."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        problem = self._count_failure(failure, url)
        source = request.meta.get(SOURCE_META) if request is not None else None
        if source is not None:
            response = getattr(failure.value, "response", None)
            self.crawler.signals.send_catch_log(
                source_fetched,
                fetch=SourceFetch(
                    url=url,
                    kind=source.kind,
                    name=source.name,
                    status=response.status if response is not None else 0,
                    problem=problem,
                ),
            )

    def _count_failure(self, failure: Failure, url: str) -> str:
        """Count and log one failed request; return its reason in words."""
        stats = self.crawler.stats
        if failure.check(HttpError):
            status = failure.value.response.status
            stats.inc_value(f"reprint/errors/http_{status}")
            # routine on a crawl (dead links); the summary counts them, the log keeps each
            logger.info("HTTP %s for %s", status, url)
            return f"HTTP {status}"
        if failure.check(BlockedAddress):
            stats.inc_value("reprint/skipped/private_address")
            logger.warning("refused %s: %s", url, failure.value)
            return f"refused: {failure.value}"
        if failure.check(IgnoreRequest):
            reason = str(failure.value) or "ignored"
            if "robots" in reason:
                key = "robots_forbidden"
            elif "DOWNLOAD_MAXSIZE" in reason or "download max size" in reason:
                key = "too_large"  # e.g. a gzip bomb, stopped while decompressing
            elif reason.startswith(PRIVATE_ADDRESS):
                key = "private_address"
            elif reason.startswith(NOT_HTTP_URL):
                key = "not_http_url"  # the key parse_robots counts its drops under
            else:
                key = reason.replace(" ", "_")
            stats.inc_value(f"reprint/skipped/{key}")
            logger.info("skipped %s: %s", url, reason)
            return reason
        if failure.check(DownloadCancelledError) and "size" in str(failure.value):
            stats.inc_value("reprint/skipped/too_large")  # over DOWNLOAD_MAXSIZE
            logger.warning("too large, not downloaded: %s", url)
            return "too large (DOWNLOAD_MAXSIZE)"
        if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            stats.inc_value("reprint/errors/timeout")
            logger.warning("timed out: %s", url)
            return "timed out"
        if failure.check(DNSLookupError, CannotResolveHostError):
            stats.inc_value("reprint/errors/dns")
            logger.warning("DNS lookup failed: %s", url)
            return "DNS lookup failed"
        if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
            stats.inc_value("reprint/errors/connection_refused")
            logger.warning("connection refused: %s", url)
            return "connection refused"
        stats.inc_value(f"reprint/errors/{failure.type.__name__}")
        logger.warning("failed %s: %s", url, failure.getErrorMessage())
        return f"{failure.type.__name__}: {failure.getErrorMessage()}"
