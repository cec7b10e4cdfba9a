"""Atom: a deduplicated feed, one entry per story, not per copy, listing every place it ran.

A reader subscribed to an original outlet and to its syndicators sees a syndicated story
once: the entry id is the article's, whatever page carried it, and the entry links every
copy (``rel="related"``). Written as a stream, so an export of every story stays in
constant memory.
"""

from __future__ import annotations

import html
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from archive.export.records import SCHEMA_VERSION
from archive.export.selection import Selection, run_selection, snapshot
from archive.metadata import utc_timestamp
from archive.sanitize import http_url, xml_safe
from archive.settings import FEED_SUMMARY_WORDS

if TYPE_CHECKING:
    from sqlite_utils import Database

ATOM_NS = "http://www.w3.org/2005/Atom"
# Entry ids: stable for as long as the story exists, the same in every feed of the archive.
ENTRY_ID = "urn:reprint:article:{id}"
FEED_ID = "urn:reprint:feed:{name}"
_COLUMNS = (
    "a.id, a.title, a.author, a.published, a.description, a.text, a.site, a.site_name, "
    "a.canonical_url, a.copies, c.changed_at, "
    "(SELECT json_group_array(json_array(p.url, p.site, p.site_name, p.title, p.published)) "
    "FROM pages p WHERE p.article_id = a.id)"
)
# newest stories first; the index on first_seen serves it without sorting the archive
_ORDER = "a.first_seen DESC, a.id DESC"


def archive_name(db: Database) -> str:
    """The archive's name: its file name without the extension ("archive" for archive.db)."""
    for _seq, schema, path in db.execute("PRAGMA database_list").fetchall():
        if schema == "main" and path:
            return Path(path).stem
    return "archive"


def _summary(description: str | None, text: str | None) -> str:
    if description:
        return description
    words = (text or "").split()
    more = "…" if len(words) > FEED_SUMMARY_WORDS else ""
    return " ".join(words[:FEED_SUMMARY_WORDS]) + more


def _place_html(url: str, name: str) -> str:
    # a reader's HTML view follows these links: only web addresses become one
    if http_url(url, None) is None:
        return html.escape(name)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(name)}</a>'


def _content_html(text: str | None, places: list[list[Any]]) -> str:
    paragraphs = "".join(
        f"<p>{html.escape(line)}</p>" for line in (text or "").splitlines() if line.strip()
    )
    items = "".join(
        f"<li>{_place_html(url, site_name or site or url)}"
        + (f" — {html.escape(title)}" if title else "")
        + (f" ({html.escape(published[:10])})" if published else "")
        + "</li>"
        for url, site, site_name, title, published in places
    )
    count = len(places)
    ran = f"This story ran in {count} place{'s' if count != 1 else ''}:"
    return f"{paragraphs}<p>{ran}</p><ul>{items}</ul>"


def _attributes(attrs: dict[str, str]) -> AttributesImpl:
    return AttributesImpl({key: xml_safe(value) for key, value in attrs.items()})


class _Atom:
    """Small helper over XMLGenerator: elements with text, empty elements.

    Every string written loses the characters XML cannot hold: extraction removes them
    (archive/sanitize.py), but an archive filled by an older version may still have
    them, and one of them would make the whole feed ill-formed.
    """

    def __init__(self, out: io.TextIOBase) -> None:
        self.xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)

    def start(self, name: str, **attrs: str) -> None:
        self.xml.startElement(name, _attributes(attrs))

    def end(self, name: str) -> None:
        self.xml.endElement(name)

    def text(self, name: str, value: str | None, **attrs: str) -> None:
        if value is None:
            return
        self.xml.startElement(name, _attributes(attrs))
        self.xml.characters(xml_safe(value))
        self.xml.endElement(name)

    def empty(self, name: str, **attrs: str) -> None:
        self.xml.startElement(name, _attributes(attrs))
        self.xml.endElement(name)


