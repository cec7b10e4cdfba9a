"""Reading the archive: one article with its copies, and totals."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from archive.errors import ArticleNotFound

if TYPE_CHECKING:
    from sqlite_utils import Database

# Columns of a copy as `reprint show` lists them
COPY_COLUMNS = (
    "id",
    "url",
    "site",
    "site_name",
    "title",
    "published",
    "canonical_url",
    "similarity",
    "http_status",
    "fetched_at",
    "source",
)


def get_article(db: Database, article_id: int) -> dict[str, Any]:
    """Return one article as a dict, with ``tags`` decoded and ``pages``: its copies,
    the representative first.

    :raises ArticleNotFound: no article has this id
    """
    row = db.execute("SELECT * FROM articles WHERE id = ?", [article_id]).fetchone()
    if row is None:
        raise ArticleNotFound(f"no article with id {article_id}")
    columns = [d[0] for d in db.execute("SELECT * FROM articles LIMIT 0").description]
    article = dict(zip(columns, row, strict=True))
    article["tags"] = json.loads(article["tags"] or "[]")
    article["pages"] = copies_of(db, article_id, article["representative_page_id"])
    return article


def copies_of(
    db: Database, article_id: int, representative_page_id: int | None
) -> list[dict[str, Any]]:
    """Every page one story ran on, as dicts of :data:`COPY_COLUMNS`: the representative
    first, then by publication date (the order `reprint show`, the API and the served
    story page list them in)."""
    return [
        dict(zip(COPY_COLUMNS, copy, strict=True))
        for copy in db.execute(
            f"SELECT {', '.join(COPY_COLUMNS)} FROM pages WHERE article_id = ?"
            " ORDER BY id = ? DESC, published, id",
            [article_id, representative_page_id],
        ).fetchall()
    ]


def archive_totals(db: Database) -> dict[str, Any]:
    """Counts of the archive: articles, pages, syndicated stories, sites, raw bytes, crawls."""

    def one(sql: str) -> Any:
        return db.execute(sql).fetchone()[0]

    return {
        "articles": one("SELECT count(*) FROM articles"),
        "pages": one("SELECT count(*) FROM pages"),
        "syndicated_articles": one("SELECT count(*) FROM articles WHERE copies > 1"),
        "sites": one("SELECT count(DISTINCT site) FROM pages"),
        "raw_bodies": one("SELECT count(*) FROM raw"),
        "raw_bytes": one("SELECT coalesce(sum(size), 0) FROM raw"),
        "raw_compressed_bytes": one("SELECT coalesce(sum(compressed_size), 0) FROM raw"),
        "crawls": one("SELECT count(*) FROM crawls"),
        "pages_per_site": dict(
            db.execute(
                "SELECT site, count(*) FROM pages GROUP BY site ORDER BY count(*) DESC, site"
            ).fetchall()
        ),
        "recent_crawls": [
            dict(zip(("id", "spider", "started", "finished", "status"), r, strict=True))
            for r in db.execute(
                "SELECT id, spider, started, finished, status FROM crawls ORDER BY id DESC LIMIT 5"
            ).fetchall()
        ],
    }


def most_copied(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    """The articles seen in the most places, most first, each with ``seen_on``: the
    names of the sites that ran it (publisher names where pages state them), the
    representative's first."""
    keys = ("id", "title", "site", "site_name", "copies", "representative_page_id")
    articles = [
        dict(zip(keys, row, strict=True))
        for row in db.execute(
            f"SELECT {', '.join(keys)} FROM articles ORDER BY copies DESC, id LIMIT ?", [limit]
        ).fetchall()
    ]
    by_id = {a["id"]: a for a in articles}
    names: dict[int, list[str]] = {a["id"]: [] for a in articles}
    marks = ", ".join("?" * len(by_id))
    rows = db.execute(
        f"SELECT id, article_id, coalesce(site_name, site) FROM pages"
        f" WHERE article_id IN ({marks}) ORDER BY id",
        list(by_id),
    ).fetchall()
    for _page_id, article_id, name in sorted(
        rows, key=lambda r: (r[0] != by_id[r[1]]["representative_page_id"], r[0])
    ):
        if name not in names[article_id]:
            names[article_id].append(name)
    for article in articles:
        article["seen_on"] = ", ".join(
            names[article.pop("representative_page_id") and article["id"]]
        )
    return articles
