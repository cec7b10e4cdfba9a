"""What a page may bring into the archive: XML-safe text, http(s) URLs only.

Pages hold anything: control characters pasted from word processors, lone surrogates
from broken JSON-LD escapes, ``javascript:`` links. One such character in a stored field
makes every Atom feed and export that includes it ill-formed (XML 1.0 has no way to
write it), and a lone surrogate cannot even be encoded to UTF-8 for SQLite. So text and
metadata are cleaned once, where they enter the archive (:mod:`archive.extract`), and
the feed writer applies the same rules again for archives filled before they existed.
The crawler takes its URL rule from here too, so there is one copy of it.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

# Characters XML 1.0 cannot hold (outside its Char production): C0 controls but tab, LF
# and CR; the UTF-16 surrogates, which in a Python str are always lone (a decoded pair
# is one code point); the non-characters U+FFFE and U+FFFF.
XML_INVALID_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
# Of those, the ones that separate words: Word writes VT for a manual line break and FF
# for a page break. They become a space, so the words on either side stay apart.
WORD_BREAK_CHARS = frozenset("\x0b\x0c")
# Schemes of URLs the archive keeps: any other (javascript:, data:, file:) is either
# not a web page or a script in the href of a feed reader's link.
WEB_SCHEMES = frozenset({"http", "https"})

_XML_INVALID = re.compile(f"[{XML_INVALID_CHARS}]")
# Numeric character references that may name an XML-invalid character (below 32, a
# surrogate, U+FFFE/U+FFFF, beyond Unicode), with the semicolon HTML lets pages omit;
# searched in the page's UTF-8 bytes (an ASCII pattern: the same matches as in its str,
# at a third of the cost, and no str to encode again after replacing).
# A superset the replacement checks exactly; it leaves out the common references
# (&#8217; &#039; &#x2019;), so pages full of them cost a scan and no call per reference.
# Leading zeros are taken possessively and the empty alternative is the value zero: with
# backtracking, a hostile run of zeros would cost time quadratic in its length.
_SUSPECT_CHAR_REF = re.compile(
    rb"&#(?:"
    rb"[xX](?=[0-9a-fA-F])0*+"
    rb"([1-9a-fA-F]|1[0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF]"
    rb"|1[1-9a-fA-F][0-9a-fA-F]{4}|[2-9a-fA-F][0-9a-fA-F]{5}|[1-9a-fA-F][0-9a-fA-F]{6,}|)"
    rb"(?![0-9a-fA-F])"
    rb"|(?=[0-9])0*+"
    rb"([1-9]|[12][0-9]|3[01]|5[5-7][0-9]{3}|6553[45]|1[1-9][0-9]{5}|[2-9][0-9]{6}"
    rb"|[1-9][0-9]{7,}|)"
    rb"(?![0-9])"
    rb");?"
)
# more digits than this (leading zeros aside) name no character whatever they are
_MAX_REF_DIGITS = 8
# Tabs and newlines inside a URL are dropped by browsers (WHATWG URL) and by urlsplit,
# but urljoin keeps them when there is no base; feeds and pages wrap long links.
_URL_NOISE = re.compile(r"[\t\r\n]")
_MAX_CODE_POINT = 0x10FFFF


def _replacement(char: str) -> str:
    return " " if char in WORD_BREAK_CHARS else ""


def xml_safe(text: str) -> str:
    """Return ``text`` without the characters XML 1.0 cannot hold.

    :param text: any string (lone surrogates included)
    """
    if _XML_INVALID.search(text) is None:  # the common case: no copy
        return text
    return _XML_INVALID.sub(lambda match: _replacement(match.group()), text)


def xml_safe_or_none(text: str | None) -> str | None:
    """Return :func:`xml_safe` of ``text``, None when nothing but blanks is left.

    :param text: a metadata value, possibly missing
    """
    if text is None:
        return None
    cleaned = xml_safe(text)
    return cleaned if cleaned.strip() else None


def _char_ref(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal = match.groups()
    digits = decimal if hex_digits is None else hex_digits
    # int() refuses decimal strings of thousands of digits: judge those by their length
    if len(digits) > _MAX_REF_DIGITS:
        return b""
    code = int(digits or b"0", 10 if hex_digits is None else 16)
    if code > _MAX_CODE_POINT:
        return b""
    char = chr(code)
    return _replacement(char).encode() if _XML_INVALID.match(char) else match.group()


# The C0 controls XML cannot hold, as bytes: ``bytes.translate`` deletes them in one C
# loop, ~7x faster than a regex search of the str (0.13 against 0.9 ms for a 190 KB page)
_CONTROL_BYTES = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))
# Lead bytes of the other XML-invalid characters in UTF-8 (with surrogatepass): U+D800-
# U+DFFF start with ED A0-BF, U+FFFE/U+FFFF are EF BF BE/BF; either lead alone is rare
# enough (ED also starts Hangul syllables) that its absence proves the text clean. The
# one-byte searches run first: a byte is found with memchr, a three-byte sequence with a
# search ten times slower (0.16 ms for a 190 KB page), and 1 page in 7 holds an EF byte.
_SURROGATE_LEAD = b"\xed"
_NONCHAR_LEAD = b"\xef"
_NONCHARS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def _may_hold_nonchars(source: bytes) -> bool:
    if _SURROGATE_LEAD in source:
        return True
    return _NONCHAR_LEAD in source and any(nonchar in source for nonchar in _NONCHARS)


def xml_safe_html_utf8(html: str, encoded: bytes | None = None) -> bytes:
    """Return decoded HTML without XML-invalid characters, raw or as ``&#...;``
    references, encoded as UTF-8 for the parser.

    The HTML parser keeps a ``&#11;`` in the tree as a raw control character, and the
    first lxml call that copies that text (trafilatura copies every paragraph) raises
    ValueError, so the whole page would come out as no article text. References to valid
    characters are left as they are. Most pages hold no XML-invalid character: their
    check runs on the encoded bytes, and only a page that fails it is cleaned as text.

    :param html: a page's markup, decoded
    :param encoded: ``html`` as UTF-8 when the caller has it (a UTF-8 response body that
        decoded without a replacement is exactly that): it is not encoded again
    """
    source = html.encode("utf-8", "surrogatepass") if encoded is None else encoded
    clean = len(source.translate(None, _CONTROL_BYTES)) == len(source) and not (
        _may_hold_nonchars(source)
    )
    if not clean and (safe := xml_safe(html)) is not html:  # xml_safe: same str if clean
        html = safe
        source = html.encode("utf-8")
    if _SUSPECT_CHAR_REF.search(source) is None:  # most pages: one scan, no copy
        return source
    return _SUSPECT_CHAR_REF.sub(_char_ref, source)


def http_url(raw: str | None, base: str | None) -> str | None:
    """Return ``raw`` as an absolute http(s) URL with a host, or None when it cannot be one.

    :param raw: the URL as found in the document, possibly relative
    :param base: URL to resolve a relative ``raw`` against; None to accept only absolute
    """
    if raw is None:
        return None
    raw = _URL_NOISE.sub("", raw).strip()
    # a control character left in a URL is no address of anything, and XML cannot hold it
    if not raw or _XML_INVALID.search(raw):
        return None
    try:
        url = urljoin(base, raw) if base else raw
        parts = urlsplit(url)
    except ValueError:
        # urlsplit rejects malformed hosts such as "http://[::1"; such a link is unusable.
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return url
