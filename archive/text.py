"""Word-level text normalisation shared by hashing, dedup, word counts and benchmarks."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Return the lowercase word tokens of ``text`` (NFKC, runs of word characters).

    Punctuation and typography (curly vs straight quotes, dashes) vanish, so copies of
    one story that differ only in typography give the same tokens.
    """
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def text_hash(text: str) -> str:
    """Return the hex SHA-256 of the normalised word sequence of ``text``."""
    return words_hash(words(text))


def words_hash(tokens: list[str]) -> str:
    """Return :func:`text_hash` of a text from its :func:`words`, for a caller that has
    them already (tokenising is most of the cost)."""
    return hashlib.sha256(" ".join(tokens).encode()).hexdigest()
