"""Each merchant's connection snapshot: what Codat says about its company, kept for pages to read.

The same rules as the branding cache: a page reads the database; a stale
snapshot is served while one background refresh runs (single flight across
processes through the row's lease); with Codat down the last snapshot is served
with its "as of" time; a snapshot never fetched holds a page at most
CODAT_CONNECTION_COLD_WAIT. A fresh snapshot means no Codat call at all.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from merchants.models import Merchant

from ..codat import (
    CodatClient,
    CodatError,
    CodatNotFoundError,
    CompanySyncStatus,
    Configuration,
    Connection,
    ConnectionStatus,
    get_codat_client,
)
from ..models import ConnectionSnapshot
from . import leases, refresher
from .freshness import due_filter, is_due, is_leased, stale_filter
from .offering import offered_source_type
from .standing import STAFF_STATUS, Standing, State, standing

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class ConnectionReport:
    """What a page shows: the standing, and how old the Codat answer behind it is."""

    standing: Standing
    as_of: datetime | None = None  # when Codat last answered; None: never asked
    stale: bool = False  # older than the TTL: a refresh is under way or Codat is failing
    failing_since: datetime | None = None  # the last refresh failed (Codat down): shown as "as of"
    alerted_at: datetime | None = None  # a webhook said it broke, and the merchant was told
    connections: tuple[Connection, ...] = ()  # every connection Codat listed (commerce and accounting)
    # The tenant first linked on this platform, when Codat now names another one ("You connected
    # Other Ltd; before, Bean & Leaf Ltd"); empty otherwise.
    tenant_was: str = ""
    stored_syncs: tuple[dict, ...] = ()  # as the snapshot keeps them; see syncs

    @cached_property
    def syncs(self) -> list[CompanySyncStatus]:
        """The last syncs, newest first (for staff): parsed when asked for, not on every merchant page."""
        return _parsed_syncs(self.stored_syncs)


NOT_CONNECTED = ConnectionReport(standing=Standing(State.NOT_CONNECTED))


def merchant_snapshot(merchant: Merchant) -> ConnectionSnapshot | None:
    """The merchant's snapshot: the one loaded with the login for this request (integrations.auth),
    else read now. None without a company."""
    if Merchant.connection_snapshot.is_cached(merchant):
        return getattr(merchant, "connection_snapshot", None)  # a cached "none" raises AttributeError
    return ConnectionSnapshot.objects.filter(merchant=merchant).first()


def connection_report(merchant: Merchant, *, wait: float | None = None) -> ConnectionReport:
    """The merchant's connection as the snapshot has it; refreshes in the background when due."""
    snapshot = merchant_snapshot(merchant)
    if snapshot is None:
        return NOT_CONNECTED  # no company: nothing to ask Codat
    if _refreshable(snapshot):
        future = refresher.submit(connection_refresh, merchant.pk)
        if snapshot.fetched_at is None:  # never fetched: worth a short wait
            deadline = time.monotonic() + (settings.CODAT_CONNECTION_COLD_WAIT if wait is None else wait)
            wait_futures([future], timeout=max(0.0, deadline - time.monotonic()))
            snapshot = _wait_for_lease(merchant.pk, deadline)
    return report_of(snapshot)


def connection_refresh_now(merchant: Merchant, *, wait: float | None = None) -> ConnectionReport:
    """Ask Codat now (the merchant is back from the Sync Flow), waiting a bounded time for the answer."""
    snapshot = ConnectionSnapshot.objects.filter(merchant=merchant).first()
    if snapshot is None:
        return NOT_CONNECTED
    deadline = time.monotonic() + (settings.CODAT_CONNECTION_COLD_WAIT if wait is None else wait)
    future = refresher.submit(connection_refresh, merchant.pk, True)
    wait_futures([future], timeout=max(0.0, deadline - time.monotonic()))
    return report_of(_wait_for_lease(merchant.pk, deadline))


def connection_standing(merchant: Merchant) -> Standing | None:
    """Where the merchant stands as the snapshot has it; None without a company. Never calls Codat."""
    snapshot = merchant_snapshot(merchant)
    return report_of(snapshot).standing if snapshot is not None else None


