"""Tests of crawler.feedparse on hand-written feeds (all names and stories are fictional)."""

from __future__ import annotations

import codecs
import gzip
import resource
from html import escape
from typing import TYPE_CHECKING

import pytest

from crawler.feedparse import (
    SUMMARY_MAX_CHARS,
    Feed,
    FeedEntry,
    FeedError,
    discover_feeds,
    html_to_text,
    http_url,
    parse_feed,
)

if TYPE_CHECKING:
    from pathlib import Path

FEED_URL = "https://glamwire.example.com/feeds/latest.xml"

RSS2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
     xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>GlamWire &amp; Friends</title>
    <link>https://glamwire.example.com/</link>
    <atom:link rel="self" type="application/rss+xml" href="https://glamwire.example.com/feeds/latest.xml"/>
    <item>
      <title>Mara Vell announces farewell tour &amp;amp; new album</title>
      <link>https://glamwire.example.com/music/mara-vell-farewell?src=rss&amp;id=7</link>
      <guid isPermaLink="false">glamwire-1001</guid>
      <pubDate>Tue, 14 May 2024 18:30:00 GMT</pubDate>
      <dc:creator>Lena Park</dc:creator>
      <category>Music</category>
      <category domain="https://glamwire.example.com/tags">Tours</category>
      <category>Music</category>
      <media:title>Photo: Mara Vell on stage</media:title>
      <media:content url="https://cdn.glamwire.example.com/mara.jpg" medium="image">
        <media:credit>Studio Nine</media:credit>
      </media:content>
      <description><![CDATA[<p>The singer will play <b>40 dates</b>.</p>
        <p>Tickets go on sale Friday.</p><script>track()</script>]]></description>
    </item>
    <item>
      <title>Quiet Harbor renewed for a third season</title>
      <link>/tv/quiet-harbor-renewed</link>
      <pubDate>Wed, 15 May 2024 09:00:00 EST</pubDate>
      <author>tvdesk@glamwire.example.com (Omar Reyes)</author>
      <content:encoded><![CDATA[<div><h2>Good news</h2>
        <p>The drama returns in autumn.</p></div>]]></content:encoded>
    </item>
  </channel>
