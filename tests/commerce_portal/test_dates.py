"""The date formats written out by hand for speed (commerce_portal.dates) say what Django's formatter
says, in UTC and in zones with summer time, and {% local_time %} renders them in the active zone."""

from datetime import datetime, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from commerce_portal.dates import FORMATS, formatted

ZONES = [dt_timezone.utc, ZoneInfo("Europe/London"), ZoneInfo("Pacific/Auckland"), ZoneInfo("America/St_Johns")]
MOMENTS = [
    datetime(2026, 1, 1, 0, 0, tzinfo=dt_timezone.utc),
    datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=dt_timezone.utc),
    datetime(2027, 5, 9, 7, 5, tzinfo=dt_timezone.utc),
] + [datetime(2026, month, 15, 13, 30, tzinfo=dt_timezone.utc) for month in range(1, 13)]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_fast_format_matches_djangos(fmt):
    for zone in ZONES:
        for moment in MOMENTS:
            local = moment.astimezone(zone)
            assert FORMATS[fmt](local) == date_format(local, fmt), (fmt, local)


def test_other_formats_go_to_djangos():
    assert formatted(MOMENTS[0], "D j M") == "Thu 1 Jan"


def test_local_time_is_a_time_element_in_the_active_zone_unless_localtime_is_off():
    template = Template('{% load local_time tz %}{% local_time at %}|{% localtime off %}{% local_time at %}{% endlocaltime %}')
    at = datetime(2026, 7, 1, 22, 15, tzinfo=dt_timezone.utc)
    with timezone.override("Europe/London"):
        rendered = template.render(Context({"at": at}))
    assert rendered == ('<time datetime="2026-07-01T23:15:00+01:00">1 Jul 2026, 23:15 BST</time>|'
                        '<time datetime="2026-07-01T22:15:00+00:00">1 Jul 2026, 22:15 UTC</time>')
