"""Per-merchant limit on hand-off starts, shared by every instance through the cache."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

_PERIODS = {"s": 1, "m": 60, "h": 3600}


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


def link_start_allowed(merchant) -> Decision:
    limit, period = parse_rate(settings.LINK_RATE_LIMIT)
    if not limit:
        return Decision(True)
    now = time.time()
    window = int(now // period)
    key = f"ratelimit:link-start:{merchant.pk}:{window}"
    cache.add(key, 0, timeout=period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, timeout=period + 5)
        count = 1
    if count <= limit:
        return Decision(True)
    return Decision(False, retry_after=max(1, int(period - (now % period)) + 1))


# Re-entering a password before a disconnect or switch: a stolen session must not be a way to
# guess it. Counted per user (staff acting for several merchants have one count), wrong tries only.
PASSWORD_RECHECK_LIMIT = 5
PASSWORD_RECHECK_PERIOD = 15 * 60


def _recheck_key(user) -> str:
    return f"ratelimit:password-recheck:{user.pk}:{int(time.time() // PASSWORD_RECHECK_PERIOD)}"


def password_recheck_allowed(user) -> Decision:
    if (cache.get(_recheck_key(user)) or 0) < PASSWORD_RECHECK_LIMIT:
        return Decision(True)
    return Decision(False, retry_after=max(1, int(PASSWORD_RECHECK_PERIOD - time.time() % PASSWORD_RECHECK_PERIOD) + 1))


def password_recheck_failed(user) -> None:
    key = _recheck_key(user)
    cache.add(key, 0, timeout=PASSWORD_RECHECK_PERIOD + 5)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, timeout=PASSWORD_RECHECK_PERIOD + 5)
