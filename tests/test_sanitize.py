"""Whatever characters and URLs a page holds, it is stored and every feed of it is XML.

Control characters and lone surrogates arrive through JSON-LD escapes and character
references, ``javascript:`` URLs through canonical links and og:image; extraction cleans
them, and the Atom writer cleans again what an older archive may still hold.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest

from archive.db import open_archive
from archive.export import atom_feed, export
from archive.extract import extract_article
from archive.sanitize import http_url, xml_safe, xml_safe_html_utf8
from archive.store import FetchedPage, save_page

from .archive_builder import STORY, fetched_page, page_html

if TYPE_CHECKING:
    from pathlib import Path

    from sqlite_utils import Database

ATOM = "{http://www.w3.org/2005/Atom}"
URL = "https://tidings.example/tv/glasshouse"
SCRIPT_URL = "javascript:alert(1)"


def _hostile_page() -> bytes:
    # json.dumps escapes every non-ASCII character, so the control characters and the
    # lone surrogate reach the page as JSON escapes ("\u0008", "\ud800"), as they do in
    # the wild, and the body itself is plain ASCII.
    ld = json.dumps(
        {
            "@type": "NewsArticle",
            "headline": "Glasshouse Bay\u0008 renewed",
            "author": {"name": "Rae \ud800Lindqvist"},
            "datePublished": "2025-05-01T09:00:00+01:00",
            "description": "A third\u001b season\u0007 for the drama",
            "keywords": "TV, \u0001Drama",
            "image": SCRIPT_URL,
        }
    )
    body = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f'<html lang="en-GB"><head><title>Glasshouse Bay renewed</title>'
        f'<link rel="canonical" href="{SCRIPT_URL}">'
        f'<meta property="og:image" content="{SCRIPT_URL}">'
        f'<meta property="og:site_name" content="Tidings">'
        f'<script type="application/ld+json">{ld}</script></head><body>'
        f"<article><h1>Glasshouse Bay renewed</h1>{body}</article></body></html>"
    ).encode()


def _atom_documents(db: Database) -> list[ET.Element]:
    """The archive's feed, exported and as served, each parsed by a strict XML parser."""
    exported, served = io.BytesIO(), io.BytesIO()
    export(db, "atom", exported)
    atom_feed(db, served)
    # expat has no recovery mode: a character XML cannot hold raises ParseError
    return [ET.fromstring(exported.getvalue()), ET.fromstring(served.getvalue())]


def _hrefs(document: ET.Element) -> list[str]:
    return [link.get("href") or "" for link in document.iter(f"{ATOM}link")]


def test_hostile_metadata_is_cleaned_stored_and_fed_as_well_formed_atom(tmp_path: Path) -> None:
    extracted = extract_article(_hostile_page(), URL)
    assert extracted.title == "Glasshouse Bay renewed"
    assert extracted.authors == ["Rae Lindqvist"] and extracted.author == "Rae Lindqvist"
    assert extracted.description == "A third season for the drama"
    assert extracted.tags == ["TV", "Drama"]
    assert extracted.canonical_url is None and extracted.image is None
    extracted.to_json().encode()  # no lone surrogate left: UTF-8 can encode it all

    db = open_archive(tmp_path / "archive.db")
    page = FetchedPage(url=URL, final_url=URL, body=_hostile_page(), extracted=extracted)
    saved = save_page(db, page)
    row = db.execute(
        "SELECT title, author, canonical_url, image FROM articles WHERE id = ?",
        [saved.article_id],
    ).fetchone()
    assert row == ("Glasshouse Bay renewed", "Rae Lindqvist", None, None)

    for document in _atom_documents(db):
        [entry] = document.findall(f"{ATOM}entry")
        assert entry.findtext(f"{ATOM}title") == "Glasshouse Bay renewed"
        assert _hrefs(document) == [URL]
        assert "javascript:" not in ET.tostring(document, encoding="unicode")


