"""`reprint search`, `show` and `stats`: read the archive."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from archive.read import archive_totals, get_article, most_copied
from archive.search import HIGHLIGHT_END, HIGHLIGHT_START, search
from archive.settings import SEARCH_DEFAULT_LIMIT
from crawler.cli.common import DATE, POSITIVE_INT, FilePath, _open, db_option, out
from crawler.cli.output import json_text, plain, styled


def _highlight(snippet: str) -> Text:
    text = Text()
    rest = snippet
    while HIGHLIGHT_START in rest:
        before, _, after = rest.partition(HIGHLIGHT_START)
        match, _, rest = after.partition(HIGHLIGHT_END)
        text.append(plain(before))
        text.append(plain(match), style="bold yellow")
    text.append(plain(rest))
    return text


@click.command(name="search")
@click.argument("query")
@db_option()
@click.option("--limit", default=SEARCH_DEFAULT_LIMIT, show_default=True, type=POSITIVE_INT)
@click.option(
    "--site", metavar="HOST", help="Only articles from this site (host, e.g. glossmag.example)."
)
@click.option("--since", type=DATE, help="Only articles published on/after this date.")
@click.option("--literal", is_flag=True, help="Search the words as typed (no FTS5 operators).")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
def search_command(
    query: str,
    db_path: str,
    limit: int,
    site: str | None,
    since: str | None,
    literal: bool,
    as_json: bool,
) -> None:
    """Full-text search of the articles (FTS5 syntax: words, "phrases", OR, NOT, prefix*)."""
    db = _open(db_path)
    try:
        hits = search(db, query, limit=limit, site=site, since=since, literal=literal)
    finally:
        db.close()
    if as_json:
        click.echo(json_text([h.to_dict() for h in hits]))
        return
    if not hits:
        out.print(f"no articles match {plain(repr(query))}")
        return
    for hit in hits:
        out.print(
            Text.assemble(
                (f"[{hit.id}] ", "dim"),
                styled(hit.title or "(untitled)", "bold"),
                f"  {plain(hit.site)} · {plain(hit.published or '?')} · "
                f"{hit.copies} cop{'y' if hit.copies == 1 else 'ies'}",
            )
        )
        out.print(_highlight(hit.snippet))
        out.print()


@click.command()
@click.argument("article_id", type=POSITIVE_INT)
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
@click.option("--no-text", is_flag=True, help="Omit the article text.")
def show(article_id: int, db_path: str, as_json: bool, no_text: bool) -> None:
    """Show one article with every copy of it (the representative first)."""
    db = _open(db_path)
    try:
        article = get_article(db, article_id)
    finally:
        db.close()
    if no_text:
        article.pop("text")
    if as_json:
        click.echo(json_text(article))
        return
    out.print(styled(article["title"] or "(untitled)", "bold"))
    for label in ("author", "published", "site", "canonical_url", "language", "image"):
        if article.get(label):
            out.print(f"{label}: {plain(article[label])}")
    if article["tags"]:
        out.print("tags: " + ", ".join(plain(tag) for tag in article["tags"]))
    out.print(f"words: {article['word_count']}  copies: {article['copies']}")
    if not no_text:
        out.print()
        out.print(plain(article["text"], multiline=True))
    out.print()
    out.print(Text(f"copies ({len(article['pages'])}, * the representative):", style="bold"))
    for page in article["pages"]:
        mark = "*" if page["id"] == article["representative_page_id"] else " "
        out.print(
            Text.assemble(
                f"{mark} [{page['id']}] ",
                styled(page["site_name"] or page["site"], "bold"),
                f"  {plain(page['title'] or '')}  (similarity {page['similarity'] or 0:.2f})",
            )
        )
        out.print(f"    {plain(page['url'])}")


@click.command()
@db_option()
@click.option("--json", "as_json", is_flag=True, help="Print the totals as JSON.")
@click.option(
    "--plot",
    type=FilePath(dir_okay=False, writable=True),
    metavar="FILE.svg",
    help="Also draw articles per day per site and syndication fan-out to this SVG file.",
)
def stats(db_path: str, as_json: bool, plot: str | None) -> None:
    """Totals of the archive: articles, copies, sites, storage, recent crawls."""
    db = _open(db_path)
    if plot:
        from archive.charts import chart_data, render_svg

        Path(plot).write_text(render_svg(chart_data(db)), encoding="utf-8")
    totals = archive_totals(db)
    top = most_copied(db, limit=5)
    db.close()
    if as_json:
        click.echo(json_text({**totals, "most_copied": top}))
        return
    out.print(f"articles: {totals['articles']} ({totals['syndicated_articles']} syndicated)")
    out.print(f"pages: {totals['pages']} on {totals['sites']} sites")
    ratio = totals["raw_bytes"] / max(totals["raw_compressed_bytes"], 1)
    out.print(
        f"raw HTML: {totals['raw_bodies']} bodies, {totals['raw_bytes']:,} bytes "
        f"stored in {totals['raw_compressed_bytes']:,} ({ratio:.1f}x)"
    )
    sites = Table(title="pages per site", title_justify="left")
    sites.add_column("site")
    sites.add_column("pages", justify="right")
    for name, count in totals["pages_per_site"].items():
        sites.add_row(plain(name), str(count))
    out.print(sites)
    copied = Table(title="most copied stories", title_justify="left")
    for column in ("id", "copies", "title"):
        copied.add_column(column)
    for row in top:
        copied.add_row(str(row["id"]), str(row["copies"]), plain(row["title"] or ""))
    out.print(copied)
    crawls = Table(title="recent crawls", title_justify="left")
    for column in ("id", "spider", "started", "finished", "status"):
        crawls.add_column(column)
    for row in totals["recent_crawls"]:
        crawls.add_row(
            *(plain(row[c] or "") for c in ("id", "spider", "started", "finished", "status"))
        )
    out.print(crawls)
    if plot:
        out.print(f"charts: {plain(plot)}")