</rss>
"""


def test_rss2_entries_carry_all_fields():
    feed = parse_feed(RSS2, FEED_URL)

    assert feed.kind == "rss"
    assert feed.title == "GlamWire & Friends"
    assert feed.recovered is False
    first, second = feed.entries
    assert first == FeedEntry(
        url="https://glamwire.example.com/music/mara-vell-farewell?src=rss&id=7",
        title="Mara Vell announces farewell tour & new album",
        published="2024-05-14T18:30:00+00:00",
        author="Lena Park",
        tags=("Music", "Tours"),
        summary="The singer will play 40 dates. Tickets go on sale Friday.",
    )
    # Relative link resolved against the feed URL; e-mail author reduced to the name;
    # content:encoded stands in for a missing description.
    assert second.url == "https://glamwire.example.com/tv/quiet-harbor-renewed"
    assert second.published == "2024-05-15T09:00:00-05:00"
    assert second.author == "Omar Reyes"
    assert second.tags == ()
    assert second.summary == "Good news The drama returns in autumn."


def _rss(items: str, *, namespaces: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {namespaces}>'
        f"<channel><title>Test channel</title>{items}</channel></rss>"
    ).encode()


def test_rss_link_falls_back_to_permalink_guid_and_atom_link():
    body = _rss(
        "<item><title>By guid</title><guid>https://glamwire.example.com/a/1</guid></item>"
        '<item><title>Explicit permalink</title><guid isPermaLink="true">'
        "https://glamwire.example.com/a/2</guid></item>"
        '<item><title>Not a permalink</title><guid isPermaLink="false">'
        "https://glamwire.example.com/a/3</guid></item>"
        "<item><title>Relative guid is an id</title><guid>a/4</guid></item>"
        '<item><title>Atom link</title><atom:link rel="alternate" href="/a/5"/></item>',
        namespaces='xmlns:atom="http://www.w3.org/2005/Atom"',
    )

    feed = parse_feed(body, FEED_URL)

    assert [(e.title, e.url) for e in feed.entries] == [
        ("By guid", "https://glamwire.example.com/a/1"),
        ("Explicit permalink", "https://glamwire.example.com/a/2"),
        ("Atom link", "https://glamwire.example.com/a/5"),
    ]


def test_only_http_urls_are_kept_and_duplicates_dropped():
    body = _rss(
        "<item><title>First</title><link>https://glamwire.example.com/x</link></item>"
        "<item><title>Script</title><link>javascript:alert(1)</link></item>"
        "<item><title>Mail</title><link>mailto:desk@glamwire.example.com</link></item>"
        "<item><title>FTP</title><link>ftp://files.glamwire.example.com/x</link></item>"
        "<item><title>No link at all</title></item>"
        "<item><title>Empty link</title><link>   </link></item>"
        "<item><title>Broken host</title><link>http://[::1/x</link></item>"
        "<item><title>Again</title><link> https://glamwire.example.com/x </link></item>"
        "<item><title>Plain http</title><link>http://old.glamwire.example.com/y</link></item>"
    )

    feed = parse_feed(body, FEED_URL)

    assert [(e.title, e.url) for e in feed.entries] == [
        ("First", "https://glamwire.example.com/x"),
        ("Plain http", "http://old.glamwire.example.com/y"),
    ]


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://cdn.starlight.example.org/news/">
  <title type="html">Starlight &lt;em&gt;Daily&lt;/em&gt;</title>
  <author><name>Starlight Desk</name></author>
  <link rel="self" href="atom.xml"/>
  <entry xml:base="film/">
    <title>Nova Reyes joins the sequel</title>
    <link rel="edit" href="https://cms.starlight.example.org/edit/55"/>
    <link rel="enclosure" type="image/jpeg" href="nova.jpg"/>
    <link rel="alternate" type="application/json" href="nova-reyes-sequel.json"/>
    <link rel="alternate" type="text/html" href="nova-reyes-sequel.html"/>
    <id>tag:starlight.example.org,2024:55</id>
    <published>2024-05-14T18:30:00.250+02:00</published>
    <updated>2024-05-16T08:00:00Z</updated>
    <author><name>Ines Moreau</name></author>
    <author><name>Tom Achebe</name></author>
    <category term="Film" label="Movies"/>
    <category term="Casting"/>
    <summary type="html">&lt;p&gt;Casting &amp;amp; rumours confirmed.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"
      >The <b>Echo Awards</b> shortlist</div></title>
    <link href="/awards/echo-shortlist"/>
    <updated>2024-05-15T12:00:00-04:00</updated>
    <content type="xhtml">
      <div xmlns="http://www.w3.org/1999/xhtml"><p>Ten nominees.</p><p>One surprise.</p></div>
    </content>
  </entry>
  <entry>
    <title>No usable link</title>
    <link rel="self" href="entry-3.xml"/>
  </entry>
</feed>
"""


def test_atom_resolves_xml_base_and_reads_text_constructs():
    feed = parse_feed(ATOM, "https://starlight.example.org/atom.xml")

    assert feed.kind == "atom"
    assert feed.title == "Starlight Daily"
    assert feed.entries == (
        FeedEntry(
            url="https://cdn.starlight.example.org/news/film/nova-reyes-sequel.html",
            title="Nova Reyes joins the sequel",
            published="2024-05-14T18:30:00.250000+02:00",
            author="Ines Moreau, Tom Achebe",
            tags=("Film", "Casting"),
            summary="Casting & rumours confirmed.",
        ),
        FeedEntry(
            # Absolute path against the feed's xml:base; the feed author is inherited.
            url="https://cdn.starlight.example.org/awards/echo-shortlist",
            title="The Echo Awards shortlist",
            published="2024-05-15T12:00:00-04:00",
            author="Starlight Desk",
            tags=(),
            summary="Ten nominees. One surprise.",
        ),
    )


