"""Datasette plugin for reprint archives (registered as the ``datasette`` entry point
``reprint``, so a bare ``datasette archive.db`` gets it as well as ``reprint serve``).

For every database that is a reprint archive (it has reprint's migrations) it adds:

- the first archive is served as ``archive`` (``/archive/...``) whatever its file is
  called, unless another database already has that name;
- metadata (archive/web/metadata.py): titles, descriptions, facets, FTS (raw FTS5
  syntax) on ``articles`` and the ``catalog`` view, internal tables hidden, canned queries;
- pages that read like a news site (templates in archive/web/templates): the home page
  is the stories (search box, most copied, newest); a story's page (its ``articles`` row)
  shows headline, byline, date, text as paragraphs and every place it ran; the search
  page ranks by relevance with highlighted snippets;
- article text rendered as paragraphs, search matches highlighted, ``catalog`` titles
  linked to their story;
- ``/-/reprint/feed.atom``: the deduplicated Atom feed (one entry per story);
- ``/-/reprint/stats``: charts of articles per day per site and syndication fan-out.

Other databases served beside it are left alone, except for what protects the server
itself, which holds for every database and request: SQLite length limits on each
connection, error pages without datasette's traceback printing, and ``/-/databases``
without file paths.
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from typing import TYPE_CHECKING, Any

from datasette import hookimpl
from datasette.utils.asgi import Base400, NotFound, Response
from markupsafe import Markup, escape

from archive.db import connect_readonly
from archive.settings import (
    READ_CACHE_KIB,
    SERVE_SQL_MAX_TEXT_BYTES,
    SERVE_SQL_MAX_VALUE_BYTES,
)
from archive.web.metadata import ARCHIVE_NAME, FEED_PATH, STATS_PATH, archive_metadata

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from datasette.app import Datasette
    from datasette.utils.asgi import Request
    from jinja2 import Environment

CSS_PATH = "/-/reprint/reprint.css"
# Stories in each list of the home page: a screenful, read from indexes (copies, published).
HOME_STORIES = 10
# sqlite_utils' migration table, with the migration set name reprint uses (archive/db.py)
_ARCHIVE_CHECK_SQL = (
    "SELECT 1 FROM sqlite_master WHERE name = 'articles_fts' "
    "AND EXISTS (SELECT 1 FROM _sqlite_migrations WHERE migration_set = 'reprint')"
)
_is_archive: dict[str, bool] = {}  # by file path: checked once per process


def is_reprint_archive(path: str) -> bool:
    """Whether the SQLite file at ``path`` is a reprint archive (cached per path)."""
    if path not in _is_archive:
        try:
            conn = connect_readonly(path)  # read-only media too
            try:
                _is_archive[path] = conn.execute(_ARCHIVE_CHECK_SQL).fetchone() is not None
            finally:
                conn.close()
        except sqlite3.Error:  # not SQLite, or no _sqlite_migrations table: not ours
            _is_archive[path] = False
    return _is_archive[path]


def archive_names(datasette: Datasette) -> list[str]:
    """Names of the served databases that are reprint archives, in serving order."""
    return [
        name
        for name, db in datasette.databases.items()
        if db.path and not db.is_memory and is_reprint_archive(db.path)
    ]


@hookimpl
def get_metadata(datasette: Datasette, key: str, database: str, table: str) -> dict[str, Any]:
    merged: dict[str, Any] = {"databases": {}}
    for name in archive_names(datasette):
        merged["databases"].update(archive_metadata(name)["databases"])
    return merged


def _paragraphs(text: str) -> Markup:
    return Markup('<div class="reprint-text">{}</div>').format(
        Markup("").join(Markup("<p>{}</p>").format(line) for line in text.splitlines() if line)
    )


def highlighted(value: str) -> Markup:
    # archive.search's markers (char(2)/char(3) in the canned query) around each match
    return Markup(
        str(escape(value)).replace("\x02", '<mark class="reprint-hit">').replace("\x03", "</mark>")
    )


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Datasette
) -> Markup | None:
    if not isinstance(value, str) or database not in archive_names(datasette):
        return None
    if "\x02" in value:
        return highlighted(value)
    if column == "title" and table == "catalog":  # the view always has its id column
        # the view has no primary key, so datasette links its rows nowhere: link the story
        href = datasette.urls.row(database, "articles", str(row["id"]))
        return Markup('<a href="{}">{}</a>').format(href, value)
    if column == "text" and table in ("articles", "pages"):
        return _paragraphs(value)
    if column == "tags" and value.startswith("["):
        try:
            tags = json.loads(value)
        except json.JSONDecodeError:
            return None
        return Markup(", ").join(escape(t) for t in tags if isinstance(t, str))
    return None


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Datasette) -> None:
    # every connection, archive or not: any visitor can run SQL on any served database
    # (see archive/settings.py); a query past a limit fails with "string or blob too big"
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SERVE_SQL_MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, SERVE_SQL_MAX_TEXT_BYTES)
    if database in archive_names(datasette):
        conn.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")  # see archive/settings.py


@hookimpl
def extra_css_urls(datasette: Datasette, database: str | None) -> list[str]:
    if database and database not in archive_names(datasette):
        return []
    return [datasette.urls.path(CSS_PATH)]


def _archive(datasette: Datasette, request: Request) -> str:
    names = archive_names(datasette)
    wanted = request.args.get("db")
    if wanted:
        if wanted not in names:
            raise NotFound(f"no reprint archive named {wanted!r} is served here")
        return wanted
    if not names:
        raise NotFound("no reprint archive is served here")
    return names[0]


def _open(conn: sqlite3.Connection) -> Any:
    from sqlite_utils import Database

    # datasette's read connection, used as is (no PRAGMA changes)
    return Database(conn, recursive_triggers=False)


def parse_feed_limit(raw: str | None, default: int, cap: int) -> int | None:
    """The feed's entry count from its ``limit`` parameter, or None when it is invalid.

    :param raw: the parameter as given (None or empty: ``default``)
    :param default: entries when no limit is given
    :param cap: most entries served; larger limits are clamped to it
    :returns: a count in 1..cap, or None for anything but a decimal integer >= 1 (a
        negative or zero limit meant "no limit" to the export code below)
    """
    if not raw:
        return default
    # str.isdecimal, not int(): int() takes signs, spaces and underscores ("-1", " 1_0")
    if not (raw.isascii() and raw.isdecimal()):
        return None
    # no int() of a huge digit string: Python refuses those above 4300 digits (ValueError)
    if len(raw.lstrip("0")) > len(str(cap)):
        return cap
    value = int(raw)
    return min(value, cap) if value >= 1 else None


async def feed_view(datasette: Datasette, request: Request) -> Response:
    """The Atom feed: ?db=NAME&site=HOST&q=QUERY&limit=N (newest stories first)."""
    from archive.export import Selection, atom_feed
    from archive.settings import FEED_SERVED_ENTRIES, FEED_SERVED_MAX_ENTRIES

    name = _archive(datasette, request)
    limit = parse_feed_limit(
        request.args.get("limit"), FEED_SERVED_ENTRIES, FEED_SERVED_MAX_ENTRIES
    )
    if limit is None:
        return Response.text("limit must be a whole number of at least 1", status=400)
    selection = Selection(
        site=request.args.get("site") or None, query=request.args.get("q") or None, limit=limit
    )
    self_url = datasette.absolute_url(request, request.full_path)

    def write(conn: sqlite3.Connection) -> bytes:
        out = io.BytesIO()
        atom_feed(_open(conn), out, selection, name=name, self_url=self_url)
        return out.getvalue()

    from archive.errors import ArchiveError

    try:
        body = await datasette.get_database(name).execute_fn(write)
    except ArchiveError as exc:
        return Response.text(str(exc), status=400)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


async def stats_view(datasette: Datasette, request: Request) -> Response:
    """Charts of the archive (SVG inline) in datasette's page layout."""
    from archive.charts import chart_data, render_svg
    from archive.read import archive_totals

    name = _archive(datasette, request)

    def read(conn: sqlite3.Connection) -> tuple[str, dict[str, Any]]:
        db = _open(conn)
        return render_svg(chart_data(db)), archive_totals(db)

    svg, totals = await datasette.get_database(name).execute_fn(read)
    return Response.html(
        await datasette.render_template(
            "reprint_stats.html",
            {
                "database": name,
                "charts": Markup(svg),
                "totals": totals,
                "feed_url": datasette.urls.path(f"{FEED_PATH}?db={name}"),
            },
            request=request,
        )
    )