@pytest.mark.parametrize(
    "where",
    ["paragraph", "hex reference", "title", "raw byte", "escape"],
)
def test_control_character_references_do_not_cost_the_article(where: str) -> None:
    """Word pastes VT (&#11;) for a line break and FF (&#12;) for a page break; the
    HTML parser keeps them, and lxml then refuses to copy the text they are in."""
    title = "Glasshouse Bay renewed"
    paragraphs = list(STORY)
    if where == "paragraph":
        paragraphs[1] = paragraphs[1].replace("writers had", "writers&#11;had")
    elif where == "hex reference":
        paragraphs[1] = paragraphs[1].replace("writers had", "writers&#x0C;had")
    elif where == "title":
        title = "Glasshouse&#11;Bay renewed"
    elif where == "escape":
        paragraphs[1] = paragraphs[1].replace("writers had", "writers&#27had")
    body = page_html(title, paragraphs)
    if where == "raw byte":
        body = body.replace(b"writers had", b"writers\x0bhad")

    extracted = extract_article(body, URL)
    assert STORY[0] in extracted.text and STORY[2] in extracted.text
    assert "the writers had already mapped out" in extracted.text or where == "escape"
    assert extracted.title == "Glasshouse Bay renewed"
    assert xml_safe(extracted.text) == extracted.text


def test_feed_of_an_archive_filled_before_sanitising_is_well_formed(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "archive.db")
    saved = save_page(db, fetched_page(URL, page_html("Glasshouse Bay renewed", STORY)))
    # what an older version stored from a hostile page, written as it would have been
    with db.conn:
        db.conn.execute(
            "UPDATE articles SET title = ?, description = ?, author = ?, canonical_url = ? "
            "WHERE id = ?",
            [
                "Glasshouse\x08 Bay renewed",
                "A third\x1b season",
                "Rae\x0c Lindqvist",
                SCRIPT_URL,
                saved.article_id,
            ],
        )
        db.conn.execute(
            "UPDATE pages SET title = ?, site_name = ? WHERE id = ?",
            ["Glasshouse\x01 Bay", "Tid\x02ings", saved.page_id],
        )

    for document in _atom_documents(db):
        [entry] = document.findall(f"{ATOM}entry")
        assert entry.findtext(f"{ATOM}title") == "Glasshouse Bay renewed"
        assert entry.findtext(f"{ATOM}summary") == "A third season"
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Rae  Lindqvist"
        # the javascript: canonical gives way to the page the story was stored from
        assert _hrefs(document) == [URL]


def test_sanitiser_rules() -> None:
    assert xml_safe("tab\tline\nend\r ok") == "tab\tline\nend\r ok"
    assert xml_safe("a\x00b\x08c\x0bd\x0ce\x1bf\ud800g\udfffh\ufffei\uffffj") == "abc d efghij"
    assert xml_safe("emoji \U0001f600 and \x85 stay") == "emoji \U0001f600 and \x85 stay"
    html = "<p>a&#11;b&#x0c;c&#27d&#0;e&#xD800;f&#1114112;g &#8217; &#x2019; &amp;#11;</p>"
    assert xml_safe_html_utf8(html) == b"<p>a b cdefg &#8217; &#x2019; &amp;#11;</p>"
    for not_a_reference in ("&#;", "&#x;", "&#xg;", "&#a", "&#"):
        assert xml_safe_html_utf8(not_a_reference) == not_a_reference.encode()
    # beyond what int() converts, and leading zeros that a backtracking pattern would
    # rescan for each of them
    assert xml_safe_html_utf8("a&#" + "9" * 5000 + ";b") == b"ab"
    zeros = "a&#" + "0" * 200_000 + "39;b"
    assert xml_safe_html_utf8(zeros) == zeros.encode()
    # raw: controls, lone surrogates and non-characters go, Hangul (UTF-8 lead byte ED,
    # like a surrogate's) and other text stay
    raw = "\x00a\x0bb\ud800c\ufffed\uffff \ud55c\uae00 caf\u00e9 \U0001f600"
    assert xml_safe_html_utf8(raw) == "a bcd \ud55c\uae00 caf\u00e9 \U0001f600".encode()
    assert xml_safe_html_utf8("\ud55c <p>ok</p>") == "\ud55c <p>ok</p>".encode()
    assert http_url("https://x.example/a", None) == "https://x.example/a"
    assert http_url("/a", "https://x.example/b") == "https://x.example/a"
    for bad in (SCRIPT_URL, " JavaScript:alert(1)", "data:text/html,hi", "https:///a", "/a"):
        assert http_url(bad, None) is None
    assert http_url("https://x.example/a\x08b", None) is None