def connection_refresh_after_change(merchant: Merchant, *, wait: float | None = None) -> ConnectionReport:
    """Read Codat again after a change we made, waiting a bounded time for the answer.

    Unlike connection_refresh_now, a refresh already under way is not taken as the answer: it may
    have read Codat before the change. This one waits for that lease to free, then reads.
    """
    deadline = time.monotonic() + (settings.CODAT_CONNECTION_COLD_WAIT if wait is None else wait)
    future = refresher.submit(_refresh_when_free, merchant.pk)
    wait_futures([future], timeout=max(0.0, deadline - time.monotonic()))
    return report_of(ConnectionSnapshot.objects.get(merchant=merchant))


def connection_snapshot_apply(
    merchant: Merchant, *, updated: Connection | None = None, removed: str | None = None
) -> ConnectionReport:
    """Write what Codat just answered to our own change into the snapshot, before a refresh confirms it.

    ``updated`` replaces the connection of the same id (disconnect); ``removed`` drops a connection
    (switch), and with it the tenant remembered for it and any alert about it.
    """
    snapshot = ConnectionSnapshot.objects.get(merchant=merchant)
    connections = [Connection.from_json(item) for item in snapshot.connections]
    if removed is not None:
        connections = [c for c in connections if c.id != removed]
    if updated is not None:
        connections = [updated if c.id == updated.id else c for c in connections]
    snapshot.connections = [connection.to_json() for connection in connections]
    found = report_of(snapshot).standing
    fields = dict(
        connections=snapshot.connections,
        state=found.state,
        status=found.staff_status,
        platform_key=found.platform_key,
        platform_name=found.platform_name,
        changed_at=timezone.now(),
    )
    if removed is not None:
        fields.update(first_tenant_name="", first_tenant_platform_key="", alert="", alert_at=None)
    ConnectionSnapshot.objects.filter(pk=snapshot.pk).update(**fields)
    return report_of(ConnectionSnapshot.objects.get(pk=snapshot.pk))


def connection_tenant_keep(merchant: Merchant) -> bool:
    """The merchant confirms the tenant Codat now names is the right one: stop pointing out the change."""
    snapshot = ConnectionSnapshot.objects.filter(merchant=merchant).first()
    if snapshot is None or not report_of(snapshot).tenant_was:
        return False
    standing = report_of(snapshot).standing
    ConnectionSnapshot.objects.filter(pk=snapshot.pk).update(
        first_tenant_name=standing.tenant_name, first_tenant_platform_key=standing.platform_key
    )
    return True


def connection_snapshot_start(*, merchant: Merchant, company_id: str) -> None:
    """A newly bound company gets an empty snapshot, due at once."""
    ConnectionSnapshot.objects.get_or_create(
        merchant=merchant,
        defaults={"company_id": company_id, "state": State.NOT_CONNECTED, "status": STAFF_STATUS[State.NOT_CONNECTED]},
    )


