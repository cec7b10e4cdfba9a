"""What a piece of extracted text is: prose (sentences in paragraphs) or a list of labels
and links (a menu, a tag cloud, a list of teasers, image captions).

Extraction picks between candidate texts of one page, and decides whether a page is an
article, by this shape rather than by length alone: a site's navigation can be longer
than the short story beside it, and a 19-word news brief is still an article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.settings import (
    CANDIDATE_MIN_EXTRA_WORDS,
    SENTENCE_MIN_WORDS,
    UNPUNCTUATED_SENTENCE_WORDS,
)

_TOKEN = re.compile(r"\w+")
# Chinese and Japanese are written without spaces: a run of their characters is one
# \w+ token however many words it holds
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# ... so such a run counts one word per this many characters (a Chinese word averages
# 1.5 characters, a Japanese one about 2)
UNSPACED_CHARS_PER_WORD = 2
# How a sentence ends, in the scripts of the archive's sources (closing quotes and
# brackets may follow the mark)
_SENTENCE_END = re.compile(r"[.!?…。！？:;]['\"’”»)\]]*$")


def word_count(text: str) -> int:
    """Words of ``text``, counting unspaced Chinese/Japanese runs by their length."""
    tokens = _TOKEN.findall(text)
    if not _UNSPACED.search(text):  # most text: one token, one word
        return len(tokens)
    count = 0
    for token in tokens:
        unspaced = len(_UNSPACED.findall(token))
        count += -(-unspaced // UNSPACED_CHARS_PER_WORD) if unspaced else 1
    return count


def _token_count(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class Shape:
    """The shape of one text: how many of its words are in sentences."""

    words: int
    prose_words: int  # words in lines that are sentences (:func:`is_sentence_line`)

    @property
    def prose_share(self) -> float:
        """Share of the words that are in sentences (0 for an empty text)."""
        return self.prose_words / self.words if self.words else 0.0


def is_sentence_line(line: str, words: int) -> bool:
    """Whether one line of text (of ``words`` words) is a sentence rather than a label,
    a menu item or a caption: long enough, and ending like a sentence unless it runs on
    far past the length of any label."""
    if words < SENTENCE_MIN_WORDS:
        return False
    return words >= UNPUNCTUATED_SENTENCE_WORDS or bool(_SENTENCE_END.search(line.rstrip()))


def shape(text: str) -> Shape:
    """Measure how much of ``text`` (newline-separated blocks) is prose."""
    total = prose = 0
    # most text has no unspaced script: one token, one word (one search for the text)
    count = word_count if _UNSPACED.search(text) else _token_count
    for line in text.splitlines():
        words = count(line)
        total += words
        if is_sentence_line(line, words):
            prose += words
    return Shape(words=total, prose_words=prose)


def has_more_prose(candidate: Shape, current: Shape, margin: float) -> bool:
    """Whether ``candidate`` holds clearly more sentences than ``current``: more than
    ``margin`` times its words in sentences, and a sentence or two more at least. A
    site's navigation beside a short story has more words than the story but fewer in
    sentences, so it never wins; nor does a candidate that only adds the headline and
    byline run into one line with a brief."""
    return candidate.prose_words > max(
        current.prose_words * margin, current.prose_words + CANDIDATE_MIN_EXTRA_WORDS
    )
