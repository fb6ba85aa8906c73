"""{% tile_list %}: the selection page's tiles, rendered once per process for each distinct input.

The list depends only on the offering (frozen Offer values) and the merchant's current platform
and next step: nothing about the request (the CSRF token sits in the form around it). Rendering
seven tiles cost more than the rest of the page, and most views repeat the previous one's inputs.
"""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def tile_list(context) -> str:
    current = context.get("current")
    return _render(
        tuple(context.get("offers") or ()),
        current.integration_key if current else "",
        current.platform_name if current else "",
        context.get("current_action") or "",
    )


@lru_cache(maxsize=64)  # a handful of offerings (one at a time) x platforms x next steps
def _render(offers, current_key: str, current_name: str, current_action: str) -> str:
    return render_to_string("integrations/_tile_list.html", {
        "offers": offers, "current_key": current_key, "current_name": current_name, "current_action": current_action,
    })
