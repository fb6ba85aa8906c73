"""Times on staff pages: in STAFF_TIME_ZONE (active for every staff view), with UTC on hover."""

from datetime import timezone as dt_timezone

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from integrations.services.standing import SyncOutcome, sync_outcome, sync_outcome_label

register = template.Library()


@register.simple_tag
def when(value, fmt="j M Y, H:i"):
    """<time> in the active (staff) zone; its title and datetime attribute give UTC."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    utc = value.astimezone(dt_timezone.utc)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        _formatted(utc, "j M Y, H:i"),
        _formatted(timezone.localtime(value), fmt),
    )


# The formats staff pages use, without Django's general formatter: a list of 25 merchants shows
# about a hundred times, and that formatter was a quarter of the page's time. (English month
# abbreviations, as LANGUAGE_CODE is; any other format goes to Django's.)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FORMATS = {
    "j M Y, H:i": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}, {d.hour:02d}:{d.minute:02d}",
    "j M, H:i": lambda d: f"{d.day} {_MONTHS[d.month - 1]}, {d.hour:02d}:{d.minute:02d}",
    "j M Y": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    "H:i": lambda d: f"{d.hour:02d}:{d.minute:02d}",
}


def _formatted(value, fmt: str) -> str:
    fast = _FORMATS.get(fmt)
    return fast(value) if fast else date_format(value, fmt)


@register.filter
def sync_label(code):
    """A sync code in words: In progress, Success, Failed: merchant can fix, …"""
    return sync_outcome_label(code)


@register.filter
def sync_kind(code):
    """in_progress, success, merchant_action, codat_side or unknown: for the outcome's colour."""
    return sync_outcome(code).value if code is not None else SyncOutcome.UNKNOWN.value