def test_atom_relative_xml_base_resolves_against_feed_url():
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">
      <title>Backstage</title>
      <entry><title>One</title><link href="posts/one"/></entry>
      <entry xml:base="https://mirror.backstage.example.net/x/">
        <title>Two</title><link href="two"/></entry>
    </feed>"""

    feed = parse_feed(body, "https://backstage.example.net/feeds/atom")

    assert [e.url for e in feed.entries] == [
        "https://backstage.example.net/blog/posts/one",
        "https://mirror.backstage.example.net/x/two",
    ]


def test_rss_with_default_namespace():
    body = b"""<rss xmlns="http://backend.userland.com/rss2" version="2.0"><channel>
      <title>Old school</title>
      <item><title>Retro hit</title><link>https://retro.example.com/hit</link></item>
    </channel></rss>"""

    feed = parse_feed(body, "https://retro.example.com/rss")

    assert (feed.kind, feed.title) == ("rss", "Old school")
    assert [(e.title, e.url) for e in feed.entries] == [
        ("Retro hit", "https://retro.example.com/hit")
    ]


def test_nested_relative_xml_base_is_applied_once_per_level():
    body = b"""<rss version="2.0"><channel xml:base="shows/">
      <item xml:base="drama/"><title>Deep</title><link xml:base="s3/">ep1</link></item>
      <item><title>Shallow</title><link>ep2</link></item>
    </channel></rss>"""

    feed = parse_feed(body, "https://tvguide.example.com/feeds/rss")

    assert [e.url for e in feed.entries] == [
        "https://tvguide.example.com/feeds/shows/drama/s3/ep1",
        "https://tvguide.example.com/feeds/shows/ep2",
    ]


RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://popbeat.example.com/">
    <title>PopBeat</title>
    <items><rdf:Seq>
      <rdf:li rdf:resource="https://popbeat.example.com/k-wave-tour"/>
    </rdf:Seq></items>
  </channel>
  <item rdf:about="https://popbeat.example.com/k-wave-tour">
    <title>K-Wave band adds stadium shows</title>
    <link>https://popbeat.example.com/k-wave-tour</link>
    <description>Three new dates in &lt;i&gt;July&lt;/i&gt;.</description>
    <dc:date>2024-05-14T07:15:00+09:00</dc:date>
    <dc:creator>Yuna Seo</dc:creator>
    <dc:subject>K-pop</dc:subject>
  </item>
  <item rdf:about="https://popbeat.example.com/festival-lineup">
    <title>Festival line-up leaked</title>
    <dc:date>2024-05-13</dc:date>
  </item>
</rdf:RDF>
"""


def test_rdf_feed():
    feed = parse_feed(RDF, "https://popbeat.example.com/index.rdf")

    assert feed.kind == "rdf"
    assert feed.title == "PopBeat"
    assert feed.entries == (
        FeedEntry(
            url="https://popbeat.example.com/k-wave-tour",
            title="K-Wave band adds stadium shows",
            published="2024-05-14T07:15:00+09:00",
            author="Yuna Seo",
            tags=("K-pop",),
            summary="Three new dates in July.",
        ),
        FeedEntry(
            # No <link>: rdf:about is the item's URL; a date-only dc:date stays date-only.
            url="https://popbeat.example.com/festival-lineup",
            title="Festival line-up leaked",
            published="2024-05-13",
            author=None,
            tags=(),
            summary=None,
        ),
    )


def test_unparseable_pubdate_falls_back_to_dc_date_then_none():
    body = _rss(
        "<item><title>A</title><link>https://glamwire.example.com/a</link>"
        "<pubDate>sometime soon</pubDate><dc:date>2024-05-10T10:00:00Z</dc:date></item>"
        "<item><title>B</title><link>https://glamwire.example.com/b</link>"
        "<pubDate>sometime soon</pubDate></item>",
        namespaces='xmlns:dc="http://purl.org/dc/elements/1.1/"',
    )

    feed = parse_feed(body, FEED_URL)

    assert [e.published for e in feed.entries] == ["2024-05-10T10:00:00+00:00", None]


