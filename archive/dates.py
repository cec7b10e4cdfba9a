"""The one date parser of reprint: dates as feeds, sitemaps and page metadata write them.

Three families are read: W3C/ISO 8601 ("2024-05-14T18:30:00Z", "2024-05", the MSSQL-style
"2004-07-08 23:56:58 -00:20"), RFC 822 as feeds really write it (two-digit years, long
month names, swapped day and month, no seconds, no time at all, a comma too many, zone
names such as ET, PT, MET or CEST, "Etc/GMT", "GMT-01:00") and asctime ("Sun Jan  4
16:29:06 2004", Twitter's "Sun Jul 15 01:16:00 +0000 2012").

Why not a library: ``email.utils.parsedate_tz`` knows only RFC 822's zone names and turns
every other name, "GMT-01:01" or "+zz:00" into UTC or an unzoned time silently, accepts
day 99 and gives up on a date without a time; ``dateutil.parser`` fills every missing
field from today's date and reads almost any text as some date, which for untrusted
documents means wrong dates instead of none; feedparser's handlers return UTC time tuples,
losing the offset the archive keeps. The rules below follow feedparser's date unit cases.

Offsets are kept as given; a date without a time stays a ``date``; a time in an unknown
zone comes back naive (reading it as UTC would shift it by hours, silently).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

# Zone names seen in feeds, in hours from UTC. RFC 822's own (UT, GMT, Z, the US zones),
# the one-letter US forms ("ET", "PT", Disney's feeds) and the European, Australian and
# Asian names of British, European, Australian and Japanese outlets. Ambiguous names (IST:
# India, Ireland or Israel; CST of China) and RFC 822's military letters (their signs were
# published reversed, RFC 5322 4.3) are left out: an unknown zone leaves the time unzoned.
ZONE_OFFSETS_H: dict[str, float] = {
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "wet": 0,
    "adt": -3,
    "ast": -4,
    "at": -4,
    "edt": -4,
    "est": -5,
    "et": -5,
    "cdt": -5,
    "cst": -6,
    "ct": -6,
    "mdt": -6,
    "mst": -7,
    "mt": -7,
    "pdt": -7,
    "pst": -8,
    "pt": -8,
    "akst": -9,
    "akdt": -8,
    "hst": -10,
    "bst": 1,
    "west": 1,
    "cet": 1,
    "met": 1,
    "cest": 2,
    "mest": 2,
    "eet": 2,
    "eest": 3,
    "msk": 3,
    "hkt": 8,
    "sgt": 8,
    "awst": 8,
    "jst": 9,
    "kst": 9,
    "acst": 9.5,
    "acdt": 10.5,
    "aest": 10,
    "aedt": 11,
    "nzst": 12,
    "nzdt": 13,
}
_DAY_NAMES = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_SLASHED_DATE = re.compile(r"\d{4}/(0[1-9]|1[0-2])/\d{2}")

_W3C_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2}))?")
# Google once wrote a three-digit month ("2003-012-31"), feedparser's unit cases keep it.
_GOOGLE_MONTH = re.compile(r"^(\d{4})-0(\d{2})-")
# "2004-07-08 23:56:58 -00:20": a space before the offset, which fromisoformat refuses.
_SPACED_OFFSET = re.compile(r"\s+([+-]\d\d:?\d\d)$")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_NUMERIC_ZONE = re.compile(r"([+-])(\d{2}):?(\d{2})")
_GMT_OFFSET = re.compile(r"gmt([+-])(\d{1,2})(?::?(\d{2}))?")


def parse_date(text: str | None) -> datetime | date | None:
    """Read a date as a ``datetime`` (aware when the zone is known) or a ``date`` (when it
    has no time); None when it is none of the forms this module reads.

    :param text: the date as found in the document.
    """
    if text is None:
        return None
    value = " ".join(text.split())
    if not value:
        return None
    return _w3c(value) or _rfc822(value)


def normalise_date(text: str | None) -> str | None:
    """Return a date in any form :func:`parse_date` reads as ISO 8601, or None.

    :param text: the date as found in the document.
    """
    parsed = parse_date(text)
    return None if parsed is None else parsed.isoformat()


def as_utc(value: str | datetime | date | None) -> datetime | None:
    """A date as an aware UTC datetime, for comparing and sorting; None when unreadable.

    A date alone is its midnight in UTC, and so is read a time without a zone.

    :param value: a date string (any form :func:`parse_date` reads) or date object.
    """
    parsed = parse_date(value) if isinstance(value, str) else value
    if parsed is None:
        return None
    if not isinstance(parsed, datetime):
        parsed = datetime(parsed.year, parsed.month, parsed.day)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _w3c(value: str) -> datetime | date | None:
    partial = _W3C_PARTIAL.fullmatch(value)
    if partial:
        # W3C datetime allows "YYYY" and "YYYY-MM"; the first day keeps them comparable.
        year, month = int(partial.group(1)), int(partial.group(2) or 1)
        return date(year, month, 1) if 1 <= month <= 12 else None
    value = _GOOGLE_MONTH.sub(r"\1-\2-", value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass  # not date-only; try a full date and time next
    if len(value) < 11 or value[10] not in "Tt ":
        return None  # "2013-01-27-01": a date with a part too many, not a time
    value = _SPACED_OFFSET.sub(r"\1", value)
    try:
        # upper(): ISO 8601 allows lower-case "t" and "z", fromisoformat does not.
        return datetime.fromisoformat(value.upper())
    except ValueError:
        return None


def _rfc822(value: str) -> datetime | date | None:
    # Commas only separate ("Mon, 13 Feb, 2012", "Fri,24 Nov 2023"); a trailing comment
    # such as "(EST)" repeats the zone.
    parts = [p for p in value.lower().replace(",", " ").split() if not p.startswith("(")]
    if parts and parts[0][:3] in _DAY_NAMES and parts[0].isalpha():
        parts = parts[1:]
    if parts and _SLASHED_DATE.fullmatch(parts[0]):
        # Perforce's "2006/09/15 08:19:53 EDT"
        slashed_year, slashed_month, slashed_day = parts[0].split("/")
        parts = [slashed_day, _MONTH_NAMES[int(slashed_month) - 1], slashed_year, *parts[1:]]
    if len(parts) < 3:
        return None
    if _month(parts[0]) and len(parts) >= 4 and _TIME.fullmatch(parts[2]):
        # asctime: "Jan 4 16:29:06 2004", Twitter's "Jul 15 01:16:00 +0000 2012"
        parts = [parts[1], parts[0], parts[-1], parts[2], *parts[3:-1]]
    elif _month(parts[0]):
        parts = [parts[1], parts[0], *parts[2:]]  # "Aug 30 2012 17:26:16 +0200"
    if len(parts) > 5:
        return None
    day, month, year = parts[0], _month(parts[1]), _year(parts[2])
    if not day.isdigit() or not month or year is None:
        return None
    try:
        day_only = date(year, month, int(day))
    except ValueError:
        return None
    if len(parts) == 3:
        return day_only
    clock = _TIME.fullmatch(parts[3])
    if clock is None:
        return None
    hour, minute, second = (int(group or 0) for group in clock.groups())
    try:
        offset = _zone(parts[4]) if len(parts) == 5 else None
        return datetime(year, month, int(day), hour, minute, second, tzinfo=offset)
    except ValueError:
        return None


def _month(token: str) -> int | None:
    return _MONTHS.get(token[:3]) if token.isalpha() and len(token) >= 3 else None


def _year(token: str) -> int | None:
    if not token.isdigit() or len(token) not in (2, 4):
        return None
    year = int(token)
    if len(token) == 2:
        # as feedparser: the 90s are 1990s, anything below 90 this century
        year += 1900 if year >= 90 else 2000
    return year


def _zone(token: str) -> timezone | None:
    """The zone a token names; None for an unknown name.

    :raises ValueError: for a malformed offset, which makes the whole date unreadable
        rather than wrong.
    """
    token = token.removeprefix("etc/")
    numeric = _NUMERIC_ZONE.fullmatch(token)
    gmt = _GMT_OFFSET.fullmatch(token)
    if numeric:
        sign, hours, minutes = numeric.groups()
    elif gmt:
        sign, hours, minutes = gmt.groups()
    elif token in ZONE_OFFSETS_H:
        return timezone(timedelta(hours=ZONE_OFFSETS_H[token]))
    elif token[:1] in "+-":
        raise ValueError(f"malformed zone offset {token!r}")
    else:
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24) or int(minutes or 0) >= 60:
        raise ValueError(f"zone offset out of range {token!r}")
    return timezone(-delta if sign == "-" else delta)
