"""Which stored article a newly extracted page is a copy of.

Copies of a syndicated story are recognised by their clean text: pages whose normalised
word sequence is identical share an article.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class Match:
    """An existing article a page belongs to, and how similar the page's text is to it."""

    article_id: int
    similarity: float


def find_article(
    db: Database, text_hash: str, *, exclude_page_id: int | None = None
) -> Match | None:
    """Return the article whose copies have exactly this clean text, if any.

    :param db: the archive
    :param text_hash: :func:`archive.text.text_hash` of the page's clean text
    :param exclude_page_id: the page being re-saved, which must not match itself
    """
    row = db.execute(
        "SELECT article_id FROM pages WHERE text_hash = ? AND article_id IS NOT NULL"
        " AND id IS NOT ? ORDER BY id LIMIT 1",
        [text_hash, exclude_page_id],
    ).fetchone()
    return Match(article_id=row[0], similarity=1.0) if row else None