def test_summary_is_plain_text_and_truncated():
    words = " ".join(f"word{i}" for i in range(600))
    body = _rss(
        "<item><title>Long read</title><link>https://glamwire.example.com/long</link>"
        f"<description><![CDATA[<style>p {{color: red}}</style><p>{words}</p>]]></description>"
        "</item>"
    )

    summary = parse_feed(body, FEED_URL).entries[0].summary

    assert summary is not None
    assert summary.startswith("word0 word1 word2")
    assert "color" not in summary
    assert "<" not in summary
    assert len(summary) <= SUMMARY_MAX_CHARS
    assert summary.endswith("…")
    # Cut at a word boundary, not in the middle of one.
    assert summary[:-1].split()[-1] in words.split()


def test_html_to_text():
    assert html_to_text("<p>One</p><p>Two<br>Three</p>") == "One Two Three"
    assert html_to_text("Fish &amp; chips &lt;3 and 5 < 6") == "Fish & chips <3 and 5 < 6"
    assert html_to_text("<script>var a = '<p>x</p>';</script>Visible") == "Visible"
    assert html_to_text("   ") is None


def test_http_url():
    assert http_url(" /a/b\n", "https://x.example.com/feed") == "https://x.example.com/a/b"
    assert http_url("HTTPS://X.example.com/", None) == "HTTPS://X.example.com/"
    assert http_url("https://x.example.com/long/\n\t  wrapped", None) == (
        "https://x.example.com/long/  wrapped"
    )
    assert http_url("relative/path", None) is None
    assert http_url("data:text/html,hi", "https://x.example.com/") is None
    assert http_url("https:///no-host", None) is None


def test_media_and_unknown_namespaces_do_not_leak_into_fields():
    body = _rss(
        "<item><media:title>Gallery title</media:title>"
        '<media:group><media:content url="https://cdn.example.com/v.mp4"/></media:group>'
        "<x:link>https://elsewhere.example.com/wrong</x:link>"
        "<link>https://glamwire.example.com/right</link><title>Real title</title></item>",
        namespaces=('xmlns:media="http://search.yahoo.com/mrss/" xmlns:x="urn:example:unknown"'),
    )

    (entry,) = parse_feed(body, FEED_URL).entries

    assert (entry.url, entry.title) == ("https://glamwire.example.com/right", "Real title")


# --- malformed and odd input ------------------------------------------------------------


def test_garbage_after_root_is_recovered():
    body = RSS2 + b"<div>Ad banner</div>\x00\xff"

    feed = parse_feed(body, FEED_URL)

    assert feed.recovered is True
    assert [e.title for e in feed.entries] == [
        "Mara Vell announces farewell tour & new album",
        "Quiet Harbor renewed for a third season",
    ]
    # libxml2's recover mode drops predefined entities after its first error; the parser
    # rewrites them as character references first, so "&amp;" survives in the URL.
    assert feed.entries[0].url.endswith("?src=rss&id=7")


def test_truncated_download_keeps_complete_items():
    cut = RSS2.index(b"<item>", RSS2.index(b"</item>")) + len(b"<item><title>Quiet")

    feed = parse_feed(RSS2[:cut], FEED_URL)

    assert feed.recovered is True
    assert [e.url for e in feed.entries] == [
        "https://glamwire.example.com/music/mara-vell-farewell?src=rss&id=7"
    ]


def test_bare_ampersands_and_undeclared_html_entities_are_recovered():
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        b"<title>Caf&eacute; Society</title>"
        b"<item><title>Beyonc&eacute;-style gala &amp; after-party</title>"
        b"<link>https://glamwire.example.com/gala?day=1&ref=rss</link></item>"
        b"<item><title>Rock &amp; roll <![CDATA[& more]]></title>"
        b"<link>https://glamwire.example.com/rock?a=1&amp;b=2</link></item>"
        b"</channel></rss>"
    )

    feed = parse_feed(body, FEED_URL)

    assert feed.recovered is True
    assert feed.title == "Café Society"
    assert [(e.title, e.url) for e in feed.entries] == [
        ("Beyoncé-style gala & after-party", "https://glamwire.example.com/gala?day=1&ref=rss"),
        ("Rock & roll & more", "https://glamwire.example.com/rock?a=1&b=2"),
    ]


