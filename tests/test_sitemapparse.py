"""Tests of crawler.sitemapparse on hand-written sitemaps (all names and stories fictional)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from crawler.sitemapparse import (
    Sitemap,
    SitemapEntry,
    SitemapError,
    entry_date,
    parse_sitemap,
    sitemap_urls_from_robots,
)

if TYPE_CHECKING:
    from pathlib import Path

SITEMAP_URL = "https://showbiz.example.com/sitemaps/news.xml"

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
        xmlns:xhtml="http://www.w3.org/1999/xhtml">
  <url>
    <loc>https://showbiz.example.com/music/2024/05/14/mara-vell-tour</loc>
    <lastmod>2024-05-14T19:05:00+02:00</lastmod>
    <xhtml:link rel="alternate" hreflang="fr" href="https://showbiz.example.com/fr/mara"/>
    <image:image>
      <image:loc>https://cdn.showbiz.example.com/mara.jpg</image:loc>
      <image:title>Mara Vell on stage</image:title>
    </image:image>
    <news:news>
      <news:publication>
        <news:name>Showbiz Daily</news:name>
        <news:language>en</news:language>
      </news:publication>
      <news:publication_date>2024-05-14T18:30:00+02:00</news:publication_date>
      <news:title>Mara Vell announces farewell tour &amp; new album</news:title>
      <news:keywords>Mara Vell, tour ,music,, music</news:keywords>
    </news:news>
  </url>
  <url>
    <loc>https://showbiz.example.com/tv/quiet-harbor-renewed</loc>
    <news:news>
      <news:publication><news:name>Showbiz Daily</news:name><news:language>en</news:language>
      </news:publication>
      <news:publication_date>2024-05-15</news:publication_date>
      <news:title><![CDATA[Quiet Harbor renewed <for> a third season]]></news:title>
    </news:news>
  </url>
</urlset>
"""


def test_news_sitemap_has_all_news_fields():
    sitemap = parse_sitemap(NEWS_SITEMAP, SITEMAP_URL)

    assert sitemap == Sitemap(
        kind="urlset",
        entries=(
            SitemapEntry(
                loc="https://showbiz.example.com/music/2024/05/14/mara-vell-tour",
                lastmod="2024-05-14T19:05:00+02:00",
                news_title="Mara Vell announces farewell tour & new album",
                news_published="2024-05-14T18:30:00+02:00",
                news_publication="Showbiz Daily",
                news_language="en",
                news_keywords=("Mara Vell", "tour", "music"),
            ),
            SitemapEntry(
                loc="https://showbiz.example.com/tv/quiet-harbor-renewed",
                lastmod=None,
                news_title="Quiet Harbor renewed <for> a third season",
                news_published="2024-05-15",
                news_publication="Showbiz Daily",
                news_language="en",
                news_keywords=(),
            ),
        ),
        recovered=False,
    )


def test_sitemap_index_gives_loc_and_lastmod_only():
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
    <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://showbiz.example.com/sitemaps/news-1.xml.gz</loc>
        <lastmod>2024-05-14T18:30:00Z</lastmod></sitemap>
      <sitemap><loc>/sitemaps/archive-2023.xml</loc></sitemap>
      <sitemap><lastmod>2024-05-01</lastmod></sitemap>
    </sitemapindex>"""

    sitemap = parse_sitemap(body, SITEMAP_URL)

    assert sitemap.kind == "sitemapindex"
    assert sitemap.entries == (
        SitemapEntry(
            loc="https://showbiz.example.com/sitemaps/news-1.xml.gz",
            lastmod="2024-05-14T18:30:00+00:00",
        ),
        SitemapEntry(loc="https://showbiz.example.com/sitemaps/archive-2023.xml", lastmod=None),
    )
    assert sitemap.entries[0].news_title is None
    assert sitemap.entries[0].news_keywords == ()


@pytest.mark.parametrize(
    "urlset",
    [
        "<urlset>",
        '<urlset xmlns="http://www.google.com/schemas/sitemap/0.84">',
        '<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ],
    ids=["no-namespace", "old-namespace", "prefixed"],
)
def test_sitemap_namespace_is_not_checked(urlset):
    close = "</sm:urlset>" if urlset.startswith("<sm:") else "</urlset>"
    prefix = "sm:" if urlset.startswith("<sm:") else ""
    body = (
        f"{urlset}<{prefix}url><{prefix}loc>https://showbiz.example.com/a</{prefix}loc>"
        f"<{prefix}lastmod>2024-05-14</{prefix}lastmod></{prefix}url>{close}"
    ).encode()

    sitemap = parse_sitemap(body, SITEMAP_URL)

    assert sitemap.entries == (
        SitemapEntry(loc="https://showbiz.example.com/a", lastmod="2024-05-14"),
    )


def test_news_element_in_wrong_namespace_is_a_fallback():
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:n="http://www.google.com/schemas/sitemap-news/0.84"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://showbiz.example.com/only-wrong</loc>
        <n:news><n:title>Old-namespace title</n:title>
          <n:publication_date>2024-05-14T10:00Z</n:publication_date></n:news></url>
      <url><loc>https://showbiz.example.com/both</loc>
        <n:news><n:title>Wrong</n:title></n:news>
        <news:news><news:title>Right</news:title></news:news></url>
      <url><loc>https://showbiz.example.com/no-namespace</loc>
        <news><title>Bare news</title><keywords>red carpet</keywords></news></url>
    </urlset>"""

    entries = parse_sitemap(body, SITEMAP_URL).entries

    assert [(e.news_title, e.news_published, e.news_keywords) for e in entries] == [
        ("Old-namespace title", "2024-05-14T10:00:00+00:00", ()),
        ("Right", None, ()),
        ("Bare news", None, ("red carpet",)),
    ]


