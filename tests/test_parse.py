"""archive/parse.py: a page's markup parsed once, with trafilatura's two repairs for
libxml2 and its test that the text is HTML at all (pages written for these tests)."""

from __future__ import annotations

import codecs
from copy import copy

import pytest
from lxml.html import HtmlElement, tostring
from trafilatura.utils import load_html

from archive.parse import parse_html, parse_page

ARTICLE = "<p>Marlow Finch will headline the Saltmere Folk Festival this summer.</p>"


def _text(source: bytes) -> str:
    tree = parse_html(source)
    assert tree is not None
    return " ".join(tree.text_content().split())


def test_a_first_line_doctype_with_a_slash_keeps_the_page() -> None:
    # older libxml2 builds read the rest of such a page as the doctype's content (lxml bug
    # 1955915); the doctype is dropped, as trafilatura does, whatever the build
    page = (
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">\n'
        b"<html><head><title>Finch</title></head><body>" + ARTICLE.encode() + b"</body></html>"
    )
    assert "Saltmere Folk Festival" in _text(page)


def test_a_self_closed_html_tag_opens_the_document() -> None:
    # without the repair libxml2 closes the document at once: no text at all
    page = b'<html lang="en"/>\n<head><title>Finch</title></head><body>' + ARTICLE.encode()
    assert "Saltmere Folk Festival" in _text(page)


@pytest.mark.parametrize(
    "source",
    [b"", b"   ", b"just a line of plain text", b'{"title": "not a page"}'],
    ids=["empty", "blank", "plain text", "json"],
)
def test_what_is_not_html_gives_no_tree(source: bytes) -> None:
    assert parse_html(source) is None


def test_the_tree_is_the_one_trafilatura_would_parse() -> None:
    page = (
        "<!doctype html><html><head><title>Café Finch</title></head><body>"
        "<!-- a comment --><?php echo 1 ?><article>" + ARTICLE + "<p>Tickets: £40 — on "
        "sale Friday.</p><form><label>Email</label><input name=e><select><option>UK"
        "</option></select><textarea>Say hello</textarea></form></article></body></html>"
    )
    ours, theirs = parse_html(page.encode()), load_html(page)
    assert ours is not None and theirs is not None
    assert tostring(ours) == tostring(theirs)  # comments and processing instructions gone
    assert ours.text_content() == theirs.text_content()
    # every element an HtmlElement, form fields too (lxml.html gives those classes of their
    # own through a lookup in Python; here the lookup is lxml's in C)
    assert {type(e) for e in ours.iter()} == {HtmlElement}
    assert all(isinstance(e, HtmlElement) for e in copy(ours).iter())


def test_a_body_is_decoded_made_xml_safe_and_parsed() -> None:
    # undeclared and not UTF-8: windows-1252, as browsers read it; a raw vertical tab and
    # a reference to one are spaces in the markup the tree was parsed from
    body = "<html><body><p>Caf\xe9 Finch\x0b opens &#11;on Friday.</p></body></html>"
    page = parse_page(body.encode("cp1252"))
    assert page is not None
    assert page.encoding == "cp1252"
    assert page.source == "<html><body><p>Café Finch  opens  on Friday.</p></body></html>".encode()
    assert page.tree.text_content() == "Café Finch  opens  on Friday."


@pytest.mark.parametrize(
    ("body", "source"),
    [
        # a UTF-8 body is the source as it is ...
        ("<html><p>Café Finch opens\ufffe &#8217;&#11;on Friday.</p></html>".encode(), None),
        # ... after the same repairs; with a BOM, or bytes that are not UTF-8 (decoded
        # to U+FFFD), it is not: the source is the decoded text encoded again
        (
            codecs.BOM_UTF8 + "<html><p>Café Finch</p></html>".encode(),
            "<html><p>Café Finch</p></html>".encode(),
        ),
        (
            b"<html><p>Caf\xc3 Finch &#0;</p></html>",
            "<html><p>Caf\ufffd Finch </p></html>".encode(),
        ),
    ],
)
def test_a_utf8_body_is_parsed_as_served_when_it_decodes_whole(
    body: bytes, source: bytes | None
) -> None:
    page = parse_page(body, "text/html; charset=utf-8")
    assert page is not None and page.encoding == "utf-8"
    if source is None:
        assert page.source == "<html><p>Café Finch opens &#8217; on Friday.</p></html>".encode()
    else:
        assert page.source == source


def test_the_declared_charset_decides_before_detection() -> None:
    body = "<html><body><p>Ма́рлоу Финч</p></body></html>".encode("koi8-r", "ignore")
    page = parse_page(body, "text/html; charset=koi8-r")
    assert page is not None and page.encoding == "koi8-r"
    assert "Марлоу Финч" in page.tree.text_content().replace("\u0301", "")


def test_a_body_that_is_not_html_gives_no_page() -> None:
    assert parse_page(b'{"title": "not a page"}', "application/json") is None


def test_an_early_end_of_the_document_does_not_end_the_page() -> None:
    # libxml2 drops what follows </html>; browsers put it in the body: a header template
    # that closes the document before the article must not cost the article
    header = b"<html><head><title>Finch</title></head><body><header>Menu</header></body></html>"
    rest = b"<main><article>" + ARTICLE.encode() * 30 + b"</article></main></body></html>"
    assert "Saltmere Folk Festival" in _text(header + rest)
    assert "Saltmere Folk Festival" in _text(header.upper().replace(b"FINCH", b"Finch") + rest)


def test_an_end_of_the_document_where_it_belongs_still_ends_it() -> None:
    # what a server appends after the page's own end (a beacon's markup) stays out
    page = b"<html><body>" + ARTICLE.encode() * 30 + b"</body></html>\n<p>edge beacon 7f3a</p>"
    text = _text(page)
    assert "Saltmere Folk Festival" in text
    assert "edge beacon" not in text
