"""How `reprint` prints: two consoles that never interpret what they print, and one
helper that makes untrusted text (titles, authors, sites, URLs from pages) plain text.

Rich markup is off on both consoles: an author named "[/]" or "[link=...]" is printed
as written, not parsed (it used to crash `show` with MarkupError). Styles are given
as :class:`rich.text.Text` spans instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console
from rich.text import Text

# soft_wrap: lines piped to other tools are not cut at 80 columns
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

# C0 controls but tab and newline, DEL, C1 controls (U+009B is a one-character CSI on
# some terminals), and the bidirectional overrides that reorder what a line shows.
# Without ESC and the C1 controls, what is left of an escape sequence is visible text.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\u2028\u2029]+")
_C1_AND_BIDI = re.compile("[\x80-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(value: object, *, multiline: bool = False) -> str:
    """``value`` as text safe for a terminal: no control characters or escape sequences
    (each becomes U+FFFD, so a reader sees something was there); unless ``multiline``,
    line breaks and tabs become one space, so a field stays on its line."""
    text = "" if value is None else str(value)
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return _UNSAFE.sub("\ufffd", text)


def styled(value: object, style: str = "") -> Text:
    """Untrusted ``value`` as one styled span (see :func:`plain`)."""
    return Text(plain(value), style=style)


def error_line(message: object) -> Text:
    """ "error: message" in red, the message made plain."""
    return Text.assemble(("error:", "red"), " ", plain(message))


def json_text(data: Any) -> str:
    """``data`` as indented JSON for a terminal or a pipe: non-ASCII kept as characters,
    but the C1 controls and bidi overrides escaped (json escapes only C0 itself); they
    can occur only inside strings, where ``\\uXXXX`` means the same character."""
    return json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def json_safe(text: str) -> str:
    """JSON text with its C1 controls and bidi overrides escaped (see :func:`json_text`)."""
    return _C1_AND_BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
