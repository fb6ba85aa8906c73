"""Single flight across threads, processes and instances, through the shared database.

A lease is a conditional UPDATE: exactly one caller sees its row count be 1.
"""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

LEASE_SECONDS = 30


def acquire(
    queryset: QuerySet, *, seconds: float = LEASE_SECONDS, also: Q | None = None, field: str = "lease_until"
) -> bool:
    """Take the lease (``field``) on the single row of ``queryset``; ``also`` adds conditions (e.g. still stale)."""
    now = timezone.now()
    free = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now})
    if also is not None:
        free &= also
    return queryset.filter(free).update(**{field: now + timedelta(seconds=seconds)}) == 1


def release(queryset: QuerySet, *, field: str = "lease_until") -> None:
    queryset.update(**{field: None})
