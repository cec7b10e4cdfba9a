"""`reprint export`: every format read back and compared, incremental pulls, the feed."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator

from archive.db import MIGRATIONS, open_archive
from archive.errors import ArchiveOutdated
from archive.export import FIELDS, SCHEMA_VERSION, Selection, export
from archive.store import load_raw, save_page
from crawler.cli import cli

from .archive_builder import (
    LIGHTHOUSE,
    ORIGINAL,
    STORY,
    TOUR,
    add_page,
    build_archive,
    fetched_page,
    page_html,
)
from .conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

ATOM = "{http://www.w3.org/2005/Atom}"


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["export", *args])
    assert result.exit_code == 0, result.output
    return result


def cursor_of(result: Any) -> str:
    return result.stderr.strip().splitlines()[-1].removeprefix("cursor: ")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def csv_record(row: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field in FIELDS:
        value = row[field.name]
        if field.kind == "int":
            record[field.name] = int(value) if value else None
        elif field.kind == "bool":
            record[field.name] = value == "true"
        elif field.kind in ("tags", "places"):
            record[field.name] = json.loads(value) if value else None
        else:
            record[field.name] = value or None
    return record


def test_jsonl_csv_parquet_round_trip_to_the_same_records(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)
    outputs = {fmt: tmp_path / f"out.{fmt}" for fmt in ("jsonl", "csv", "parquet")}
    for fmt, out in outputs.items():
        result = run("--db", str(db_path), "--format", fmt, "--out", str(out))
        assert "exported 3 stories" in result.stderr
    records = read_jsonl(outputs["jsonl"])
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)  # change order
    assert list(records[0]) == [f.name for f in FIELDS]  # the documented field order
    by_id = {r["id"]: r for r in records}
    glasshouse = by_id[built.glasshouse]
    assert glasshouse["title"] == "Glasshouse Bay renewed"
    assert glasshouse["copies"] == 3 and glasshouse["deleted"] is False
    assert glasshouse["tags"] == ["TV", "Drama"]
    assert glasshouse["text"].splitlines() == STORY
    assert [p["site"] for p in glasshouse["places"]] == [
        "tidings.example",
        "syndicator.example",
        "dailyreel.example",
    ]
    assert [p["representative"] for p in glasshouse["places"]] == [True, False, False]
    assert by_id[built.lighthouse]["text"].splitlines() == LIGHTHOUSE

    with outputs["csv"].open(newline="", encoding="utf-8") as f:
        assert [csv_record(row) for row in csv.DictReader(f)] == records
    table = pq.read_table(outputs["parquet"])
    assert table.column_names == [f.name for f in FIELDS]
    assert table.schema.field("places").type.value_type.num_fields == 7
    assert table.to_pylist() == records


def test_stdout_is_the_default_and_the_cursor_goes_to_stderr(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    result = run("--db", str(db_path), "--site", "popdesk.example")
    [line] = result.stdout.splitlines()
    assert json.loads(line)["title"] == "Marisol Vance adds eleven tour dates"
    assert cursor_of(result).isdigit()
    dash = run("--db", str(db_path), "--site", "popdesk.example", "--out", "-")
    assert dash.stdout == result.stdout


# a story of its own (near-duplicate clustering would join an edited copy of TOUR to it)
NEW_STORY = [
    "A quiz show about maps returns this winter with a new host and a studio built to look "
    "like an old ship's chart room, its producers said at a launch on Wednesday evening.",
    "Contestants will navigate by paper charts alone, and the final round asks them to "
    "plot a course across a fictional archipelago drawn for the programme by an artist.",
    "The host, a former geography teacher, promised the questions would be fair but said "
    "nobody should expect an easy ride through the straits of the last round.",
    "Twelve episodes have been filmed and the series begins in the first week of January.",
]


def test_after_returns_exactly_what_is_new_changed_or_deleted(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)
    first = run("--db", str(db_path))
    assert len(first.stdout.splitlines()) == 3
    cursor = cursor_of(first)

    # nothing happened: nothing to pull, and the cursor stays
    again = run("--db", str(db_path), "--after", cursor)
    assert again.stdout == "" and cursor_of(again) == cursor

    # re-fetching an unchanged page is not a change (only last_seen moves)
    add_page(db_path, ORIGINAL, "Glasshouse Bay renewed", STORY, canonical=ORIGINAL)
    assert run("--db", str(db_path), "--after", cursor).stdout == ""

    # a new story, and a new copy of an old one (its places change)
    fresh = add_page(db_path, "https://popdesk.example/tv/new", "Brand new story", NEW_STORY)
    add_page(db_path, "https://gossipgrid.example/l", "Keeper film", LIGHTHOUSE)
    pulled = run("--db", str(db_path), "--after", cursor)
    changed = [json.loads(line) for line in pulled.stdout.splitlines()]
    assert sorted(r["id"] for r in changed) == sorted([fresh, built.lighthouse])
    assert next(r for r in changed if r["id"] == built.lighthouse)["copies"] == 2
    cursor = cursor_of(pulled)

    # the only page of a story changes text and joins another story: a tombstone for the
    # story that is gone, the other one changed
    add_page(db_path, "https://popdesk.example/tv/new", "Brand new story", TOUR)
    pulled = run("--db", str(db_path), "--after", cursor, "--site", "elsewhere.example")
    changed = [json.loads(line) for line in pulled.stdout.splitlines()]
    assert [(r["id"], r["deleted"]) for r in changed] == [(fresh, True)]  # tombstones unfiltered
    story_fields = [f for f in FIELDS[4:] if f.name != "schema_version"]
    assert all(r[f.name] is None for r in changed for f in story_fields)
    assert all(r["schema_version"] == SCHEMA_VERSION for r in changed)
    pulled = run("--db", str(db_path), "--after", cursor)
    assert {json.loads(line)["id"] for line in pulled.stdout.splitlines()} == {fresh, built.tour}


def test_filters_and_clear_errors(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)

    def ids(*args: str) -> list[int]:
        return [json.loads(x)["id"] for x in run("--db", str(db_path), *args).stdout.splitlines()]

    assert ids("--site", "tidings.example") == [built.glasshouse, built.lighthouse]
    assert ids("--since", "2025-05-10") == [built.lighthouse]
    # other ISO 8601 spellings of that day filter the same (the archive holds extended
    # ISO dates, compared as text: "20250510" once matched nothing)
    assert ids("--since", "20250510") == ids("--since", "2025-W19-6") == [built.lighthouse]
    assert ids("--query", "lighthouse OR vance") == [built.lighthouse, built.tour]
    assert len(ids("--limit", "2")) == 2

    out = tmp_path / "never.jsonl"
    for args, message in [
        (["--query", '"unbalanced'], "invalid search query"),
        (["--after", "yesterday"], "invalid export cursor 'yesterday'"),
        (["--after", "999999"], "ahead of this archive"),
        (["--since", "last week"], "expected a date such as 2025-06-01"),
    ]:
        result = CliRunner().invoke(cli, ["export", "--db", str(db_path), "--out", str(out), *args])
        assert result.exit_code != 0 and message in result.output, result.output
        assert "Traceback" not in result.output
        assert not out.exists() and not list(tmp_path.glob(".*.partial"))
    missing = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "nope.db")])
    assert missing.exit_code == 3 and "archive not found" in missing.output


def _export_to(db_path: Path, out: Path | str) -> Any:
    return CliRunner().invoke(cli, ["export", "--db", str(db_path), "--out", str(out)])


def test_out_refuses_fifos_and_symlinks_without_replacing_them(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    fifo = tmp_path / "stories.fifo"
    os.mkfifo(fifo)
    target = tmp_path / "kept.jsonl"
    target.write_text("keep me\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    for path, kind in [(fifo, "a FIFO"), (link, "a symbolic link")]:
        result = _export_to(db_path, path)
        assert result.exit_code == 1, result.output
        assert f"cannot write {path}: it is {kind}, not a regular file" in result.output
        assert "Traceback" not in result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "keep me\n"
    assert not list(tmp_path.glob(".*.partial"))


def test_out_refuses_a_directory(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inside.txt").write_text("x")
    result = _export_to(db_path, folder)
    assert result.exit_code == 2 and "is a directory" in result.output, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["inside.txt"]


def test_out_refuses_a_device_without_touching_it(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    result = _export_to(db_path, "/dev/null")
    assert result.exit_code == 1, result.output
    assert "cannot write /dev/null: it is a character device" in result.output
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert not os.path.exists("/dev/.null.partial")


def test_out_still_replaces_an_existing_regular_file(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    out = tmp_path / "stories.jsonl"
    out.write_text("an older export\n")
    stale = tmp_path / ".stories.jsonl.partial"
    stale.symlink_to(tmp_path / "elsewhere")  # a stale partial is replaced, not followed
    result = _export_to(db_path, out)
    assert result.exit_code == 0, result.output
    assert len(read_jsonl(out)) == 3 and not (tmp_path / "elsewhere").exists()
    assert not list(tmp_path.glob(".*.partial"))


def test_warc_holds_every_stored_response_readable_by_warcio(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    out = tmp_path / "archive.warc.gz"
    result = run("--db", str(db_path), "--format", "warc", "--out", str(out))
    assert "exported 6 responses" in result.stderr
    db = open_archive(db_path, readonly=True)
    pages = {
        row["final_url"]: row
        for row in db.query("SELECT final_url, raw_sha256, article_id, content_type FROM pages")
    }
    seen = {}
    with out.open("rb") as f:
        records = list(_records(f))
    assert records[0][0] == "warcinfo"
    for kind, uri, status, content_type, date, article_id, payload in records[1:]:
        assert kind == "response" and status == "200"
        assert payload == load_raw(db, pages[uri]["raw_sha256"])
        assert content_type == pages[uri]["content_type"]
        assert date.endswith("Z") and int(article_id) == pages[uri]["article_id"]
        seen[uri] = payload
    assert set(seen) == set(pages)
    db.close()


def _records(stream: io.BufferedReader) -> Any:
    for record in ArchiveIterator(stream):
        if record.rec_type == "warcinfo":
            yield ("warcinfo", None, None, None, None, None, None)
            continue
        yield (
            record.rec_type,
            record.rec_headers.get_header("WARC-Target-URI"),
            record.http_headers.get_statuscode(),
            record.http_headers.get_header("Content-Type"),
            record.rec_headers.get_header("WARC-Date"),
            record.rec_headers.get_header("WARC-Reprint-Article-Id"),
            record.content_stream().read(),
        )


def test_atom_feed_has_one_entry_per_story_listing_every_copy(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    built = build_archive(db_path)
    result = run("--db", str(db_path), "--format", "atom")
    feed = ET.fromstring(result.stdout_bytes)
    assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}updated")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3  # six pages, three stories
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 3
    entry = entries[ids.index(f"urn:reprint:article:{built.glasshouse}")]
    assert entry.findtext(f"{ATOM}title") == "Glasshouse Bay renewed"
    links = {link.get("rel"): [] for link in entry.findall(f"{ATOM}link")}
    for link in entry.findall(f"{ATOM}link"):
        links[link.get("rel")].append(link.get("href"))
    assert links["alternate"] == [ORIGINAL]
    assert sorted(links["related"]) == [
        "https://dailyreel.example/tv/glasshouse-bay",
        "https://syndicator.example/g",
    ]
    content = entry.findtext(f"{ATOM}content")
    assert "This story ran in 3 places" in content and "Cornish coast" in content
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Rae Lindqvist"
    assert entry.findtext(f"{ATOM}published") == "2025-05-01T08:00:00Z"


def test_export_streams_in_bounded_writes(tmp_path: Path) -> None:
    """Rows go out chunk by chunk as they are read: memory does not grow with the archive."""
    db_path = tmp_path / "archive.db"
    db = open_archive(db_path)
    text = " ".join(STORY)
    with db.conn:
        db.conn.executemany(
            "INSERT INTO articles (id, title, text, site, copies) VALUES (?, ?, ?, ?, 1)",
            [(i, f"story {i}", text, "tidings.example") for i in range(1, 2001)],
        )
    db.close()

    class Recorder(io.RawIOBase):
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            self.sizes.append(len(data))
            return len(data)

    db = open_archive(db_path, readonly=True)
    for fmt in ("jsonl", "csv"):
        out = Recorder()
        assert export(db, fmt, out).records == 2000
        assert len(out.sizes) > 3 and max(out.sizes) < sum(out.sizes) / 3
    db.close()


def test_archives_made_before_change_tracking_are_migrated(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    db = Database(db_path)
    MIGRATIONS.apply(db, stop_before="m005_change_log_and_browsing")
    save_page(db, fetched_page(ORIGINAL, page_html("Glasshouse Bay renewed", STORY)))
    db.close()
    readonly = open_archive(db_path, readonly=True)
    with pytest.raises(ArchiveOutdated, match="open it for writing once"):
        export(readonly, "jsonl", io.BytesIO())
    readonly.close()
    open_archive(db_path).close()  # what any crawl does first
    migrated = open_archive(db_path, readonly=True)
    out = io.BytesIO()
    assert export(migrated, "jsonl", out, Selection(after=0)).records == 1
    migrated.close()


def test_readme_documents_every_field_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("**Record schema**", 1)[1].split("\n\n", 2)[1]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert documented == [f.name for f in FIELDS]


@pytest.mark.slow
def test_export_and_stats_plot_start_without_scrapy(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    code = (
        "import sys; from crawler.cli import cli\n"
        f"for args in (['export', '--db', {str(db_path)!r}, '--format', 'parquet', '--out',"
        f" {str(tmp_path / 'x.parquet')!r}], ['stats', '--db', {str(db_path)!r}, '--plot',"
        f" {str(tmp_path / 'charts.svg')!r}]):\n"
        "    try:\n        cli(args)\n"
        "    except SystemExit as exc:\n        assert not exc.code, exc.code\n"
        "assert 'scrapy' not in sys.modules and 'twisted' not in sys.modules, 'slow start'\n"
        "assert 'datasette' not in sys.modules, 'datasette is for serve only'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    svg = (tmp_path / "charts.svg").read_text()
    assert svg.startswith("<svg") and "Articles per day per site" in svg
    assert "tidings.example" in svg and "Syndication fan-out" in svg


def test_every_format_carries_its_schema_version(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    build_archive(db_path)
    db = open_archive(db_path, readonly=True)
    outputs = {}
    for fmt in ("jsonl", "csv", "parquet", "warc", "atom"):
        out = io.BytesIO()
        export(db, fmt, out)
        outputs[fmt] = out.getvalue()
    version = SCHEMA_VERSION
    assert {json.loads(line)["schema_version"] for line in outputs["jsonl"].splitlines()} == {
        version
    }
    rows = list(csv.DictReader(io.StringIO(outputs["csv"].decode())))
    assert {row["schema_version"] for row in rows} == {str(version)}
    assert set(pq.read_table(io.BytesIO(outputs["parquet"]))["schema_version"].to_pylist()) == {
        version
    }
    info = next(iter(ArchiveIterator(io.BytesIO(outputs["warc"]))))
    assert info.rec_type == "warcinfo"
    assert f"reprint-schema-version: {version}" in info.content_stream().read().decode()
    generator = ET.fromstring(outputs["atom"]).find("{http://www.w3.org/2005/Atom}generator")
    assert generator is not None and generator.get("version") == f"schema {version}"
