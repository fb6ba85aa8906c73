"""Reads for the staff area: merchants with where they stand (from Codat, via snapshots), and their history."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower

from integrations.models import ConnectionChange, ConnectionSnapshot, LinkAttempt, SyncRequest
from integrations.services.standing import ATTENTION_STATES, ATTENTION_SYNC_CODES
from merchants.models import Merchant

SEARCH_MAX_LENGTH = 100
Status = ConnectionSnapshot.Status

# Progress order, for sorting by status.
STATUS_RANK = {
    Status.NEVER_STARTED: 0,
    Status.NOT_FINISHED: 1,
    Status.DISCONNECTED: 2,
    Status.NEEDS_ATTENTION: 3,
    Status.LINKED: 4,
}

# sort key → ORDER BY; every ordering ends on the primary key so pages never overlap.
SORTS = {
    "name": [Lower("name"), "pk"],
    "-name": [Lower("name").desc(), "-pk"],
    "created": ["created_at", "pk"],
    "-created": ["-created_at", "-pk"],
    "status": ["status_rank", Lower("name"), "pk"],
    "-status": ["-status_rank", Lower("name"), "pk"],
    # Oldest (and never) first: the merchants longest without a sync.
    "last_sync": [F("last_sync_at").asc(nulls_first=True), Lower("name"), "pk"],
    "-last_sync": [F("last_sync_at").desc(nulls_last=True), Lower("name"), "pk"],
}
DEFAULT_SORT = "name"


def merchants_with_status() -> QuerySet[Merchant]:
    """Merchants annotated with where they stand, from their connection snapshot: one query.

    ``status`` (a ConnectionSnapshot.Status; never_started without a Codat company),
    ``state`` (a standing.State value; empty without one), ``status_rank``, ``platform_name``,
    ``status_as_of`` (when Codat last answered), ``last_sync_code`` and ``last_sync_at`` (the
    latest sync) and the latest connection attempt's ``last_attempt_at``, ``_outcome``, ``_reason`` and
    ``_platform`` (attempts are history, not status: the platform tried, before Codat has a connection).
    """
    latest_attempt = LinkAttempt.objects.filter(merchant=OuterRef("pk")).order_by("-started_at", "-pk")
    merchants = Merchant.objects.annotate(
        status=Coalesce(F("connection_snapshot__status"), Value(Status.NEVER_STARTED)),
        state=Coalesce(F("connection_snapshot__state"), Value("")),
        platform_name=Coalesce(F("connection_snapshot__platform_name"), Value("")),
        status_as_of=F("connection_snapshot__fetched_at"),
        last_sync_code=F("connection_snapshot__last_sync_code"),
        last_sync_at=F("connection_snapshot__last_sync_at"),
        last_attempt_at=Subquery(latest_attempt.values("started_at")[:1]),
        last_attempt_outcome=Subquery(latest_attempt.values("outcome")[:1]),
        last_attempt_reason=Subquery(latest_attempt.values("failure_reason")[:1]),
        last_attempt_platform=Subquery(latest_attempt.values("platform_name")[:1]),
    )
    return merchants.annotate(
        status_rank=Case(
            *(When(status=status, then=Value(rank)) for status, rank in STATUS_RANK.items()),
            output_field=IntegerField(),
        )
    )


# Disconnected, setup not finished, paused, or the latest sync failed (4xxx or 5xxx): in SQL,
# from the columns each snapshot refresh writes.
NEEDS_ATTENTION = Q(connection_snapshot__state__in=[state.value for state in ATTENTION_STATES]) | Q(
    connection_snapshot__last_sync_code__gte=ATTENTION_SYNC_CODES.start,
    connection_snapshot__last_sync_code__lt=ATTENTION_SYNC_CODES.stop,
)


def merchant_list(
    *, search: str = "", status: str = "", attention: bool = False, sort: str = DEFAULT_SORT
) -> QuerySet[Merchant]:
    merchants = merchants_with_status()
    search = search.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]  # PostgreSQL refuses NUL in text
    if search:
        merchants = merchants.filter(Q(name__icontains=search) | Q(identifier__icontains=search))
    if status in Status.values:
        merchants = merchants.filter(status=status)
    if attention:
        merchants = merchants.filter(NEEDS_ATTENTION)
    return merchants.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def merchant_get(*, merchant_id: int) -> Merchant | None:
    return merchants_with_status().filter(pk=merchant_id).first()


def merchant_attempts(*, merchant: Merchant, limit: int = 20) -> list[LinkAttempt]:
    return list(merchant.link_attempts.select_related("user").order_by("-started_at", "-pk")[:limit])


def merchant_sync_requests(*, merchant: Merchant, limit: int = 20) -> list[SyncRequest]:
    return list(merchant.sync_requests.select_related("requested_by").order_by("-requested_at", "-pk")[:limit])


def merchant_connection_changes(*, merchant: Merchant, limit: int = 20) -> list[ConnectionChange]:
    """Disconnects, switches and reconnects, newest first, with who made them."""
    return list(ConnectionChange.objects.filter(merchant=merchant).select_related("user")[:limit])
