"""Shared test builders for one site's boilerplate: a story page (:func:`article_page`,
:data:`STORY`), kettle.example's stories that all carry the same house line
(:data:`SITE`, :data:`HOUSE_LINE`, :data:`STORIES`), and a small real archive of them
stored before the line was learned (:func:`kettle_archive`), for the cleaning,
re-extraction and ``reprint extract --db`` tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.db import open_archive, write_transaction
from archive.extract import extract_article
from archive.store import FetchedPage, save_page

if TYPE_CHECKING:
    from pathlib import Path

    from sqlite_utils import Database

STORY = [
    "Marlow Finch will headline the Saltmere Folk Festival this summer, organisers confirmed "
    "on Tuesday, in what will be the singer's first outdoor show since her comeback album.",
    "The festival, now in its fourteenth year, moves to a larger field on the edge of the "
    "village after last year's event sold out within a day of tickets going on sale.",
    "Finch said she had spent childhood summers in the area and that playing the festival "
    "had been on her list since she first picked up a guitar at the age of eleven.",
    "Tickets go on sale on Friday morning, with a limited number held back for residents.",
]
TITLE = "Marlow Finch to headline Saltmere Folk Festival"

SITE = "kettle.example"
HOUSE_LINE = "Kettle and Crumb readers can claim a free tote with the code KC-TOTE at checkout"
STORIES = {
    "finch": STORY,
    "ferry": [
        "The Saltmere ferry will run through the night for the first time this summer, the "
        "operator said, so that visitors can stay until the last act leaves the stage.",
        "Late sailings will leave every hour from midnight and cost the same as day tickets, "
        "a decision the parish council called a welcome surprise for residents.",
        "The operator said it would review the timetable after the summer season ends.",
    ],
    "bakery": [
        "A bakery on Saltmere's high street has been named the best in the county by a panel "
        "of judges who tasted more than two hundred loaves over three weekends.",
        "Its owners, who opened the shop five years ago after leaving jobs in the city, said "
        "the win had brought queues around the corner every morning since.",
        "The shop now plans to open on Sundays for the first time this year.",
    ],
    "lifeboat": [
        "Saltmere's lifeboat crew has welcomed three new volunteers after a recruitment drive "
        "that drew more applicants than any other in the station's long history.",
        "The new members will train for a year before joining the crew on call-outs, which "
        "have risen by a third since the village became a summer destination.",
        "The station opens its doors to visitors on the first Saturday of every month.",
    ],
}

# kettle_archive's original of the finch story, and the fetch time of all its pages
ORIGINAL = "https://glossmag.example/music/finch/"
FETCHED_AT = "2025-05-02T10:00:00+00:00"


def article_page(paragraphs: list[str], *, extra: str = "", head: str = "") -> bytes:
    """A story page titled :data:`TITLE` with the paragraphs, navigation and a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
        f'<meta property="og:title" content="{TITLE}">{head}</head><body>'
        "<nav><a href='/'>Home</a> <a href='/music/'>Music</a></nav>"
        f"<main><article><h1>{TITLE}</h1>{body}{extra}</article></main>"
        "<footer><p>Tidings is a fictional publisher.</p></footer></body></html>"
    ).encode()


def _save(db: Database, url: str, paragraphs: list[str], head: str = "") -> None:
    body = article_page(paragraphs, head=head)
    page = FetchedPage(url, url, body, extract_article(body, url), fetched_at=FETCHED_AT)
    save_page(db, page)


def kettle_archive(path: Path) -> Database:
    """The original of a story on glossmag, and kettle.example with three stories of its
    own and a copy of glossmag's, all carrying kettle's house line: stored before the
    line was learned, as a first crawl of a new site stores them."""
    db = open_archive(path)
    with_line = {name: [p[0], HOUSE_LINE, *p[1:]] for name, p in STORIES.items()}
    with write_transaction(db):
        _save(db, ORIGINAL, STORIES["finch"])
        for name in ("ferry", "bakery", "lifeboat"):
            _save(db, f"https://{SITE}/news/{name}/", with_line[name])
        canonical = f'<link rel="canonical" href="{ORIGINAL}">'
        _save(db, f"https://{SITE}/syndicated/finch/", with_line["finch"], head=canonical)
    return db
