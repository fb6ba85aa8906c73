"""When to retry a Codat call, and how long to wait first."""

from __future__ import annotations

import email.utils
import math
import random
import time
from datetime import timezone

# Longer than this is no instruction anyone could follow (inf, a date in 2099): read as absent.
RETRY_AFTER_MAX = 24 * 60 * 60

# Codat's own SDK retries these (x-speakeasy-retries): 408, 429 and every 5xx.
RETRYABLE_STATUSES = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date).

    None if absent, unreadable, not a finite number (``inf``, ``nan``) or absurdly far off
    (over RETRY_AFTER_MAX): such a header says nothing we could act on.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        now = time.time() if now is None else now
        seconds = when.timestamp() - now
    if not math.isfinite(seconds) or seconds > RETRY_AFTER_MAX:
        return None
    return max(0.0, seconds)


def backoff_delay(retry_number: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, so waits are spread but never ~0."""
    ceiling = min(cap, base * (2 ** retry_number))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
