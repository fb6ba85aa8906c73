"""The staff pages' time formats, written out by hand for speed, say what Django's formatter says."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from staff.templatetags.staff_times import _FORMATS, when

MOMENTS = [
    datetime(2026, 1, 1, 0, 0, tzinfo=dt_timezone.utc),
    datetime(2026, 12, 31, 23, 59, tzinfo=dt_timezone.utc),
    datetime(2027, 5, 9, 7, 5, tzinfo=dt_timezone.utc),
] + [datetime(2026, month, 15, 13, 30, tzinfo=dt_timezone.utc) for month in range(1, 13)]


@pytest.mark.parametrize("fmt", sorted(_FORMATS))
def test_each_fast_format_matches_djangos(fmt):
    for moment in MOMENTS:
        assert _FORMATS[fmt](moment) == date_format(moment, fmt)


def test_when_shows_the_staff_zone_with_utc_on_hover(settings):
    with timezone.override("Pacific/Auckland"):
        html = when(datetime(2026, 7, 1, 22, 15, tzinfo=dt_timezone.utc), "j M, H:i")
    assert html == '<time datetime="2026-07-01T22:15:00Z" title="1 Jul 2026, 22:15 UTC">2 Jul, 10:15</time>'
    assert "14 Feb" in when(datetime(2026, 2, 14, tzinfo=dt_timezone.utc) + timedelta(hours=1), "D j M")  # others: Django's
