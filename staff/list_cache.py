"""Staff's merchant list, kept rendered in the shared cache until anything it shows changes.

A page of 25 merchants is two queries and a hundred formatted times, about ten times the cost of
any merchant page, and staff reload it far more often than merchants change. Each rendered page
(by its query string, the zone its times are in, and what the viewer may do) is kept under one
token for the whole list (commerce_portal.token_cache), which every write to a merchant, its
connection snapshot, binding or link attempts drops: the next view after a change builds afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from commerce_portal import token_cache
from integrations.changes import merchants_changed
from merchants.models import Merchant

TOKEN_KEY = "staff-list-token"


def cached_listing(key: tuple, render: Callable[[], str]) -> str:
    if not settings.SHARED_CACHE:
        return render()
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    return token_cache.cached(TOKEN_KEY, f"staff-list:{digest}", render)


def listing_changed(**kwargs) -> None:
    if settings.SHARED_CACHE:
        token_cache.drop([TOKEN_KEY])


def connect_signals() -> None:
    """Called once from StaffConfig.ready()."""
    merchants_changed.connect(listing_changed, dispatch_uid="staff_list_merchant_state")
    for signal in (post_save, post_delete):
        signal.connect(listing_changed, sender=Merchant, dispatch_uid="staff_list_merchant")