def test_unclosed_tag_loses_only_the_broken_item():
    # Recover mode reads "<br></title>" as closing <br> only, so the rest of the feed
    # ends up nested inside the first item's <title>.
    body = _rss(
        "<item><title>Red carpet<br></title>"
        "<link>https://glamwire.example.com/red-carpet</link></item>"
        "<item><title>After party</title>"
        "<link>https://glamwire.example.com/after-party</link>"
        "<category>Events</category></item>"
        "<item><title>Morning after</title>"
        "<link>https://glamwire.example.com/morning-after</link></item>"
    )

    feed = parse_feed(body, FEED_URL)

    assert feed.recovered is True
    assert [(e.title, e.url, e.tags) for e in feed.entries] == [
        ("After party", "https://glamwire.example.com/after-party", ("Events",)),
        ("Morning after", "https://glamwire.example.com/morning-after", ()),
    ]


def test_latin1_bytes_in_utf8_feed_are_repaired():
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Pop</title>'
        "<item><title>Beyoncé and Zoë at the “Gala”</title>"
        "<link>https://glamwire.example.com/gala</link></item></channel></rss>"
    ).encode("cp1252")

    feed = parse_feed(body, FEED_URL)

    assert feed.recovered is True
    assert feed.entries[0].title == "Beyoncé and Zoë at the “Gala”"


@pytest.mark.parametrize(
    ("encoding", "prefix", "declared"),
    [
        ("utf-8", codecs.BOM_UTF8, "utf-8"),
        ("utf-8", codecs.BOM_UTF8, None),
        ("utf-16", b"", "utf-16"),  # Python's utf-16 codec writes a BOM
        ("cp1252", b"", "windows-1252"),
        ("iso-8859-1", b"", "ISO-8859-1"),
    ],
)
def test_encoding_from_bom_and_declaration(encoding, prefix, declared):
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    text = (
        f'{declaration}<rss version="2.0"><channel><title>Célébrités</title>'
        "<item><title>Zoë Ångström wins</title>"
        "<link>https://glamwire.example.com/zoe</link></item></channel></rss>"
    )

    feed = parse_feed(prefix + text.encode(encoding), FEED_URL)

    assert feed.recovered is False
    assert feed.title == "Célébrités"
    assert feed.entries[0].title == "Zoë Ångström wins"


def test_valid_feed_without_items_is_empty_not_an_error():
    feed = parse_feed(_rss(""), FEED_URL)

    assert feed == Feed(kind="rss", title="Test channel", entries=(), recovered=False)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body at"),
        (b" \r\n\t ", "empty body at"),
        (gzip.compress(RSS2), "gzip-compressed body at"),
        (b"Service temporarily unavailable", "not XML: Start tag expected"),
        (bytes(range(256)) * 8, "not XML:"),
        (
            b"<!DOCTYPE html><html><head><title>Oops</title></head>"
            b"<body><p>Not found<br></body></html>",
            "not a feed: <html> root at",
        ),
        (
            b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Hi</p></body></html>',
            "not a feed: <html> root at",
        ),
        (
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
            "not a feed: <urlset> root at",
        ),
        (b"<channel><title>Not RSS</title></channel>", "not a feed: <channel> root at"),
        (
            b'<rss version="2.0"><channel><title>Cut short<item><title>x',
            "malformed feed with no usable entries at",
        ),
    ],
)
def test_unusable_bodies_raise_feed_error_naming_url(body, message):
    with pytest.raises(FeedError) as caught:
        parse_feed(body, FEED_URL)

    assert message in str(caught.value)
    assert FEED_URL in str(caught.value)


# --- hostile input ----------------------------------------------------------------------


