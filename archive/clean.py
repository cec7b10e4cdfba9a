"""Syndication boilerplate removal on extracted text.

trafilatura keeps lines that syndicators insert into the article body (embed
placeholders, photo credits, newsletter prompts, related-links blocks). Each known kind
is a pattern below; a line is dropped only when the whole line is that boilerplate, so a
sentence of the story that merely mentions a newsletter stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_I = re.IGNORECASE

# Whole-line patterns, by kind (the kind names the stats and the tests).
LINE_PATTERNS: dict[str, re.Pattern[str]] = {
    "embed_placeholder": re.compile(
        r"^(to view this content,? you('|’)ll need to update your privacy settings.*"
        r"|this content is (imported|created and maintained) (from|by) .*"
        r"|you may be able to find (the same|more information about this and similar) content.*"
        r"|click here to (view|see) (this|the) (content|post|video|embed).*"
        r"|(view|see) (this|the) post on (instagram|twitter|x|tiktok|facebook|youtube).*"
        r"|a post shared by .*"
        r"|(watch|play) (the )?video\.?)$",
        _I,
    ),
    "photo_credit": re.compile(
        r"^(\(?(photo|image|picture|pictured|credit|photograph)s?"
        r"( credit)?\s*(:|by|-|–)\s*.{1,80}\)?"
        r"|\(?(getty images|shutterstock|alamy|pa images|rex features|afp)[^.]{0,40}\)?)\.?$",
        _I,
    ),
    "newsletter": re.compile(
        r"^((like|love|enjoy)(d)? this (article|story)\??.{0,40}sign up.*"
        r"|sign up (to|for) (our|the) .{0,40}newsletter.*"
        r"|(subscribe|sign up) (now|today|here).{0,80}"
        r"|get the latest .{0,60}(straight to|delivered to|in) your inbox.*"
        r"|follow us on (instagram|twitter|x|facebook|tiktok|threads).*"
        r"|(share|tweet|email|pin) (this|on) ?(article|story|facebook|twitter|x|pinterest)?\.?)$",
        _I,
    ),
    "related_heading": re.compile(
        r"^(you might also like|you may also like|related( articles| stories| content)?"
        r"|more from .{1,40}|recommended( for you)?|read next|most popular|trending now"
        r"|(read|see) (more|also))\s*:?$",
        _I,
    ),
    "related_link": re.compile(r"^(read more|related|see also|read next|more)\s*:\s*.{1,200}$", _I),
    "originally_appeared": re.compile(
        r"^(this (article|story|piece) (was )?originally (appeared|published) (on|in|at) .{1,100}"
        r"|originally (appeared|published) (on|in|at) .{1,100})$",
        _I,
    ),
    "ad_marker": re.compile(
        r"^(advertisement|advert|sponsored( content)?|story continues below"
        r"( this)? (ad|advertisement)|ad feedback|continue reading below)\.?$",
        _I,
    ),
}

_ORIGIN = re.compile(r"originally (?:appeared|published) (?:on|in|at) (.+?)\.?$", _I)

# After a related-links heading, the lines that follow are link titles: short and
# without the final punctuation of a sentence. The block ends at the first real sentence.
RELATED_TITLE_MAX_WORDS = 16


@dataclass(slots=True)
class Cleaned:
    """Clean text and what was taken out of it."""

    text: str
    removed: dict[str, int] = field(default_factory=dict)
    origin: str | None = None  # "This article originally appeared on X": X


def _looks_like_link_title(line: str) -> bool:
    return len(line.split()) <= RELATED_TITLE_MAX_WORDS and not line.rstrip().endswith(
        (".", "!", "?", '"', "”", ":")
    )


def clean_text(text: str) -> Cleaned:
    """Remove known syndication boilerplate lines from extracted ``text``.

    :param text: newline-separated paragraphs as trafilatura returns them
    :returns: the text without boilerplate, counts per kind, and the stated origin
    """
    kept: list[str] = []
    removed: dict[str, int] = {}
    origin: str | None = None
    in_related_block = False
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        kind = next((k for k, pat in LINE_PATTERNS.items() if pat.match(line)), None)
        if kind is None and in_related_block and _looks_like_link_title(line):
            kind = "related_link"
        in_related_block = kind in ("related_heading", "related_link")
        if kind is None:
            kept.append(line)
            continue
        removed[kind] = removed.get(kind, 0) + 1
        if kind == "originally_appeared" and (match := _ORIGIN.search(line)):
            origin = match.group(1).strip()
    return Cleaned(text="\n".join(kept), removed=removed, origin=origin)


# A list item whose text is at least this share link text is a link, not a sentence.
LINK_TEXT_SHARE = 0.9
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _is_link_list(el: HtmlElement) -> bool:
    """A <ul>/<ol> (or a container of them) whose items are all links."""
    items = el.xpath(".//li")
    if not items:
        return False
    for item in items:
        text = _text(item)
        linked = sum(len(_text(a)) for a in item.xpath(".//a"))
        if not text or linked / len(text) < LINK_TEXT_SHARE:
            return False
    return True


def prune_tree(tree: HtmlElement) -> dict[str, int]:
    """Remove related-links blocks from a parsed page before text extraction.

    Text alone cannot tell a list of related headlines from story sentences once the
    heading above them is gone (trafilatura drops headings it deems navigation), so the
    block is removed in the DOM: a heading such as "You Might Also Like" and the list of
    links that follows it.

    :returns: counts of removed blocks by kind
    """
    removed: dict[str, int] = {}
    pattern = LINE_PATTERNS["related_heading"]
    for heading in tree.xpath("//h1|//h2|//h3|//h4|//h5|//h6|//p[strong]|//div[not(*)]"):
        if not pattern.match(_text(heading)):
            continue
        parent = heading.getparent()
        if parent is None:
            continue
        following = heading.getnext()
        if following is not None and _is_link_list(following):
            parent.remove(following)
        heading.drop_tree()
        removed["related_heading"] = removed.get("related_heading", 0) + 1
    return removed
