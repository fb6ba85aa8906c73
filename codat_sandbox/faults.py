"""Deterministic fault injection: tests and benchmarks script how the sandbox misbehaves.

    inject("get-sync-flow-url", status=503)                  # every mint fails
    inject("get-integration-branding", latency_ms=800, times=1)
    inject("get-sync-flow-url", latency_ms=2500, times=1)    # first code arrives stale
    inject("branding-image", content_type="text/html", body="<script>")

Faults live in the database, so a test can script a sandbox served by another process.
"""

from __future__ import annotations

import math

from django.db import transaction
from django.db.models import Count, F

from .models import Call, Fault

FIELDS = ("status", "retry_after", "latency_ms", "code_age", "body", "content_type", "body_size")


class BadFault(ValueError):
    """A fault that could not be applied as asked; the message says which field and why."""


def _integer(low: int, high: int):
    def check(name, value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadFault(f"{name} must be a whole number from {low} to {high}, not {value!r}")
        return value

    return check


def _text(low: int, high: int):
    def check(name, value):
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise BadFault(f"{name} must be text of {low} to {high} characters")
        if "\x00" in value:  # PostgreSQL's text columns cannot hold it
            raise BadFault(f"{name} cannot contain NUL characters")
        return value

    return check


def _seconds(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 86400:
        raise BadFault(f"{name} must be a number of seconds from 0 to 86400, not {value!r}")
    return float(value)


# Bounds that keep a scripted fault something the sandbox can serve: a real status, a latency
# under an hour, a body a worker can hold.
_CHECKS = {
    "operation": _text(1, 64),
    "times": _integer(1, 1_000_000),
    "status": _integer(100, 599),
    "retry_after": _text(0, 64),
    "latency_ms": _integer(0, 3_600_000),
    "code_age": _seconds,
    "body": _text(0, 1024 * 1024),
    "content_type": _text(0, 100),
    "body_size": _integer(0, 16 * 1024 * 1024),
}


def inject(operation: str, *, times: int | None = None, **behaviour) -> Fault:
    unknown = set(behaviour) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    fields = {"operation": operation, "times": times, **behaviour}
    checked = {name: _CHECKS[name](name, value) for name, value in fields.items() if value is not None}
    if "operation" not in checked:
        raise BadFault("operation is required")
    remaining = checked.pop("times", None)
    return Fault.objects.create(remaining=remaining, **checked)


def clear() -> None:
    Fault.objects.all().delete()


def take(operation: str) -> Fault | None:
    """The first fault that applies to ``operation``, used up by one if it is counted."""
    for fault in Fault.objects.filter(operation__in=[operation, "*"]):
        if fault.remaining is None:
            return fault
        with transaction.atomic():
            claimed = Fault.objects.filter(pk=fault.pk, remaining__gt=0).update(
                remaining=F("remaining") - 1
            )
        if claimed:
            Fault.objects.filter(pk=fault.pk, remaining=0).delete()
            return fault
    return None


def calls(operation: str | None = None) -> int:
    queryset = Call.objects.all()
    if operation:
        queryset = queryset.filter(operation=operation)
    return queryset.count()


def call_counts() -> dict[str, int]:
    """How many calls the sandbox answered, by operation."""
    rows = Call.objects.values("operation").annotate(count=Count("id")).order_by("operation")
    return {row["operation"]: row["count"] for row in rows}


def reset() -> None:
    """Forget faults and the call log (not companies or codes)."""
    clear()
    Call.objects.all().delete()
