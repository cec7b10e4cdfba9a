"""Tests of archive.dates: the date forms feeds, sitemaps and pages really use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from archive.dates import as_utc, normalise_date, parse_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 14 May 2024 18:30:00 GMT", "2024-05-14T18:30:00+00:00"),
        ("Tue, 14 May 2024 18:30:00 UT", "2024-05-14T18:30:00+00:00"),
        ("Tue, 14 May 2024 18:30:00 EST", "2024-05-14T18:30:00-05:00"),
        ("Tue, 14 May 2024 18:30:00 PDT", "2024-05-14T18:30:00-07:00"),
        ("14 May 2024 18:30:00 +0530", "2024-05-14T18:30:00+05:30"),
        ("Tue, 14 May 24 18:30 -0300", "2024-05-14T18:30:00-03:00"),
        # Zones email.utils alone would drop: colon offset, "-0000", European names.
        ("Tue, 14 May 2024 18:30:00 +02:00", "2024-05-14T18:30:00+02:00"),
        ("Tue, 14 May 2024 18:30:00 -0000", "2024-05-14T18:30:00+00:00"),
        ("Tue, 14 May 2024 18:30:00 CEST", "2024-05-14T18:30:00+02:00"),
        ("Tue, 14 May 2024 18:30:00 BST", "2024-05-14T18:30:00+01:00"),
        # No zone at all: kept without an offset rather than guessed.
        ("Tue, 14 May 2024 18:30:00", "2024-05-14T18:30:00"),
        ("  Tue,\n 14 May 2024   18:30:00 GMT ", "2024-05-14T18:30:00+00:00"),
        ("2024-05-14T18:30:00Z", "2024-05-14T18:30:00+00:00"),
        ("2024-05-14t18:30:00z", "2024-05-14T18:30:00+00:00"),
        ("2024-05-14T18:30:00.123456-04:00", "2024-05-14T18:30:00.123456-04:00"),
        ("2024-05-14T18:30+01:00", "2024-05-14T18:30:00+01:00"),
        ("2024-05-14 18:30:00", "2024-05-14T18:30:00"),
        ("2024-05-14", "2024-05-14"),
        ("2024-05", "2024-05-01"),
        ("2024", "2024-01-01"),
        ("2024-13", None),
        # RFC 822 as feeds write it
        ("Thu, 01 Jan 2004", "2004-01-01"),
        ("Thu, 01 Jan 2004 00:00 GMT", "2004-01-01T00:00:00+00:00"),
        ("Mon, 13 Feb, 2012 06:28:00 UTC", "2012-02-13T06:28:00+00:00"),
        ("Fri,24 Nov 2023 18:28:36 -0000", "2023-11-24T18:28:36+00:00"),
        ("Mon, 26 January 2004 16:31:00 ET", "2004-01-26T16:31:00-05:00"),
        ("Mon, 26 January 2004 16:31:00 PT", "2004-01-26T16:31:00-08:00"),
        ("Thu, 30 Apr 2015 08:57:00 MET", "2015-04-30T08:57:00+01:00"),
        ("Thu, 30 Apr 2015 08:57:00 MEST", "2015-04-30T08:57:00+02:00"),
        ("Wed, 19 Aug 2009 18:28:00 Etc/GMT", "2009-08-19T18:28:00+00:00"),
        ("Wed, 19 Feb 2012 22:40:00 GMT-01:01", "2012-02-19T22:40:00-01:01"),
        ("Thu Aug 30 2012 17:26:16 +0200", "2012-08-30T17:26:16+02:00"),
        ("Thu,  5 Apr 2012 10:00:00 GMT", "2012-04-05T10:00:00+00:00"),
        ("Thu, 01 Jan 99 19:48:21 GMT", "1999-01-01T19:48:21+00:00"),
        ("Tue, 14 May 2024 18:30:00 -0500 (EST)", "2024-05-14T18:30:00-05:00"),
        ("Fri, 2006/09/15 08:19:53 EDT", "2006-09-15T08:19:53-04:00"),
        # asctime, and Twitter's variant of it
        ("Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06"),
        ("Sun Jul 15 01:16:00 +0000 2012", "2012-07-15T01:16:00+00:00"),
        # W3C and MSSQL-style
        ("2003-12-31T10:14:55.1234Z", "2003-12-31T10:14:55.123400+00:00"),
        ("2004-07-08 23:56:58 -00:20", "2004-07-08T23:56:58-00:20"),
        ("2003-012-31T10:14:55+00:00", "2003-12-31T10:14:55+00:00"),
        # unreadable: no wrong date rather than a guess
        ("Sun, 16 Dec 2012 1:2:3:4 GMT", None),
        ("Sun, 16 zzz 2012 11:47:32 GMT", None),
        ("Sun, Dec x 2012 11:47:32 GMT", None),
        ("Sun, 16 Dec zz 11:47:32 GMT", None),
        ("Sun, 16 Dec 2012 11:47:32 +zz:00", None),
        ("Sun, 16 Dec 2012 11:47:32 +00:zz", None),
        ("Sun, 99 Jun 2009 12:00:00 GMT", None),
        ("Sun, 31 Dec 9999 23:59:59 -9999", None),
        ("2003-12-31T25:14:55Z", None),
        ("2013-01-27-01", None),
        ("2013-01-28T11:30:00-06:00Textra", None),
        ("2013-xx-27", None),
        ("Tue, 31 Feb 2024 10:00:00 GMT", None),
        ("last Tuesday", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_date(raw, expected):
    assert normalise_date(raw) == expected


def test_as_utc_reads_dates_and_unzoned_times_as_utc() -> None:
    assert as_utc("Mon, 26 January 2004 16:31:00 PT") == datetime(2004, 1, 27, 0, 31, tzinfo=UTC)
    assert as_utc("2024-05-14") == datetime(2024, 5, 14, tzinfo=UTC)
    assert as_utc("2024-05-14 18:30:00") == datetime(2024, 5, 14, 18, 30, tzinfo=UTC)
    assert as_utc(date(2024, 5, 14)) == datetime(2024, 5, 14, tzinfo=UTC)
    assert as_utc("soon") is None
    assert as_utc(None) is None


def test_a_date_without_time_stays_a_date() -> None:
    assert parse_date("Thu, 01 Jan 2004") == date(2004, 1, 1)
