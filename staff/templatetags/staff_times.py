"""Times on staff pages: in STAFF_TIME_ZONE (active for every staff view), with UTC on hover."""

from datetime import timezone as dt_timezone

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from commerce_portal.dates import formatted
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
        formatted(utc, "j M Y, H:i"),
        formatted(timezone.localtime(value), fmt),
    )


@register.filter
def sync_label(code):
    """A sync code in words: In progress, Success, Failed: merchant can fix, …"""
    return sync_outcome_label(code)


@register.filter
def sync_kind(code):
    """in_progress, success, merchant_action, codat_side or unknown: for the outcome's colour."""
    return sync_outcome(code).value if code is not None else SyncOutcome.UNKNOWN.value