def _max_rss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>Safe item</title><link>https://glamwire.example.com/safe</link></item>
<item><title>Boom &lol9;</title><link>https://glamwire.example.com/boom</link>
<description>&lol9;&lol9;&lol9;</description></item>
</channel></rss>
"""


def test_entity_bomb_is_not_expanded():
    rss_before = _max_rss_bytes()

    feed = parse_feed(BILLION_LAUGHS, FEED_URL)

    # Expanded, lol9 alone is 3 GB; the peak memory of the process must not move much.
    assert _max_rss_bytes() - rss_before < 50 * 1024 * 1024
    assert feed.entries[0].url == "https://glamwire.example.com/safe"
    assert feed.entries[0].title == "Safe item"
    # libxml2 2.14 stops at the first amplified reference (recover mode keeps what came
    # before); older versions leave the reference unexpanded. Either way: no laughs.
    assert "lol" not in repr(feed)


def test_external_entities_are_never_fetched_or_read(tmp_path: Path, secret_server):
    server_url, hits = secret_server
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("FILE-SECRET root:x:0:0")
    item = (
        "<item><title>Leak &{name}; here</title>"
        "<link>https://glamwire.example.com/leak</link>"
        "<description>before &{name}; after</description></item>"
    )
    bodies = [
        # General external entities, by file and by HTTP (the attacker's server).
        f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]>'
        f"<rss><channel>{item.format(name='x')}</channel></rss>",
        f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{server_url}/secret">]>'
        f"<rss><channel>{item.format(name='x')}</channel></rss>",
        # External parameter entity and external DTD that would declare &leak;.
        f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{server_url}/evil.dtd"> %p;]>'
        f"<rss><channel>{item.format(name='leak')}</channel></rss>",
        f'<!DOCTYPE rss SYSTEM "{server_url}/external.dtd">'
        f"<rss><channel>{item.format(name='leak')}</channel></rss>",
        # An external entity in an attribute is a well-formedness error: recover path.
        f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]>'
        f'<rss><channel><item><title a="&x;">Attr</title>'
        f"<link>https://glamwire.example.com/leak</link></item></channel></rss>",
    ]

    for body in bodies:
        feed = parse_feed(body.encode(), FEED_URL)

        assert feed.entries[0].url == "https://glamwire.example.com/leak"
        assert "SECRET" not in repr(feed)
    assert parse_feed(bodies[0].encode(), FEED_URL).entries[0].title == "Leak here"
    assert parse_feed(bodies[0].encode(), FEED_URL).entries[0].summary == "before after"
    assert hits == []


def _big_feed(count: int) -> bytes:
    items = "".join(
        f"<item><title>Story {i} &amp; more</title>"
        f"<link>https://glamwire.example.com/news/{i}</link>"
        "<pubDate>Tue, 14 May 2024 18:30:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Summary {i}&lt;/p&gt;</description>"
        "<category>TV</category></item>"
        for i in range(count)
    )
    return f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


@pytest.mark.slow
def test_huge_feed_parses_in_linear_time():
    big, small = _big_feed(20_000), _big_feed(2_000)

    feed = parse_feed(big, FEED_URL)

    assert len(feed.entries) == 20_000
    assert feed.entries[-1] == FeedEntry(
        url="https://glamwire.example.com/news/19999",
        title="Story 19999 & more",
        published="2024-05-14T18:30:00+00:00",
        author=None,
        tags=("TV",),
        summary="Summary 19999",
    )
    assert len(parse_feed(small, FEED_URL).entries) == 2_000


# --- feeds as the web really serves them (issue 13); every document written here ---


def test_unnamespaced_atom_and_rss_link_href_keep_their_entries() -> None:
    atom = b"""<feed><entry><title>No namespace</title>
      <link href="/tv/no-namespace"/><updated>2024-05-14T18:30:00Z</updated></entry></feed>"""
    rss = b"""<rss version="2.0"><channel><item><title>Href link</title>
      <link href="https://glamwire.example.com/tv/href-link"/></item></channel></rss>"""
    atom_text_link = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link>https://glamwire.example.com/tv/text-link</link></entry></feed>"""

    assert [e.url for e in parse_feed(atom, FEED_URL).entries] == [
        "https://glamwire.example.com/tv/no-namespace"
    ]
    assert parse_feed(atom, FEED_URL).entries[0].published == "2024-05-14T18:30:00+00:00"
    assert [e.url for e in parse_feed(rss, FEED_URL).entries] == [
        "https://glamwire.example.com/tv/href-link"
    ]
    assert [e.url for e in parse_feed(atom_text_link, FEED_URL).entries] == [
        "https://glamwire.example.com/tv/text-link"
    ]


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("<dcterms:modified>2002-09-28T20:01:19Z</dcterms:modified>", "2002-09-28T20:01:19+00:00"),
        ("<dcterms:created>2002-09-28T20:01:19Z</dcterms:created>", "2002-09-28T20:01:19+00:00"),
        ("<dcterms:issued>2002-09-28</dcterms:issued>", "2002-09-28"),
        # publication before modification, whatever the order in the item
        (
            "<dcterms:modified>2003-01-01</dcterms:modified><pubDate>Thu, 01 Jan 2004</pubDate>",
            "2004-01-01",
        ),
        ("<pubDate>Mon, 26 January 2004 16:31:00 PT</pubDate>", "2004-01-26T16:31:00-08:00"),
    ],
)
def test_rss_item_dates_from_dcterms_and_loose_rfc822(element: str, expected: str) -> None:
    body = (
        '<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/"><channel><item>'
        f"<link>https://glamwire.example.com/a</link>{element}</item></channel></rss>"
    ).encode()

    assert parse_feed(body, FEED_URL).entries[0].published == expected


