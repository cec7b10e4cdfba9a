"""The export record: one article with every place it ran (:data:`FIELDS`), as SQL that
SQLite turns into JSON, CSV lines or Parquet columns.

The record schema is documented in the README ("Exporting") and only ever grows: fields
are never renamed, retyped or removed, so readers must ignore fields they do not know.
Every record carries :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.export.selection import Selection, run_selection, snapshot
from archive.settings import EXPORT_CHUNK_ROWS

if TYPE_CHECKING:
    from sqlite_utils import Database

# Bumped only if a field ever had to change meaning (never so far): new fields are added
# without a bump, so readers must ignore fields they do not know.
SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an exported article."""

    name: str
    sql: str  # over `a` (articles) and `c` (article_changes); scalar or JSON text
    kind: str  # int | str | bool | tags | places
    doc: str


# Every place a story ran, in the order the pages were first archived.
PLACE_FIELDS = ("url", "site", "site_name", "title", "published", "first_seen", "representative")
_PLACES_SQL = (
    "CASE WHEN a.id IS NULL THEN NULL ELSE json((SELECT json_group_array(json_object("
    "'url', p.url, 'site', p.site, 'site_name', p.site_name, 'title', p.title, "
    "'published', p.published, 'first_seen', p.first_seen, 'representative', "
    "json(CASE WHEN p.id = a.representative_page_id THEN 'true' ELSE 'false' END))) "
    "FROM pages p WHERE p.article_id = a.id)) END"
)
_TAGS_SQL = (
    "CASE WHEN a.id IS NULL THEN NULL WHEN json_valid(a.tags) THEN json(a.tags) ELSE json('[]') END"
)

FIELDS: tuple[Field, ...] = (
    Field("id", "c.article_id", "int", "article (story) id"),
    Field("change_seq", "c.seq", "int", "sequence number of the article's latest change"),
    Field("deleted", "c.deleted", "bool", "true: a tombstone, the article no longer exists"),
    Field("changed_at", "c.changed_at", "str", "when that change was written (UTC, ISO 8601)"),
    Field("title", "a.title", "str", "headline of the representative copy"),
    Field("author", "a.author", "str", "byline (several authors joined by ', ')"),
    Field("published", "a.published", "str", "publication date or time, ISO 8601"),
    Field("updated", "a.updated", "str", "modification date the publisher states, ISO 8601"),
    Field("language", "a.language", "str", "ISO 639-1 code"),
    Field("site", "a.site", "str", "host of the representative copy (the original)"),
    Field("site_name", "a.site_name", "str", "publisher's name for that site"),
    Field("canonical_url", "a.canonical_url", "str", "rel=canonical of the representative"),
    Field("image", "a.image", "str", "lead image URL"),
    Field("description", "a.description", "str", "the publisher's summary"),
    Field("tags", _TAGS_SQL, "tags", "keywords, a list of strings"),
    Field("word_count", "a.word_count", "int", "words in text"),
    Field("text", "a.text", "str", "clean article text, paragraphs separated by newlines"),
    Field("copies", "a.copies", "int", "number of places the story ran"),
    Field("first_seen", "a.first_seen", "str", "first fetch of any copy (UTC, ISO 8601)"),
    Field("last_seen", "a.last_seen", "str", "latest fetch of any copy (not a change)"),
    Field("places", _PLACES_SQL, "places", f"every copy: objects of {', '.join(PLACE_FIELDS)}"),
    Field("schema_version", str(SCHEMA_VERSION), "int", "version of this record schema"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)


def _json_sql(field: Field) -> str:
    if field.kind == "bool":
        return f"json(CASE WHEN {field.sql} THEN 'true' ELSE 'false' END)"
    return field.sql  # tags/places are already json(...), which json_object embeds as JSON


JSON_OBJECT_SQL = "json_object({})".format(", ".join(f"'{f.name}', {_json_sql(f)}" for f in FIELDS))


def iter_records(db: Database, selection: Selection | None = None) -> Iterator[dict[str, Any]]:
    """Yield the selected articles as export records (dicts of :data:`FIELDS`), in change
    order, from one snapshot.

    :param db: the archive
    :param selection: filters (default: every live article)
    """
    with snapshot(db) as upto:
        rows = run_selection(db, selection or Selection(), upto, JSON_OBJECT_SQL)
        while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
            for (line,) in chunk:
                yield json.loads(line)