def test_image_and_xhtml_children_are_ignored():
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
        xmlns:video="http://www.google.com/schemas/sitemap-video/1.1"
        xmlns:xhtml="http://www.w3.org/1999/xhtml">
      <url>
        <image:loc>https://cdn.showbiz.example.com/stray.jpg</image:loc>
        <xhtml:link rel="alternate" hreflang="de" href="https://showbiz.example.com/de/x"/>
        <video:video><video:title>Clip</video:title></video:video>
        <loc>https://showbiz.example.com/x</loc>
      </url>
      <url><image:image><image:loc>https://cdn.showbiz.example.com/y.jpg</image:loc>
      </image:image></url>
    </urlset>"""

    sitemap = parse_sitemap(body, SITEMAP_URL)

    assert sitemap.entries == (SitemapEntry(loc="https://showbiz.example.com/x", lastmod=None),)


def test_locs_are_absolute_http_and_unique():
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc> /celebs/relative-story </loc></url>
      <url><loc>https://showbiz.example.com/celebs/relative-story</loc></url>
      <url><loc>ftp://files.showbiz.example.com/x</loc></url>
      <url><loc>javascript:void(0)</loc></url>
      <url><loc></loc></url>
      <url><lastmod>2024-05-14</lastmod></url>
      <url><loc>http://old.showbiz.example.com/y</loc></url>
    </urlset>"""

    locs = [e.loc for e in parse_sitemap(body, SITEMAP_URL).entries]

    assert locs == [
        "https://showbiz.example.com/celebs/relative-story",
        "http://old.showbiz.example.com/y",
    ]


@pytest.mark.parametrize(
    ("lastmod", "expected"),
    [
        ("2024-05-14", "2024-05-14"),
        ("2024-05", "2024-05-01"),
        ("2024-05-14T18:30+01:00", "2024-05-14T18:30:00+01:00"),
        ("2024-05-14T18:30:15.5Z", "2024-05-14T18:30:15.500000+00:00"),
        ("2024-05-14T18:30:15", "2024-05-14T18:30:15"),
        ("Tue, 14 May 2024 18:30:00 GMT", "2024-05-14T18:30:00+00:00"),
        # Unparseable values are kept as given; entry_date() ignores them.
        ("last week", "last week"),
    ],
)
def test_lastmod_is_normalised_to_iso(lastmod, expected):
    body = (
        "<urlset><url><loc>https://showbiz.example.com/a</loc>"
        f"<lastmod> {lastmod} </lastmod></url></urlset>"
    ).encode()

    assert parse_sitemap(body, SITEMAP_URL).entries[0].lastmod == expected