async def css_view(datasette: Datasette, request: Request) -> Response:
    """The plugin's stylesheet (served by route: independent of how the plugin is named)."""
    from importlib.resources import files

    css = (files("archive.web") / "static" / "reprint.css").read_text()
    return Response(css, content_type="text/css; charset=utf-8")


async def databases_view(datasette: Datasette, request: Request) -> Response:
    """``/-/databases(.json)``, replacing datasette's: the same list without each file's
    absolute path, which told any visitor the server's directory layout."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    data = [
        {
            "name": db.name,
            "route": db.route,
            "size": db.size,
            "is_mutable": db.is_mutable,
            "is_memory": db.is_memory,
            "hash": db.hash,
        }
        for name, db in datasette.databases.items()
        if name != "_internal"
    ]
    if request.url_vars.get("format"):
        return Response.json(data)
    return Response.html(
        await datasette.render_template(
            "show_json.html",
            {"filename": "databases.json", "data_json": json.dumps(data, indent=4)},
            request=request,
        )
    )


# datasette's default error handler (a plugin of its own): every hook implementation's
# response is awaited, so answering first does not stop it printing; it is blocked instead
_DEFAULT_EXCEPTION_HANDLER = "datasette.handle_exception"


@hookimpl
def startup(datasette: Datasette) -> None:
    from datasette.plugins import pm

    # pluggy unregisters it and refuses it later; handle_exception below takes its place
    pm.set_blocked(_DEFAULT_EXCEPTION_HANDLER)
    serve_first_archive_as_archive(datasette)


def serve_first_archive_as_archive(datasette: Datasette) -> None:
    """Name the first served archive ``archive`` (URLs ``/archive/...``), whatever its file
    is called (datasette names a database after its file: demo.db -> demo), so the
    README's URLs hold for every archive; left as is when another database has the name."""
    names = archive_names(datasette)
    taken = {n for n, db in datasette.databases.items() for n in (n, db.route)}
    if not names or ARCHIVE_NAME in taken:
        return
    db = datasette.databases[names[0]]
    # datasette's documented way to change what is served, from a startup hook
    datasette.remove_database(names[0])
    datasette.add_database(db, name=ARCHIVE_NAME, route=ARCHIVE_NAME)


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette: Datasette) -> None:
    env.filters["reprint_highlight"] = highlighted
    env.filters["reprint_paragraphs"] = _paragraphs


