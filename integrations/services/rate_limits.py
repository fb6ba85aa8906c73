"""Per-merchant limit on hand-off starts, counted in the database so that it is exact across
workers and instances whatever the cache (the default cache is each process's own memory).

A window opens at the first start and lasts the period; within it, a conditional UPDATE
(``count < limit``) lets exactly ``limit`` starts through however many processes race. A
merchant's logins share one allowance; each staff member assisting a merchant has their own,
so neither can use up the other's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.utils import timezone

from ..models import RateLimitWindow

_PERIODS = {"s": 1, "m": 60, "h": 3600}

# A new key's row starts as a window closed for every process. "Now minus the period" would not
# do: a racer whose clock read came a moment earlier sees that window as open, counts in it, and
# loses its count when the winner opens the real window (one start too many got through).
_CLOSED = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/m' → (10, 60). Empty or '0' disables the limit (0, 0)."""
    if not rate or rate.strip() == "0":
        return 0, 0
    try:
        count, period = rate.strip().split("/")
        return int(count), _PERIODS[period.strip().lower()[:1]]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(f"LINK_RATE_LIMIT must look like '10/m', not {rate!r}") from None


def link_start_allowed(merchant, *, assisted_by=None) -> Decision:
    """May this merchant (or ``assisted_by``, a staff user acting for it) start a hand-off now?"""
    limit, period = parse_rate(settings.LINK_RATE_LIMIT)
    if not limit:
        return Decision(True)
    key = f"link-start:{merchant.pk}" + (f":staff:{assisted_by.pk}" if assisted_by is not None else "")
    return _take(key, limit=limit, period=timedelta(seconds=period))


def _take(key: str, *, limit: int, period: timedelta) -> Decision:
    now = timezone.now()
    current = RateLimitWindow.objects.filter(key=key, started_at__gt=now - period)
    # In the open window and under the limit: one more. The database re-checks the conditions
    # on the row it locks, so racing processes let exactly `limit` through. (The usual case: one
    # statement on the hand-off's path.)
    if current.filter(count__lt=limit).update(count=F("count") + 1):
        return Decision(True)
    # The key's row, created as a closed window the first time (get_or_create copes with two
    # processes creating it at once).
    RateLimitWindow.objects.get_or_create(key=key, defaults={"started_at": _CLOSED, "count": 0})
    # The window has closed: open a new one with this start in it (one racer wins) ...
    if RateLimitWindow.objects.filter(key=key, started_at__lte=now - period).update(started_at=now, count=1):
        return Decision(True)
    # ... and a racer that lost that count in the window the winner opened.
    if current.filter(count__lt=limit).update(count=F("count") + 1):
        return Decision(True)
    started = RateLimitWindow.objects.filter(key=key).values_list("started_at", flat=True).first() or now
    remaining = (started + period - now).total_seconds()
    return Decision(False, retry_after=max(1, int(remaining) + 1))


# Re-entering a password before a disconnect or switch: a stolen session must not be a way to
# guess it. Only wrong tries count, per user (staff acting for several merchants have one count),
# in the same database windows, so the limit holds across workers.
PASSWORD_RECHECK_LIMIT = 5
PASSWORD_RECHECK_PERIOD = timedelta(minutes=15)


def _recheck_key(user) -> str:
    return f"password-recheck:{user.pk}"


def password_recheck_allowed(user) -> Decision:
    now = timezone.now()
    window = (
        RateLimitWindow.objects.filter(key=_recheck_key(user), started_at__gt=now - PASSWORD_RECHECK_PERIOD)
        .values_list("started_at", "count")
        .first()
    )
    if window is None or window[1] < PASSWORD_RECHECK_LIMIT:
        return Decision(True)
    return Decision(False, retry_after=max(1, int((window[0] + PASSWORD_RECHECK_PERIOD - now).total_seconds()) + 1))


def password_recheck_failed(user) -> None:
    _take(_recheck_key(user), limit=PASSWORD_RECHECK_LIMIT, period=PASSWORD_RECHECK_PERIOD)