def write(
    db: Database,
    selection: Selection,
    upto: int,
    out: BinaryIO,
    *,
    name: str | None = None,
    self_url: str | None = None,
) -> int:
    """Write an Atom feed of the selected stories, newest first; return the entry count.

    Call inside :func:`archive.export.selection.snapshot` (``upto`` is its cursor), or
    use :func:`atom_feed`.

    :param db: the archive
    :param selection: which stories (deleted ones never become entries)
    :param upto: the snapshot's cursor
    :param out: binary stream
    :param name: the archive's name, in the feed's title and id (default: the file's stem)
    :param self_url: where the feed is served, for its ``rel="self"`` link
    """
    name = name or archive_name(db)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)
    try:
        atom = _Atom(text)
        atom.xml.startDocument()
        atom.start("feed", xmlns=ATOM_NS)
        atom.text("id", FEED_ID.format(name=name))
        atom.text("title", f"reprint: {name} (one entry per story)")
        atom.text("subtitle", "Each syndicated story once, with every place it ran, newest first.")
        last = db.execute(
            "SELECT max(changed_at) FROM article_changes WHERE seq <= ?", [upto]
        ).fetchone()[0]
        atom.text("updated", utc_timestamp(last) or utc_timestamp(datetime.now(UTC).isoformat()))
        atom.text("generator", "reprint", version=f"schema {SCHEMA_VERSION}")
        if self_url:
            atom.empty("link", rel="self", type="application/atom+xml", href=self_url)
        # entries without a byline inherit this (Atom requires an author for each entry)
        atom.start("author")
        atom.text("name", "reprint archive")
        atom.end("author")
        rows = run_selection(db, selection, upto, _COLUMNS, order=_ORDER)
        count = 0
        for row in rows:
            if row[0] is None:  # a tombstone of an --after selection
                continue
            _entry(atom, *row)
            count += 1
        atom.end("feed")
        atom.xml.endDocument()
        text.flush()
    finally:
        text.detach()  # leave `out` open: it belongs to the caller
    return count


def _entry(
    atom: _Atom,
    article_id: int,
    title: str | None,
    author: str | None,
    published: str | None,
    description: str | None,
    text: str | None,
    site: str | None,
    site_name: str | None,
    canonical_url: str | None,
    copies: int | None,
    changed_at: str | None,
    places_json: str,
) -> None:
    places: list[list[Any]] = json.loads(places_json)
    atom.start("entry")
    atom.text("id", ENTRY_ID.format(id=article_id))
    atom.text("title", title or "(untitled)")
    atom.text("updated", utc_timestamp(changed_at))
    atom.text("published", utc_timestamp(published))
    if author:
        atom.start("author")
        atom.text("name", author)
        atom.end("author")
    # hrefs are web addresses only: an older archive may hold a javascript: canonical
    links = [url for url, *_ in places if http_url(url, None)]
    original = http_url(canonical_url, None) or (links[0] if links else None)
    if original:
        atom.empty("link", rel="alternate", type="text/html", href=original)
    for url, place_site, place_name, _title, _published in places:
        if url != original and url in links:
            atom.empty(
                "link",
                rel="related",
                type="text/html",
                href=url,
                title=place_name or place_site or url,
            )
    if site:
        atom.empty("category", term=site, label=site_name or site)
    atom.text("summary", _summary(description, text))
    atom.text("content", _content_html(text, places), type="html")
    atom.end("entry")


def atom_feed(
    db: Database,
    out: BinaryIO,
    selection: Selection | None = None,
    *,
    name: str | None = None,
    self_url: str | None = None,
) -> int:
    """Write the Atom feed of the selected stories from one snapshot; return the entry count.

    :param db: the archive
    :param out: binary stream
    :param selection: filters and limit (default: every story)
    :param name: the archive's name, in the feed's title and id
    :param self_url: where the feed is served
    """
    with snapshot(db) as upto:
        return write(db, selection or Selection(), upto, out, name=name, self_url=self_url)
