"""Deterministic fault injection: tests and benchmarks script how the sandbox misbehaves.

    inject("get-sync-flow-url", status=503)                  # every mint fails
    inject("get-integration-branding", latency_ms=800, times=1)
    inject("get-sync-flow-url", latency_ms=2500, times=1)    # first code arrives stale
    inject("branding-image", content_type="text/html", body="<script>")

Faults live in the database, so a test can script a sandbox served by another process.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F

from .models import Call, Fault

FIELDS = ("status", "retry_after", "latency_ms", "code_age", "body", "content_type", "body_size")


def inject(operation: str, *, times: int | None = None, **behaviour) -> Fault:
    unknown = set(behaviour) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    return Fault.objects.create(operation=operation, remaining=times, **behaviour)


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
