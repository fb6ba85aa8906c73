"""Staff's merchant list, kept rendered until anything it shows changes.

A page of 25 merchants is two queries and a hundred formatted times, about ten times the cost of
any merchant page, and staff reload it far more often than merchants change. Each rendered list
(by its query string, the zone its times are in, and what the viewer may do) is kept in the shared
cache under one token for the whole list (commerce_portal.token_cache), which every write to a
merchant, its connection snapshot, binding or link attempts drops: the next view after a change
builds afresh. The whole page around it, which names the viewer, is kept per login in each process
(commerce_portal.kept_pages) under that token and the login's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.template.loader import render_to_string

from commerce_portal import kept_pages, token_cache
from integrations.changes import merchants_changed
from integrations.login_cache import token_key as login_token_key
from merchants.models import Merchant

TOKEN_KEY = "staff-list-token"
TEMPLATE = "staff/merchants.html"


def listing_page(request, key: tuple, render_content: Callable[[], str]) -> HttpResponse:
    """The list's page for ``key`` (everything its content depends on besides the rows).
    Called inside token_cache.read_ahead([TOKEN_KEY]): the token comes with the login."""
    if not settings.SHARED_CACHE:
        return HttpResponse(render_to_string(TEMPLATE, {"content": render_content()}, request))
    digest = hashlib.sha256(repr(key).encode()).hexdigest()

    def built(csrf_token: str) -> kept_pages.Built:
        content = token_cache.cached(TOKEN_KEY, f"staff-list:{digest}", render_content)
        return kept_pages.Built(render_to_string(TEMPLATE, {"content": content, "csrf_token": csrf_token}, request))

    tokens = (token_cache.token(login_token_key(request.user.pk)), token_cache.token(TOKEN_KEY))
    return HttpResponse(kept_pages.respond(request, ("staff-list", request.user.pk, digest), tokens, built))


def listing_changed(**kwargs) -> None:
    if settings.SHARED_CACHE:
        token_cache.drop([TOKEN_KEY])


def connect_signals() -> None:
    """Called once from StaffConfig.ready()."""
    merchants_changed.connect(listing_changed, dispatch_uid="staff_list_merchant_state")
    for signal in (post_save, post_delete):
        signal.connect(listing_changed, sender=Merchant, dispatch_uid="staff_list_merchant")