def _home_stories(conn: sqlite3.Connection) -> dict[str, Any]:
    from archive.read import most_copied

    db = _open(conn)
    newest = db.execute(
        "SELECT id, title, site, site_name, published, copies FROM articles"
        " ORDER BY published DESC, id DESC LIMIT ?",
        [HOME_STORIES],
    )
    keys = [d[0] for d in newest.description]
    return {
        "most_copied": [a for a in most_copied(db, limit=HOME_STORIES) if a["copies"] > 1],
        "newest": [dict(zip(keys, row, strict=True)) for row in newest.fetchall()],
        "stories": db.execute("SELECT count(*) FROM articles").fetchone()[0],
    }


def _story(article_id: int) -> Callable[[sqlite3.Connection], dict[str, Any] | None]:
    def read(conn: sqlite3.Connection) -> dict[str, Any] | None:
        from archive.read import ArticleNotFound, get_article

        try:
            return get_article(_open(conn), article_id)
        except ArticleNotFound:
            return None

    return read


@hookimpl
def extra_template_vars(
    template: str,
    database: str | None,
    table: str | None,
    view_name: str,
    request: Request | None,
    datasette: Datasette,
) -> Callable[[], Awaitable[dict[str, Any]]] | None:
    """The stories of the home page and the story (with its copies) of a story's page."""
    names = archive_names(datasette)
    if not names or request is None:
        return None
    if view_name == "index":
        name = names[0]

        async def home() -> dict[str, Any]:
            stories = await datasette.get_database(name).execute_fn(_home_stories)
            return {"reprint_home": {"database": name, **stories}}

        return home
    pks = request.url_vars.get("pks", "")
    if view_name == "row" and table == "articles" and database in names and pks.isdigit():

        async def story() -> dict[str, Any]:
            found = await datasette.get_database(database).execute_fn(_story(int(pks)))
            return {"reprint_story": found}

        return story
    return None


@hookimpl
def handle_exception(datasette: Datasette, request: Request, exception: Exception) -> Any:
    """Error responses in place of datasette's default handler, which prints a rich
    traceback with every frame's locals for each error, 404s included: 0.3-0.6 s of
    event-loop CPU and ~16 KB of output per request, a lever for anyone sending bad URLs.

    Each error prints one line to stderr (a client error its status, path and reason; an
    unexpected exception, a 500, its type and message). The body is JSON for ``.json``
    URLs, else a one-line text page.

    :param datasette: the instance (``--pdb`` still opens the debugger)
    :param request: the request that failed
    :param exception: what was raised
    """
    if datasette.pdb:
        import pdb

        pdb.post_mortem(exception.__traceback__)
    from datasette.views.base import DatasetteError

    if isinstance(exception, Base400):
        status, message = exception.status, str(exception.args[0] if exception.args else "")
    elif isinstance(exception, DatasetteError):
        # its message can be HTML (message_is_html); served as text below, never as markup
        status, message = exception.status, str(exception.message)
    else:
        status, message = 500, "internal error"
    said = message if status != 500 else f"{type(exception).__name__}: {exception}"
    # one short line, whatever the request: a bad URL must not flood the console
    line = " ".join(f"reprint: {status} {request.path[:200]}: {said[:200]}".split())
    print(line, file=sys.stderr)
    from datasette.utils import add_cors_headers

    headers: dict[str, str] = {}
    if datasette.cors:
        add_cors_headers(headers)
    if request.path.endswith(".json"):
        body = {"ok": False, "error": message, "status": status}
        return Response.json(body, status=status, headers=headers)
    return Response.text(f"{status}: {message}", status=status, headers=headers)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        # plugin routes are matched before datasette's own, so this one replaces it
        (r"^/-/databases(\.(?P<format>json))?$", databases_view),
        (rf"^{FEED_PATH.replace('.', '[.]')}$", feed_view),
        (rf"^{STATS_PATH}$", stats_view),
        (rf"^{CSS_PATH.replace('.', '[.]')}$", css_view),
    ]
