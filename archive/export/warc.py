"""WARC 1.0: the stored responses of the selected articles, every copy, as fetched."""

from __future__ import annotations

import io
from http import HTTPStatus
from typing import TYPE_CHECKING, BinaryIO

from archive.export.records import SCHEMA_VERSION
from archive.export.selection import Selection, selection_sql
from archive.metadata import utc_timestamp

if TYPE_CHECKING:
    from sqlite_utils import Database


def _status_line(status: int | None) -> str:
    code = status or 200
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:  # a status outside the registry (e.g. 999 from some CDNs)
        return f"{code} Unknown"


def write(db: Database, selection: Selection, upto: int, out: BinaryIO) -> int:
    """WARC 1.0 (gzip per record): a warcinfo record, then one response record per stored
    page of the selected articles (every copy), with the body exactly as fetched.

    Returns the number of response records. Pages whose body is not stored are skipped.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archive import __version__
    from archive.store import load_raw

    writer = WARCWriter(out, gzip=True)
    writer.write_record(
        writer.create_warcinfo_record(
            "reprint-export.warc.gz",
            {
                "software": f"reprint/{__version__}",
                "format": "WARC File Format 1.0",
                "description": "stored responses of a reprint archive (every copy of each story)",
                "reprint-schema-version": str(SCHEMA_VERSION),
            },
        )
    )
    articles, params = selection_sql(selection, upto, "c.article_id", order="c.seq")
    pages = db.execute(
        "SELECT p.id, p.article_id, coalesce(p.final_url, p.url), p.http_status, "
        "coalesce(p.content_type, r.content_type), p.etag, p.last_modified, p.fetched_at, "
        "p.raw_sha256 FROM pages p JOIN raw r ON r.sha256 = p.raw_sha256 "
        f"WHERE p.article_id IN ({articles}) ORDER BY p.id",
        params,
    )
    count = 0
    for page_id, article_id, url, status, ctype, etag, modified, fetched, sha in pages:
        body = load_raw(db, sha)
        headers = [("Content-Type", ctype or "application/octet-stream")]
        headers += [(name, v) for name, v in (("ETag", etag), ("Last-Modified", modified)) if v]
        headers.append(("Content-Length", str(len(body))))
        warc_headers = {
            "WARC-Reprint-Article-Id": str(article_id),
            "WARC-Reprint-Page-Id": str(page_id),
        }
        date = utc_timestamp(fetched)
        if date:
            warc_headers["WARC-Date"] = date
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(_status_line(status), headers, protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers,
        )
        writer.write_record(record)
        count += 1
    return count
