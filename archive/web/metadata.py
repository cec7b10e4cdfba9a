"""Datasette metadata for a reprint archive: titles, descriptions, facets, FTS, canned queries.

Plain data, so it is served the same by `reprint serve` and by a bare `datasette
archive.db` (through the plugin in archive/web/__init__.py).
"""

from __future__ import annotations

from typing import Any

from archive.search import ELLIPSIS
from archive.settings import SNIPPET_TOKENS

# The name (and URL) the first served archive gets, whatever its file is called.
ARCHIVE_NAME = "archive"
STATS_PATH = "/-/reprint/stats"
FEED_PATH = "/-/reprint/feed.atom"

# Canned queries (datasette "queries"): named, parameterised, read-only SQL.
QUERIES: dict[str, dict[str, Any]] = {
    "most_copied": {
        "title": "Stories with the most copies",
        "description": "The stories that ran in the most places (original plus syndicated copies).",
        "sql": (
            "select id, title, site_name, site, copies, published, first_seen\n"
            "from articles\n"
            "where copies > 1\n"
            "order by copies desc, first_seen desc\n"
            "limit 100"
        ),
    },
    "new_since_yesterday": {
        "title": "New since yesterday",
        "description": "Stories first seen in the last 24 hours, newest first.",
        "sql": (
            "select id, title, site_name, site, copies, published, first_seen\n"
            "from articles\n"
            "where first_seen >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-1 day')\n"
            "order by first_seen desc\n"
            "limit 500"
        ),
    },
    "copies_of_article": {
        "title": "Copies of an article",
        "description": "Every page one story ran on (give its article id), the original first.",
        "sql": (
            "select pages.id as page_id, pages.site, pages.site_name, pages.title, pages.url,\n"
            "  pages.published, pages.similarity, pages.fetched_at,\n"
            "  pages.id = articles.representative_page_id as original\n"
            "from pages join articles on articles.id = pages.article_id\n"
            "where pages.article_id = :article_id\n"
            "order by original desc, pages.published, pages.id"
        ),
    },
    "search_with_snippet": {
        "title": "Search with snippet",
        "description": (
            'Full-text search, best match first. Words, "phrases", OR, NOT, prefix*; '
            "matches are highlighted in the snippet."
        ),
        # char(2)/char(3) mark the match; the plugin's render_cell turns them into <mark>.
        # No query yet (the page opened without ?q=) matches nothing ('""', an empty
        # phrase) instead of failing as an FTS5 syntax error.
        "sql": (
            "select articles.id, articles.title, articles.site_name, articles.published,\n"
            "  articles.copies,\n"
            f"  snippet(articles_fts, 2, char(2), char(3), '{ELLIPSIS}', {SNIPPET_TOKENS})"
            " as snippet\n"
            "from (\n"
            "  select rowid as id, bm25(articles_fts) as rank from articles_fts\n"
            "  where articles_fts match coalesce(nullif(trim(:q), ''), '\"\"')\n"
            "  order by rank limit 50\n"
            ") as top\n"
            # snippets for the 50 kept hits only (as archive/search.py does)
            "cross join articles_fts on articles_fts.rowid = top.id\n"
            "  and articles_fts match coalesce(nullif(trim(:q), ''), '\"\"')\n"
            "join articles on articles.id = top.id\n"
            "order by top.rank"
        ),
    },
}


# Tables a reader has no use for (raw bodies, change log, dedup and boilerplate-learning
# state, migrations): hidden from the listings, still reachable by URL and SQL.
INTERNAL_TABLES = (
    "raw",
    "article_changes",
    "page_versions",
    "site_lines",
    "site_line_counts",
    "site_stories",
    "dedup_signatures",
    "dedup_bands",
    "dedup_meta",
    "_sqlite_migrations",
    "sqlite_sequence",
)
# What the search boxes of `articles` and `catalog` take: FTS5 syntax as written
# ("season 2" NOT interview, seas*), not datasette's default of escaping it.
STORY_SEARCH = {"fts_table": "articles_fts", "fts_pk": "id", "searchmode": "raw"}


def archive_metadata(name: str) -> dict[str, Any]:
    """Datasette metadata for the reprint archive served as database ``name``.

    :param name: datasette's name for the database (``archive`` for the first archive
        served; the file's stem for others: news.db -> news)
    """
    links = (
        f'<a href="{STATS_PATH}?db={name}">charts</a> (articles per day per site, '
        f'syndication fan-out) · <a href="{FEED_PATH}?db={name}">Atom feed</a> '
        "(one entry per story)"
    )
    story_facets = ["site", "language", "author"]
    return {
        "databases": {
            name: {
                "title": "reprint archive" if name == ARCHIVE_NAME else f"reprint archive: {name}",
                "description_html": (
                    "Syndicated entertainment news, one row per story in <code>articles</code> "
                    "(full text searchable), every place it ran in <code>pages</code>. "
                    f"Browse by month in <code>catalog</code>. {links}"
                ),
                "queries": QUERIES,
                "tables": {
                    "articles": {
                        "description": (
                            "One row per story: the text and metadata of its representative "
                            "copy (the original publisher), and how many places it ran."
                        ),
                        "facets": story_facets,
                        **STORY_SEARCH,
                        "label_column": "title",
                        "sort_desc": "published",
                        "size": 20,
                    },
                    "catalog": {
                        "description": (
                            "One row per story without its text, for browsing: facet by site, "
                            "language, author and month; search with the box."
                        ),
                        "facets": [*story_facets, "month"],
                        **STORY_SEARCH,
                        "label_column": "title",
                        "sort_desc": "published",
                    },
                    "pages": {
                        "description": (
                            "One row per fetched URL: a copy of a story as it ran there "
                            "(article_id), with its HTTP metadata and own text."
                        ),
                        "facets": ["site", "http_status"],
                        "label_column": "url",
                    },
                    "crawls": {"description": "Every crawl: spider, start, end, status, stats."},
                    "sources": {"description": "Configured feeds, sitemaps and sites."},
                    "page_failures": {
                        "description": "Pages a crawl fetched but could not extract or "
                        "store: URL, reason, detail.",
                        "facets": ["reason"],
                    },
                    **{table: {"hidden": True} for table in INTERNAL_TABLES},
                    "raw": {
                        "description": "Response bodies as fetched (zstd); see reprint export "
                        "--format warc.",
                        "hidden": True,
                    },
                    "article_changes": {
                        "description": "Change log behind incremental exports (--after).",
                        "hidden": True,
                    },
                },
            }
        }
    }
