"""What the extensions that change the whole process for a crawl share.

The garbage collector (crawler/gcfreeze.py) and the GIL's switch interval
(crawler/switchinterval.py) are the process's, while the crawlers of one ``reprint
crawl`` each have their own engine. Such an extension acts when an engine starts and puts
things back only when the last engine of the process stops, so that no crawl undoes it
under another, and a process that goes on after its crawls (tests, a notebook) runs as
before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class WhileEnginesRun:
    """Base of an extension that changes the process while any of its engines runs.

    Subclasses implement :meth:`started` and :meth:`last_stopped`; each subclass counts
    the engines between their start and stop on its own.
    """

    running: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.running = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The extension, following the engine of ``crawler`` (a subclass that takes
        settings builds itself and calls :meth:`connect`)."""
        ext = cls()
        ext.connect(crawler)
        return ext

    def connect(self, crawler: Crawler) -> None:
        """Follow the engine of ``crawler``."""
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    def engine_started(self) -> None:
        cls = type(self)
        first = cls.running == 0
        cls.running += 1
        self.started(first=first)

    def engine_stopped(self) -> None:
        cls = type(self)
        cls.running = max(0, cls.running - 1)
        if cls.running == 0:
            self.last_stopped()

    def started(self, *, first: bool) -> None:
        """An engine started; ``first``: no other engine of the process runs."""
        raise NotImplementedError

    def last_stopped(self) -> None:
        """The last engine of the process stopped: put the process back."""
        raise NotImplementedError
