"""What the extraction workers' fork server loads before it forks a worker
(crawler/extractpool.py), so that no worker spends its first pages on it.

- The extraction code and its libraries (lxml, trafilatura, numpy): ~0.5 s to import.
- The stop words of trafilatura's last fallback, justext, for a page whose language is
  not given: every language's list, which trafilatura joins on its first use (0.17 s,
  154k words), and justext's lower-cased set of them, built on its first call and
  cached (0.08 s). In a crawl's profile the two were 2.6% of the workers' time, each
  worker building both for itself (BENCHMARKS.md, issue 10's eighth round). Built here
  by the same calls trafilatura makes, they are the same objects it would build.
"""

from __future__ import annotations

from justext.core import define_stoplist
from trafilatura import external

import archive.prepare  # noqa: F401  (the extraction code: imported here for the fork)


def build_stop_words() -> frozenset[str] | None:
    """Have trafilatura's all-languages stop-word list and justext's set of it built, as
    trafilatura's justext fallback would on its first page; the set.

    None where this trafilatura keeps the list elsewhere (a release that renamed it):
    its workers then build their own as before, and tests/test_extractpool.py fails until
    this is brought up to date. An error here would stop the fork server, and with it
    every crawl, for what only saves time.
    """
    join = getattr(external, "jt_stoplist_init", None)
    if join is None:
        return None
    words: frozenset[str] = define_stoplist(getattr(external, "JT_STOPLIST", None) or join())
    return words


build_stop_words()
