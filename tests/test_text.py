"""archive/text.py: the word tokens every hash, count and signature is made of."""

from __future__ import annotations

from archive.text import text_hash, unicode_words, words
from bench.dedup import extracted_of
from bench.syndication_corpus import generate_corpus


def test_the_ascii_path_gives_the_tokens_of_the_definition() -> None:
    texts = [extracted_of(d).text for d in generate_corpus(20, seed=2)]
    texts += [
        "It’s “back” – at last… café naïve\u00a0Ünïcode ﬁnale ２０２５ x_y don't",
        "Plain ASCII, with punctuation: (brackets) [and] {braces}; done!",
        "Tabs\tand\x0bvertical\x1cseparators",
        "“Quoted” — dashed – and… spaced\u00a0out",  # ASCII once typography is gone
    ]
    lines = [line for text in texts for line in text.splitlines()]
    for text in texts + lines:
        assert words(text) == unicode_words(text), text


def test_typography_and_case_do_not_change_the_tokens() -> None:
    assert words("It’s “Back” – AT LAST…") == ["it", "s", "back", "at", "last"]
    assert text_hash("It’s back") == text_hash("it's BACK")
    assert words("ﬁnale ２０２５") == ["finale", "2025"]  # NFKC
