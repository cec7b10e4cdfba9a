"""Shared test builders: article pages (:func:`page_html`, :data:`STORY`), pages as a crawl
hands them over (:func:`fetched_page`), and a small real archive for the serving, export
and API tests (:func:`build_archive`), built through archive.store (extraction,
clustering, raw bodies, triggers), no crawl needed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.db import open_archive
from archive.extract import extract_article
from archive.store import FetchedPage, save_page

if TYPE_CHECKING:
    from pathlib import Path

    from sqlite_utils import Database


STORY = [
    "Streaming drama Glasshouse Bay has been renewed for a third season, its makers "
    "confirmed on Monday, after the second run became the most watched show of the spring.",
    "Showrunner Maya Okonjo said the writers had already mapped out the new episodes and "
    "that filming would start in the autumn on the same stretch of Cornish coast as before.",
    "The cast, led by Jonah Whitlock and Ines Carvalho, will all return, although Okonjo "
    "teased that at least one familiar face would not survive the opening episode of the run.",
    "Season three is expected to arrive on screens late next year, with eight episodes.",
]


def page_html(
    title: str,
    paragraphs: list[str],
    *,
    canonical: str = "",
    extra: str = "",
    published: str = "2025-05-01T09:00:00+01:00",
) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    ld = json.dumps(
        {
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": published,
            "author": {"name": "Rae Lindqvist"},
            "keywords": "TV, Drama",
        }
    )
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f'<html lang="en-GB"><head><title>{title}</title>{link}'
        f'<meta property="og:site_name" content="Tidings">'
        f'<script type="application/ld+json">{ld}</script></head><body>'
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}{extra}</article>"
        f"<footer>© Tidings</footer></body></html>"
    ).encode()


def fetched_page(url: str, html: bytes, **kwargs: object) -> FetchedPage:
    """A page as a crawl hands it to the archive, extracted from ``html``."""
    return FetchedPage(
        url=url, final_url=url, body=html, extracted=extract_article(html, url), **kwargs
    )  # type: ignore[arg-type]


LIGHTHOUSE = [
    "A documentary about the last lighthouse keeper on the Scilly Isles will premiere at "
    "the Harbour Lights film festival in June, its distributor announced on Tuesday.",
    "Director Amara Fontaine spent three winters on the rock with keeper Tobias Kessler, "
    "filming the storms, the supply boats and the long nights of radio silence.",
    "Fontaine said the film was about solitude rather than nostalgia, and about the odd "
    "comfort of a routine that nobody else on earth was keeping any more.",
    "A streaming release is planned for the autumn, followed by a limited cinema run.",
]
TOUR = [
    "Singer Marisol Vance has added eleven dates to her autumn arena tour after the first "
    "run of shows sold out within an hour of going on sale last Friday morning.",
    "The new dates include two nights in Lisbon and a closing show in her home town of "
    "Valencia, where she first performed in a café run by her grandmother.",
    "Vance said the tour would feature songs from her fourth album alongside reworked "
    "versions of the early singles that fans have asked her to bring back.",
    "Tickets for the added shows go on sale next week through the usual outlets.",
]
ORIGINAL = "https://tidings.example/tv/glasshouse"
CONTENT_TYPE = "text/html; charset=utf-8"


def _page(url: str, html: bytes) -> FetchedPage:
    return fetched_page(url, html, content_type=CONTENT_TYPE)


@dataclass(frozen=True)
class Built:
    """Ids of what :func:`build_archive` stored."""

    glasshouse: int  # 3 copies: tidings (original), syndicator, dailyreel
    lighthouse: int  # 1 copy on tidings
    tour: int  # 2 copies: popdesk (original), syndicator


def build_archive(path: Path) -> Built:
    """Store three stories, two of them syndicated, at ``path``."""
    db = open_archive(path)
    glasshouse = save_page(
        db, _page(ORIGINAL, page_html("Glasshouse Bay renewed", STORY, canonical=ORIGINAL))
    ).article_id
    save_page(db, _page("https://syndicator.example/g", page_html("Glasshouse is back", STORY)))
    save_page(
        db,
        _page(
            "https://dailyreel.example/tv/glasshouse-bay",
            page_html("Glasshouse Bay gets a third run", STORY, canonical=ORIGINAL),
        ),
    )
    lighthouse = save_page(
        db,
        _page(
            "https://tidings.example/film/lighthouse",
            page_html(
                "Lighthouse keeper documentary to premiere in June",
                LIGHTHOUSE,
                published="2025-05-20T08:00:00+00:00",
            ),
        ),
    ).article_id
    tour_url = "https://popdesk.example/music/vance-tour"
    tour = save_page(
        db,
        _page(
            tour_url,
            page_html(
                "Marisol Vance adds eleven tour dates",
                TOUR,
                canonical=tour_url,
                published="2025-04-02T12:00:00+00:00",
            ),
        ),
    ).article_id
    save_page(
        db,
        _page(
            "https://syndicator.example/vance",
            page_html("Vance tour grows", TOUR, published="2025-04-02T12:00:00+00:00"),
        ),
    )
    db.close()
    return Built(glasshouse=glasshouse, lighthouse=lighthouse, tour=tour)


def add_page(path: Path, url: str, title: str, paragraphs: list[str], **kwargs: str) -> int:
    """Store one more page in the archive at ``path``; return its article id."""
    db: Database = open_archive(path)
    try:
        return save_page(db, _page(url, page_html(title, paragraphs, **kwargs))).article_id
    finally:
        db.close()