def _entry(published: str | None = None, lastmod: str | None = None) -> SitemapEntry:
    return SitemapEntry(
        loc="https://showbiz.example.com/a", lastmod=lastmod, news_published=published
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            _entry("2024-05-14T18:30:00+02:00", "2024-05-20T00:00:00Z"),
            datetime(2024, 5, 14, 18, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
        (_entry(None, "2024-05-20T08:00:00+00:00"), datetime(2024, 5, 20, 8, tzinfo=UTC)),
        (_entry("2024-05-14T18:30:00", None), datetime(2024, 5, 14, 18, 30, tzinfo=UTC)),
        (_entry(None, "2024-05-14"), datetime(2024, 5, 14, tzinfo=UTC)),
        (_entry("last week", "2024-05-14"), datetime(2024, 5, 14, tzinfo=UTC)),
        (_entry("last week", "yesterday"), None),
        (_entry(None, None), None),
    ],
)
def test_entry_date(entry, expected):
    assert entry_date(entry) == expected


def test_entry_date_from_parsed_sitemap_supports_since_filter():
    entries = parse_sitemap(NEWS_SITEMAP, SITEMAP_URL).entries
    since = datetime(2024, 5, 14, 17, 0, tzinfo=UTC)

    dates = [entry_date(e) for e in entries]

    assert dates == [
        datetime(2024, 5, 14, 16, 30, tzinfo=UTC),
        datetime(2024, 5, 15, tzinfo=UTC),
    ]
    assert [e.loc for e, d in zip(entries, dates, strict=True) if d and d >= since] == [
        "https://showbiz.example.com/tv/quiet-harbor-renewed"
    ]


def test_malformed_sitemap_is_recovered():
    body = (
        b"<urlset><url><loc>https://showbiz.example.com/a?x=1&y=2</loc></url>"
        b"<url><loc>https://showbiz.example.com/b</loc><lastmod>2024-05-14</url>"
        b"<url><loc>https://showbiz.example.com/c</loc>"
    )

    sitemap = parse_sitemap(body, SITEMAP_URL)

    assert sitemap.recovered is True
    # c's <url> was cut off: only whole entries are kept
    assert [e.loc for e in sitemap.entries] == [
        "https://showbiz.example.com/a?x=1&y=2",
        "https://showbiz.example.com/b",
    ]


def test_valid_empty_urlset_is_not_an_error():
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'

    assert parse_sitemap(body, SITEMAP_URL) == Sitemap(kind="urlset", entries=(), recovered=False)


def _flip(data: bytes, start: int, length: int) -> bytes:
    return (
        data[:start]
        + bytes(b ^ 0xFF for b in data[start : start + length])
        + data[start + length :]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body at"),
        (b"\n\n", "empty body at"),
        (_flip(gzip.compress(NEWS_SITEMAP), 200, 20), "corrupted gzip"),
        (b"\x1f\x8b\x08\x00garbage", "corrupted gzip"),
        (bytes(range(256)) * 8, "not XML:"),
        (b"Not Found\nThe page you asked for is gone.\n", "neither XML nor a list of URLs"),
        (b"<html><body><h1>404</h1><p>Gone<br></body></html>", "not a sitemap: <html> root at"),
        (b'<rss version="2.0"><channel><item><link>mailto:x@y</link></item>', "malformed"),
        (b"<urlset><url><lastmod>2024", "malformed sitemap with no usable entries at"),
    ],
)
def test_unusable_bodies_raise_sitemap_error_naming_url(body, message):
    with pytest.raises(SitemapError) as caught:
        parse_sitemap(body, SITEMAP_URL)

    assert message in str(caught.value)
    assert SITEMAP_URL in str(caught.value)


def test_entity_bomb_is_not_expanded():
    levels = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    body = (
        f'<!DOCTYPE urlset [<!ENTITY e0 "boom">{levels}]>'
        "<urlset><url><loc>https://showbiz.example.com/safe</loc></url>"
        "<url><loc>https://showbiz.example.com/x</loc>"
        "<news:news xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>"
        "<news:title>&e9;</news:title></news:news></url></urlset>"
    ).encode()

    sitemap = parse_sitemap(body, SITEMAP_URL)

    assert sitemap.entries[0].loc == "https://showbiz.example.com/safe"
    assert "boom" not in repr(sitemap)


def test_external_entities_are_never_fetched_or_read(tmp_path: Path, secret_server):
    server_url, hits = secret_server
    secret_file = tmp_path / "passwd"
    secret_file.write_text("FILE-SECRET root:x:0:0")
    for system_id in (secret_file.as_uri(), f"{server_url}/secret"):
        body = (
            f'<!DOCTYPE urlset [<!ENTITY x SYSTEM "{system_id}">]>'
            "<urlset><url><loc>https://showbiz.example.com/a</loc>"
            "<news:news xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>"
            "<news:title>Title &x; end</news:title></news:news></url></urlset>"
        ).encode()

        sitemap = parse_sitemap(body, SITEMAP_URL)

        assert sitemap.entries[0].news_title == "Title end"
        assert "SECRET" not in repr(sitemap)
    assert hits == []