def connection_refresh(
    merchant_id: int,
    force: bool = False,
    *,
    codat: CodatClient | None = None,
    stale_before: datetime | None = None,
) -> bool:
    """Read the merchant's company from Codat into its snapshot, if due (or ``force``).

    Due means expired; with ``stale_before``, fetched at or before that time instead.
    False if it was not due or another worker holds the lease. Raises CodatError
    when Codat fails; the previous snapshot stays served.
    """
    rows = ConnectionSnapshot.objects.filter(pk=merchant_id)
    if force:
        due = None
    elif stale_before is not None:
        due = stale_filter(fetched="fetched_at", error_at="error_at", before=stale_before)
    else:
        due = due_filter(expires="expires_at", error_at="error_at")
    if not leases.acquire(rows, also=due):
        return False
    began = timezone.now()
    try:
        company_id, tenant_platform_key, tenant_name = rows.values_list(
            "company_id", "first_tenant_platform_key", "first_tenant_name"
        ).get()
        codat = codat or get_codat_client()
        connections = codat.list_connections(company_id)
        configuration = _unless_missing(codat.get_configuration, company_id)
        latest = _unless_missing(codat.get_latest_sync, company_id)
        last_successful = _unless_missing(codat.get_last_successful_sync, company_id)
        syncs = _unless_missing(codat.list_syncs, company_id) or []
    except CodatError as exc:
        rows.update(error=str(exc)[:2000], error_at=timezone.now(), lease_until=None)
        logger.warning("connection refresh for merchant %s failed: %s", merchant_id, exc)
        raise
    except BaseException:
        rows.update(lease_until=None)
        raise
    found = _standing(connections, configuration, latest, last_successful)
    now = timezone.now()
    # A change made in the portal while we read may postdate our answer: keep the change's.
    unchanged_since = Q(changed_at__isnull=True) | Q(changed_at__lt=began)
    if not rows.filter(unchanged_since).update(
        **_tenant_to_remember(found, tenant_platform_key, tenant_name),
        connections=[connection.to_json() for connection in connections],
        configuration=configuration.to_json() if configuration else None,
        latest_sync=latest.to_json() if latest else None,
        last_successful_sync=last_successful.to_json() if last_successful else None,
        syncs=[sync.to_json() for sync in _newest_first(syncs)[: ConnectionSnapshot.SYNCS_KEPT]],
        **_last_sync_columns(latest),
        state=found.state,
        status=found.staff_status,
        platform_key=found.platform_key,
        platform_name=found.platform_name,
        fetched_at=now,
        expires_at=now + _time_to_live(found),
        error="",
        error_at=None,
        lease_until=None,
    ):
        rows.update(lease_until=None)
        logger.info("connection refresh for merchant %s dropped: a change was made while it read", merchant_id)
        return False
    return True


def connection_record_sync(merchant_id: int, sync: CompanySyncStatus) -> None:
    """A sync Codat has just accepted becomes the snapshot's latest at once, and the snapshot due soon.

    Staff see it "In progress" straight away without another call to Codat; the first page view
    after CODAT_CONNECTION_SYNCING_TTL asks Codat how it ended. A refresh that runs meanwhile
    replaces all of this with what Codat says.
    """
    snapshot = ConnectionSnapshot.objects.filter(pk=merchant_id).first()
    if snapshot is None:
        return
    found = _standing(
        [Connection.from_json(item) for item in snapshot.connections],
        Configuration.from_json(snapshot.configuration) if snapshot.configuration else None,
        sync,
        CompanySyncStatus.from_json(snapshot.last_successful_sync) if snapshot.last_successful_sync else None,
    )
    syncs = [sync.to_json()] + [
        item for item in snapshot.syncs if not (sync.sync_id and item.get("syncId") == sync.sync_id)
    ]
    ConnectionSnapshot.objects.filter(pk=merchant_id).update(
        latest_sync=sync.to_json(),
        syncs=syncs[: ConnectionSnapshot.SYNCS_KEPT],
        **_last_sync_columns(sync),
        state=found.state,
        status=found.staff_status,
        expires_at=timezone.now() + _time_to_live(found),
    )


def snapshot_syncs(snapshot: ConnectionSnapshot | None) -> list[CompanySyncStatus]:
    """The syncs a snapshot keeps, newest first, read back through the client's parser."""
    return _parsed_syncs(snapshot.syncs if snapshot is not None else [])


def _parsed_syncs(stored) -> list[CompanySyncStatus]:
    found = []
    for item in stored or []:
        try:
            found.append(CompanySyncStatus.from_json(item))
        except ValueError:  # a stored row the parser no longer accepts: skipped, not fatal
            continue
    return found


def _newest_first(syncs: list[CompanySyncStatus]) -> list[CompanySyncStatus]:
    # list-syncs' order is not documented: sort, undated runs last.
    return sorted(syncs, key=lambda sync: (sync.sync_utc is not None, sync.sync_utc or datetime.min), reverse=True)


def _last_sync_columns(latest: CompanySyncStatus | None) -> dict:
    code = latest.status_code if latest is not None else None
    return {
        "last_sync_code": code if code is not None and 0 <= code < 32768 else None,
        "last_sync_at": latest.sync_utc if latest is not None else None,
    }


