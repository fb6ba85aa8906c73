"""The staff pages' times: in the staff zone, with UTC on hover (the formats: tests/commerce_portal/test_dates.py)."""

from datetime import datetime, timedelta, timezone as dt_timezone

from django.utils import timezone

from staff.templatetags.staff_times import when

def test_when_shows_the_staff_zone_with_utc_on_hover(settings):
    with timezone.override("Pacific/Auckland"):
        html = when(datetime(2026, 7, 1, 22, 15, tzinfo=dt_timezone.utc), "j M, H:i")
    assert html == '<time datetime="2026-07-01T22:15:00Z" title="1 Jul 2026, 22:15 UTC">2 Jul, 10:15</time>'
    assert "14 Feb" in when(datetime(2026, 2, 14, tzinfo=dt_timezone.utc) + timedelta(hours=1), "D j M")  # others: Django's
