"""{% local_time value [format] %}: a <time> element in the active zone (as |date would show it, and
as fast as commerce_portal.dates), with the same moment in ISO 8601 for machines."""

from django import template
from django.utils.html import format_html
from django.utils.timezone import template_localtime

from commerce_portal.dates import formatted

register = template.Library()


@register.simple_tag(takes_context=True)
def local_time(context, value, fmt="j M Y, H:i T"):
    value = template_localtime(value, context.use_tz)  # {% localtime off %} keeps the value's own zone
    return format_html('<time datetime="{}">{}</time>', formatted(value, "c"), formatted(value, fmt))