def _locs(count: int) -> bytes:
    urls = "".join(
        f"<url><loc>https://showbiz.example.com/story/page_{n}</loc><lastmod>2024-05-14</lastmod></url>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_cut_off_sitemap_gives_whole_urls_only(gzipped: bool) -> None:
    # a download or gzip stream cut anywhere in its last third: never a partial URL
    # ("https://.../page_") as the last one
    full = gzip.compress(_locs(40)) if gzipped else _locs(40)
    counts = set()
    for cut in range(len(full) * 2 // 3, len(full) - 1, 3):
        sitemap = parse_sitemap(full[:cut], SITEMAP_URL)
        locs = [e.loc for e in sitemap.entries]
        assert locs == [f"https://showbiz.example.com/story/page_{n}" for n in range(len(locs))]
        assert sitemap.recovered
        counts.add(len(locs))
    assert len(counts) > 5  # the cuts fell in many places


def test_gzip_sitemap_is_gunzipped_and_members_are_joined() -> None:
    body = gzip.compress(_locs(3)[:100]) + gzip.compress(_locs(3)[100:])

    sitemap = parse_sitemap(body, SITEMAP_URL)

    assert len(sitemap.entries) == 3
    assert not sitemap.recovered


def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")

    with pytest.raises(SitemapError, match="decompresses to over 1000000 bytes") as caught:
        parse_sitemap(bomb, SITEMAP_URL, max_bytes=1_000_000)

    assert caught.value.stat == "too_large"


def test_feeds_and_url_lists_are_sitemaps_too() -> None:
    rss = b"""<rss version="2.0"><channel><item><title>Tour</title>
    <link>https://showbiz.example.com/tour</link><pubDate>Tue, 14 May 2024 18:30:00 ET</pubDate>
    </item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Tour</title>
    <link href="/tour"/><updated>2024-05-14T18:30:00Z</updated></entry></feed>"""
    text = b"\xef\xbb\xbfhttps://showbiz.example.com/tour\r\n\r\n/relative\nhttps://showbiz.example.com/b\n"

    assert parse_sitemap(rss, SITEMAP_URL) == Sitemap(
        kind="rss",
        entries=(
            SitemapEntry(
                loc="https://showbiz.example.com/tour",
                lastmod=None,
                news_title="Tour",
                news_published="2024-05-14T18:30:00-05:00",
            ),
        ),
        recovered=False,
    )
    assert parse_sitemap(atom, SITEMAP_URL).entries[0].loc == "https://showbiz.example.com/tour"
    assert parse_sitemap(atom, SITEMAP_URL).kind == "atom"
    text_sitemap = parse_sitemap(text, SITEMAP_URL)
    assert text_sitemap.kind == "text"
    assert [e.loc for e in text_sitemap.entries] == [
        "https://showbiz.example.com/tour",
        "https://showbiz.example.com/b",
    ]


def test_robots_txt_sitemap_lines_in_both_spellings() -> None:
    robots = (
        b"User-agent: *\nDisallow: /admin\nSitemap: https://showbiz.example.com/a.xml\n"
        b"site-map: /b.xml # the news one\nSITEMAP:https://showbiz.example.com/a.xml\n"
        b"Sitemaps: https://showbiz.example.com/not-a-field.xml\n"
    )

    assert sitemap_urls_from_robots(robots) == ["https://showbiz.example.com/a.xml", "/b.xml"]


def test_100k_deep_nesting_is_contained() -> None:
    # libxml2's depth limit (huge_tree off) stops the parse; what came before is kept
    deep = b"<x>" * 100_000 + b"</x>" * 100_000
    body = (
        b"<urlset><url><loc>https://showbiz.example.com/a</loc></url><url>"
        + deep
        + b"</url><url><loc>https://showbiz.example.com/b</loc></url></urlset>"
    )

    sitemap = parse_sitemap(body, SITEMAP_URL)

    assert sitemap.entries[0].loc == "https://showbiz.example.com/a"
    assert sitemap.recovered
