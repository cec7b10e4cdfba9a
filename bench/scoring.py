"""Token F1 of an extracted text against the true article body: the metric of the
extraction benchmark (bench/extraction.py) and of the CI quality gate
(tests/test_extraction_quality.py)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_WORD = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    """Bag of lowercase word tokens (NFKC, runs of word characters)."""
    return Counter(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def score(predicted: str, truth: str) -> tuple[float, float, float]:
    """Precision, recall, F1 of the predicted token bag against the true one (0 if empty)."""
    pred, gold = tokens(predicted), tokens(truth)
    if not pred or not gold:
        return 0.0, 0.0, 0.0
    common = sum((pred & gold).values())
    precision, recall = common / sum(pred.values()), common / sum(gold.values())
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1
