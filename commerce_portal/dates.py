"""The few date formats pages show, written out: Django's general formatter (django.utils.dateformat)
costs about a tenth of a millisecond a call, and a staff list shows a hundred times. English month
abbreviations, as LANGUAGE_CODE is; any other format goes to Django's (tests/commerce_portal/test_dates.py
holds each fast one to it)."""

from django.utils.dateformat import format as date_format

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FORMATS = {
    "j M Y, H:i T": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}, {d.hour:02d}:{d.minute:02d} {d.tzname() or ''}",
    "j M Y, H:i": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}, {d.hour:02d}:{d.minute:02d}",
    "j M, H:i": lambda d: f"{d.day} {_MONTHS[d.month - 1]}, {d.hour:02d}:{d.minute:02d}",
    "j M Y": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    "H:i": lambda d: f"{d.hour:02d}:{d.minute:02d}",
    "c": lambda d: d.isoformat(),
}


def formatted(value, fmt: str) -> str:
    fast = FORMATS.get(fmt)
    return fast(value) if fast else date_format(value, fmt)