def test_titles_script_base64_and_uppercase_char_refs() -> None:
    body = b"""<feed version="0.3" xmlns="http://purl.org/atom/ns#">
    <entry><link rel="alternate" href="https://glamwire.example.com/1"/>
      <title type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"
      >Safe<script type="text/javascript">location.href='http:/'+'/x.example/';</script>
      title</div></title></entry>
    <entry><link rel="alternate" href="https://glamwire.example.com/2"/>
      <title type="text/html" mode="base64">PGI+Qm9sZDwvYj4gbW92ZQ==</title></entry>
    <entry><link rel="alternate" href="https://glamwire.example.com/3"/>
      <title>Caf&#X45; &amp; &#x42;ar</title></entry>
    </feed>"""

    titles = [e.title for e in parse_feed(body, FEED_URL).entries]

    assert titles == ["Safe title", "Bold move", "CafE & Bar"]


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("ada@glamwire.example.com (Ada Brook)", "Ada Brook"),
        ("Ada Brook (ada@glamwire.example.com)", "Ada Brook"),
        ("Ada Brook <ada@glamwire.example.com>", "Ada Brook"),
        ('"Ada Brook" <mailto:ada@glamwire.example.com>', "Ada Brook"),
        ("ada@glamwire.example.com", "ada@glamwire.example.com"),
        ("Ada Brook (Showbiz desk)", "Ada Brook (Showbiz desk)"),
    ],
)
def test_authors_lose_their_email(byline: str, expected: str) -> None:
    body = (
        '<rss version="2.0"><channel><item><link>https://glamwire.example.com/a</link>'
        f"<author>{escape(byline)}</author></item></channel></rss>"
    ).encode()

    assert parse_feed(body, FEED_URL).entries[0].author == expected


def test_http_charset_wins_and_latin1_reads_as_windows_1252() -> None:
    title = "\u201cQuoted\u201d \u2013 caf\u00e9"
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item>'
        f"<title>{title}</title><link>https://glamwire.example.com/a</link></item></channel></rss>"
    ).encode("cp1252")

    feed = parse_feed(body, FEED_URL, content_type="application/rss+xml; charset=ISO-8859-1")

    assert feed.entries[0].title == title
    assert feed.recovered is False