def _time_to_live(found: Standing) -> timedelta:
    """A running sync is asked about again sooner: staff are waiting to see how it ends."""
    ttl = settings.CODAT_CONNECTION_TTL
    if found.state == State.SYNCING:
        ttl = min(ttl, settings.CODAT_CONNECTION_SYNCING_TTL)
    return timedelta(seconds=ttl)


def report_of(snapshot: ConnectionSnapshot) -> ConnectionReport:
    """The standing a stored snapshot describes, read back through the Codat client's parsers."""
    connections, found, tenant_was = snapshot.__dict__.get("parsed") or _parsed(snapshot)
    now = timezone.now()
    return ConnectionReport(
        standing=found,
        as_of=snapshot.fetched_at,
        stale=snapshot.expires_at is None or snapshot.expires_at <= now,
        failing_since=snapshot.error_at if snapshot.error_at else None,
        alerted_at=snapshot.alert_at,
        connections=connections,
        stored_syncs=tuple(snapshot.syncs or ()),
        tenant_was=tenant_was,
    )


def snapshot_parse_ahead(snapshot: ConnectionSnapshot) -> None:
    """Parse the snapshot's Codat shapes into the instance now: a login's cached entry keeps them
    (login_cache), so warm pages skip the parsers. Only for an instance nobody will change."""
    snapshot.parsed = _parsed(snapshot)


def _parsed(snapshot: ConnectionSnapshot) -> tuple[tuple[Connection, ...], Standing, str]:
    connections = tuple(Connection.from_json(item) for item in snapshot.connections)
    found = _standing(
        list(connections),
        Configuration.from_json(snapshot.configuration) if snapshot.configuration else None,
        CompanySyncStatus.from_json(snapshot.latest_sync) if snapshot.latest_sync else None,
        CompanySyncStatus.from_json(snapshot.last_successful_sync) if snapshot.last_successful_sync else None,
    )
    return connections, found, _tenant_was(found, snapshot.first_tenant_platform_key, snapshot.first_tenant_name)


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _tenant_to_remember(found: Standing, platform_key: str, name: str) -> dict:
    """The tenant to remember: the first one seen Linked on this platform (again after a switch)."""
    connection = found.connection
    if connection is None or connection.status != ConnectionStatus.LINKED or not found.tenant_name:
        return {}
    if name and platform_key == found.platform_key:
        return {}
    return {"first_tenant_name": found.tenant_name[:255], "first_tenant_platform_key": found.platform_key}


def _tenant_was(found: Standing, platform_key: str, name: str) -> str:
    connection = found.connection
    if connection is None or connection.status != ConnectionStatus.LINKED or not found.tenant_name or not name:
        return ""
    if platform_key != found.platform_key or _same_name(found.tenant_name, name):
        return ""
    return name


def _standing(connections, configuration, latest, last_successful) -> Standing:
    return standing(
        connections=connections,
        configuration=configuration,
        latest_sync=latest,
        last_successful_sync=last_successful,
        source_type=offered_source_type(),
        connector_key=settings.CODAT_CONNECTOR_KEY,
    )


def _unless_missing(operation, company_id):
    """Codat answers 404 when there is nothing yet (no sync has run): that is an answer, not a fault."""
    try:
        return operation(company_id)
    except CodatNotFoundError:
        return None


def _refreshable(snapshot: ConnectionSnapshot) -> bool:
    return is_due(snapshot.expires_at, snapshot.error_at) and not is_leased(snapshot.lease_until)


def _refresh_when_free(merchant_id: int) -> bool:
    """Refresh once no other refresh holds the row (that one may have read Codat too early)."""
    give_up = time.monotonic() + leases.LEASE_SECONDS
    while not connection_refresh(merchant_id, True):
        if time.monotonic() >= give_up or not ConnectionSnapshot.objects.filter(pk=merchant_id).exists():
            return False
        time.sleep(POLL_SECONDS)
    return True


def _wait_for_lease(merchant_id: int, deadline: float) -> ConnectionSnapshot:
    """The snapshot once no refresh holds it, or as it is when the deadline passes."""
    while True:
        snapshot = ConnectionSnapshot.objects.get(pk=merchant_id)
        if not is_leased(snapshot.lease_until) or time.monotonic() >= deadline:
            return snapshot
        time.sleep(POLL_SECONDS)
