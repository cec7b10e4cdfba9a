"""Skip building the log records no handler would write, while a crawl runs.

Scrapy sets its own logger to DEBUG and the root logger to NOTSET, and leaves the
filtering to its handler, at LOG_LEVEL. So every debug message is built as a record and
dropped at the handler: two a page for the engine's "Crawled (200)" and the scraper's
"Scraped from", beside reprint's own. In the main process of a 1000-page crawl
(bench/throughput.py, py-spy) that was 4% of the reactor thread's samples, ~0.2 ms a page,
for output nobody sees at the default WARNING level.

While an engine runs, the root logger and Scrapy's are raised to the lowest level any of
the root's handlers writes, never past it: whatever a handler would have written is still
written (a handler added at DEBUG, as pytest's log capture, keeps everything). They are
put back when the last engine of the process stops (crawler/processwide.py).
"""

from __future__ import annotations

import logging
from typing import ClassVar

from crawler.processwide import WhileEnginesRun

# the loggers whose level lets records below every handler's level through: the root
# (NOTSET, as Scrapy sets it) and Scrapy's (DEBUG)
_LOGGERS = ("", "scrapy")


class SkipUnwrittenRecords(WhileEnginesRun):
    """Raise the root and Scrapy loggers to the lowest level the root's handlers write."""

    # each logger's level before the first engine started
    saved: ClassVar[dict[str, int]] = {}

    def started(self, *, first: bool) -> None:
        if first:
            SkipUnwrittenRecords.saved = {n: logging.getLogger(n).level for n in _LOGGERS}
        handlers = logging.root.handlers
        if not handlers:
            return  # records would reach logging's last resort (WARNING): leave it
        # again at each engine's start: another crawler may have added a handler that
        # writes more
        lowest = min(handler.level for handler in handlers)
        for name, level in SkipUnwrittenRecords.saved.items():
            logging.getLogger(name).setLevel(max(level, lowest))

    def last_stopped(self) -> None:
        for name, level in SkipUnwrittenRecords.saved.items():
            logging.getLogger(name).setLevel(level)
        SkipUnwrittenRecords.saved.clear()
