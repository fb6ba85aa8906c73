"""Reads for the staff area: merchants with where they stand with linking, and their history."""

from __future__ import annotations

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower

from integrations.models import LinkAttempt
from merchants.models import Merchant

REDIRECTED = [LinkAttempt.Outcome.REDIRECTED, LinkAttempt.Outcome.REDIRECTED_AFTER_REMINT]
SEARCH_MAX_LENGTH = 100


class LinkStatus:
    """Where a merchant stands, in the order they progress."""

    NEVER_STARTED = "never_started"
    FAILED = "failed"
    STARTED = "started"
    LINKED = "linked"

    LABELS = {
        NEVER_STARTED: "Never started",
        FAILED: "Last attempt failed",
        STARTED: "Started",
        LINKED: "Linked",
    }
    RANK = {NEVER_STARTED: 0, FAILED: 1, STARTED: 2, LINKED: 3}
    choices = list(LABELS.items())


# sort key → ORDER BY; every ordering ends on the primary key so pages never overlap.
SORTS = {
    "name": [Lower("name"), "pk"],
    "-name": [Lower("name").desc(), "-pk"],
    "created": ["created_at", "pk"],
    "-created": ["-created_at", "-pk"],
    "status": ["status_rank", Lower("name"), "pk"],
    "-status": ["-status_rank", Lower("name"), "pk"],
}
DEFAULT_SORT = "name"


def merchants_with_status() -> QuerySet[Merchant]:
    """Merchants annotated with ``status``, ``status_rank``, ``linked_at``, ``last_attempt_at``: one query.

    Linked wins: a merchant who came back from the Sync Flow once stays linked
    even if a later visit (to review settings) fails. Otherwise the latest
    attempt decides: failed, or started (redirected, or still in progress).
    """
    attempts = LinkAttempt.objects.filter(merchant=OuterRef("pk"))
    latest = attempts.order_by("-started_at", "-pk")
    returned = attempts.filter(outcome__in=REDIRECTED, returned_at__isnull=False).order_by("-returned_at")
    merchants = Merchant.objects.annotate(
        linked_at=Subquery(returned.values("returned_at")[:1]),
        latest_outcome=Subquery(latest.values("outcome")[:1]),
        last_attempt_at=Subquery(latest.values("started_at")[:1]),
    ).annotate(
        status=Case(
            When(linked_at__isnull=False, then=Value(LinkStatus.LINKED)),
            When(latest_outcome__isnull=True, then=Value(LinkStatus.NEVER_STARTED)),
            When(latest_outcome=LinkAttempt.Outcome.FAILED, then=Value(LinkStatus.FAILED)),
            default=Value(LinkStatus.STARTED),
        )
    )
    return merchants.annotate(
        status_rank=Case(
            *(When(status=status, then=Value(rank)) for status, rank in LinkStatus.RANK.items()),
            output_field=IntegerField(),
        )
    )


def merchant_list(*, search: str = "", status: str = "", sort: str = DEFAULT_SORT) -> QuerySet[Merchant]:
    merchants = merchants_with_status()
    search = search.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]  # PostgreSQL refuses NUL in text
    if search:
        merchants = merchants.filter(Q(name__icontains=search) | Q(identifier__icontains=search))
    if status in LinkStatus.LABELS:
        merchants = merchants.filter(status=status)
    return merchants.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def merchant_get(*, merchant_id: int) -> Merchant | None:
    return merchants_with_status().filter(pk=merchant_id).first()


def merchant_attempts(*, merchant: Merchant, limit: int = 20) -> list[LinkAttempt]:
    return list(merchant.link_attempts.select_related("user").order_by("-started_at", "-pk")[:limit])
