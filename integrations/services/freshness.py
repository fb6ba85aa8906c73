"""When a row cached from Codat is due for a refresh: one rule, as a query and on an instance.

A row is due when it has no expiry yet (never fetched) or its expiry has passed, unless its last refresh failed less than ERROR_BACKOFF ago: a Codat that is
down is asked again once a minute, not on every page view.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

ERROR_BACKOFF = timedelta(seconds=60)


def due_filter(*, expires: str, error_at: str, now: datetime | None = None) -> Q:
    """The rule as a filter on the named expiry and last-error fields."""
    now = now or timezone.now()
    expired = Q(**{f"{expires}__isnull": True}) | Q(**{f"{expires}__lte": now})
    not_backing_off = Q(**{f"{error_at}__isnull": True}) | Q(**{f"{error_at}__lte": now - ERROR_BACKOFF})
    return expired & not_backing_off


def stale_filter(*, fetched: str, error_at: str, before: datetime, now: datetime | None = None) -> Q:
    """Due by age instead of expiry: never fetched, or fetched at or before ``before``; with the same
    back-off after an error as due_filter."""
    now = now or timezone.now()
    old = Q(**{f"{fetched}__isnull": True}) | Q(**{f"{fetched}__lte": before})
    not_backing_off = Q(**{f"{error_at}__isnull": True}) | Q(**{f"{error_at}__lte": now - ERROR_BACKOFF})
    return old & not_backing_off


def is_due(expires_at: datetime | None, error_at: datetime | None, *, now: datetime | None = None) -> bool:
    """The rule on values already loaded; agrees with due_filter."""
    now = now or timezone.now()
    expired = expires_at is None or expires_at <= now
    backing_off = error_at is not None and error_at > now - ERROR_BACKOFF
    return expired and not backing_off


def is_leased(lease_until: datetime | None, *, now: datetime | None = None) -> bool:
    """Someone (any thread, process or instance) is refreshing the row right now."""
    return lease_until is not None and lease_until > (now or timezone.now())
