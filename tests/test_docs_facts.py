"""The README's numbers and names, checked against the code they describe: a setting
changed without its documentation fails here."""

from __future__ import annotations

import re

import pytest

from archive.settings import DEDUP_SHINGLE_WORDS, MAX_HTML_ELEMENTS
from crawler import settings as crawl_settings

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_shingle_size() -> None:
    stated = re.search(r"MinHash signatures of (\d+)-word shingles", README)
    assert stated and int(stated[1]) == DEDUP_SHINGLE_WORDS


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (r"`REPRINT_SOURCE_MAX_REQUESTS` \(([\d,]+)\)", crawl_settings.REPRINT_SOURCE_MAX_REQUESTS),
        (r"more than ([\d,]+) elements", MAX_HTML_ELEMENTS),
        (r"`CLOSESPIDER_TIMEOUT` \((\d+) h\)", crawl_settings.CLOSESPIDER_TIMEOUT // 3600),
        (r"`REPRINT_EXTRACT_TIMEOUT` \((\d+) s\)", crawl_settings.REPRINT_EXTRACT_TIMEOUT),
    ],
)
def test_limits(pattern: str, value: int) -> None:
    stated = re.search(pattern, README)
    assert stated, pattern
    assert _number(stated[1]) == value


def test_every_named_setting_exists() -> None:
    # a REPRINT_* setting the README names must be one the crawler reads
    named = set(re.findall(r"\bREPRINT_[A-Z_]+\b", README))
    missing = sorted(n for n in named if not hasattr(crawl_settings, n))
    assert missing == []