@pytest.mark.parametrize("version", ["1", "1.1"])
def test_json_feed(version: str) -> None:
    authors = (
        '"authors": [{"name": "Ada Brook <ada@glamwire.example.com>"}]'
        if version == "1.1"
        else '"author": {"name": "Ada Brook"}'
    )
    body = f"""\ufeff{{"version": "https://jsonfeed.org/version/{version}", "title": "Glamwire",
      "items": [
        {{"id": "1", "url": "/tv/star-joins-drama", "title": "Star joins &amp; drama",
          "date_published": "2024-05-14T18:30:00+01:00", {authors},
          "tags": ["tv", " ", 3], "content_html": "<p>She joins.</p><script>x()</script>"}},
        {{"id": "2", "external_url": "https://elsewhere.example/story",
          "date_modified": "2024-05-15T08:00:00Z", "summary": "Elsewhere"}},
        {{"id": "3", "url": "mailto:x@glamwire.example.com"}},
        "not an item"
      ]}}""".encode()

    feed = parse_feed(body, FEED_URL)

    assert feed.kind == "json"
    assert feed.title == "Glamwire"
    assert feed.entries == (
        FeedEntry(
            url="https://glamwire.example.com/tv/star-joins-drama",
            title="Star joins & drama",
            published="2024-05-14T18:30:00+01:00",
            author="Ada Brook",
            tags=("tv",),
            summary="She joins.",
        ),
        FeedEntry(
            url="https://elsewhere.example/story",
            title=None,
            published="2024-05-15T08:00:00+00:00",
            author=None,
            tags=(),
            summary="Elsewhere",
        ),
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "not JSON"),
        (b'{"name": "a package.json"}', "JSON without a JSON Feed version"),
        (b"[1, 2]", "not XML"),
    ],
)
def test_json_that_is_no_feed_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, FEED_URL)


def test_feeds_named_by_a_page_are_discovered() -> None:
    page = b"""<!doctype html><html><head><base href="https://glamwire.example.com/news/">
      <link rel="alternate" type="application/rss+xml" href="rss.xml">
      <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml">
      <link rel="alternate" type="application/feed+json" href="rss.xml">
      <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
      <link rel="stylesheet" type="application/rss+xml" href="/not-alternate.xml">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body><a rel="alternate" type="application/rss+xml" href="/a.xml">x</a></body></html>"""

    assert discover_feeds(page, "https://glamwire.example.com/") == [
        "https://glamwire.example.com/news/rss.xml",
        "https://glamwire.example.com/atom.xml",
    ]
    assert discover_feeds(b"", "https://glamwire.example.com/") == []


def test_100k_deep_nesting_in_a_title_is_contained() -> None:
    deep = b"<x>" * 100_000 + b"</x>" * 100_000
    body = (
        b'<rss version="2.0"><channel><item><link>https://glamwire.example.com/a</link>'
        b"<title>" + deep + b"</title></item></channel></rss>"
    )

    feed = parse_feed(body, FEED_URL)

    assert [e.url for e in feed.entries] == ["https://glamwire.example.com/a"]
    assert feed.recovered


def _many_items_feed(items: int, broken: bool = False) -> bytes:
    item = "<item><title>Story {n}</title><link>https://glamwire.example.com/s/{n}</link></item>"
    body = "".join(item.format(n=n) for n in range(items))
    if broken:  # a bare ampersand: only the repaired, whole-tree path reads it
        body = body.replace("<title>Story 7</title>", "<title>Story 7 & more</title>")
    return f'<rss version="2.0"><channel><title>Big</title>{body}</channel></rss>'.encode()


@pytest.mark.parametrize("broken", [False, True], ids=["streamed", "recovered"])
def test_feed_over_a_mebibyte_is_read_whole(broken: bool) -> None:
    body = _many_items_feed(14_000, broken)
    assert len(body) > 1 << 20  # read entry by entry when well-formed

    feed = parse_feed(body, FEED_URL)

    assert len(feed.entries) == 14_000
    assert feed.title == "Big"
    assert feed.entries[7].title == ("Story 7 & more" if broken else "Story 7")
    assert feed.entries[-1].url == "https://glamwire.example.com/s/13999"
    assert feed.recovered is broken
