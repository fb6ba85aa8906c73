"""Disconnect, switch platform and reconnect: the merchant's changes to their accounting connection.

Only ever the accounting connection that standing picks (never the partner connector's own: that
would stop every sync), found from the merchant's snapshot (the merchant comes from the login, or
for staff from the URL after the staff check; never from the form).

- Disconnect: update-connection with exactly ``{"status": "Unlinked"}``, only on a ``Linked``
  connection. Re-linkable later: Reconnect re-authorises the same connection.
- Switch: delete-connection on the accounting connection, whatever its status, so that the
  merchant can pick another platform without ending up with two (Codat then fails every sync).
- Reconnect: the link service with the same platform; recorded here when it starts.

Neither PATCH nor DELETE is idempotent, so neither is retried. A double submit makes one call: the
change holds a lease on the snapshot row (a conditional UPDATE on ``change_lease_until``); a second
request waits for it to end, then finds the change made and sends nothing. When Codat fails, or its
answer is lost, the company is read again: what Codat then says is what the merchant is told.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.utils import timezone

from merchants.models import Merchant

from ..codat import (
    CodatAPIError,
    CodatClient,
    CodatError,
    CodatNotFoundError,
    CodatRateLimitedError,
    CodatServerError,
    CodatTimeoutError,
    Connection,
    ConnectionStatus,
    get_codat_client,
)
from ..models import ConnectionChange, ConnectionSnapshot, LinkAttempt
from . import leases
from .connections import (
    ConnectionReport,
    connection_refresh_after_change,
    connection_snapshot_apply,
    connection_standing,
    report_of,
)
from .standing import Standing, State

logger = logging.getLogger(__name__)

Action = ConnectionChange.Action
Outcome = ConnectionChange.Outcome
LEASE_FIELD = "change_lease_until"
POLL_SECONDS = 0.05
DELETED = "Deleted"  # not a Codat status: the connection no longer exists


class ChangeRefused(Exception):
    """Nothing was sent to Codat. ``reason``: no_connection | not_linked | busy."""

    def __init__(self, reason: str, standing=None):
        super().__init__(reason)
        self.reason = reason
        self.standing = standing


@dataclass
class ChangeMade:
    change: ConnectionChange
    report: ConnectionReport
    answer_lost: bool = False  # Codat failed to answer, but reading it again shows the change made


class ChangeFailed(Exception):
    """Codat did not make the change (as far as reading it again can tell). ``kind`` says why."""

    def __init__(self, change: ConnectionChange, report: ConnectionReport, kind: str):
        super().__init__(change.error)
        self.change = change
        self.report = report
        self.kind = kind  # timeout | rate_limited | unreachable | codat_error | refused


def connection_disconnect(*, merchant: Merchant, user, assisted: bool = False, codat: CodatClient | None = None) -> ChangeMade:
    """Unlink the merchant's accounting connection. Raises ChangeRefused or ChangeFailed."""

    def unlink(client: CodatClient, company_id: str, connection: Connection) -> Connection:
        return client.update_connection(company_id, connection.id, status=ConnectionStatus.UNLINKED)

    return _change(
        Action.DISCONNECT,
        merchant=merchant,
        user=user,
        assisted=assisted,
        codat=codat,
        allowed=lambda connection: connection.status == ConnectionStatus.LINKED,
        call=unlink,
        apply=lambda answered, connection: connection_snapshot_apply(merchant, updated=answered),
        reached=lambda report, connection: _status_of(merchant, connection.id) == ConnectionStatus.UNLINKED,
    )


def connection_switch(*, merchant: Merchant, user, assisted: bool = False, codat: CodatClient | None = None) -> ChangeMade:
    """Delete the merchant's accounting connection, so another platform can be picked. Not reversible."""

    def delete(client: CodatClient, company_id: str, connection: Connection) -> None:
        try:
            client.delete_connection(company_id, connection.id)
        except CodatNotFoundError:
            pass  # already gone: what a switch wants (a lost answer, or deleted at Codat)

    return _change(
        Action.SWITCH,
        merchant=merchant,
        user=user,
        assisted=assisted,
        codat=codat,
        allowed=lambda connection: True,  # any status: even a half-finished link is a second connection
        call=delete,
        apply=lambda answered, connection: connection_snapshot_apply(merchant, removed=connection.id),
        reached=lambda report, connection: report.failing_since is None and _status_of(merchant, connection.id) is None,
    )


def reconnect_started(
    *, merchant: Merchant, user, assisted: bool, attempt: LinkAttempt, standing: Standing | None
) -> ConnectionChange | None:
    """Record a reconnect when a link starts on the platform of a disconnected accounting connection.

    Whether it ends Linked is decided on Codat's pages; the change links to its attempt, and if the
    mint fails, reconnect_failed marks it failed. ``standing``: the merchant's, as the link start read it.
    """
    if standing is None or standing.state != State.DISCONNECTED or standing.platform_key != attempt.platform_key:
        return None
    return ConnectionChange.objects.create(
        merchant=merchant,
        user=user,
        assisted=assisted,
        action=Action.RECONNECT,
        platform_key=standing.platform_key,
        platform_name=standing.platform_name,
        connection_id=standing.connection.id,
        from_status=standing.connection.status,
        outcome=Outcome.STARTED,
        link_attempt=attempt,
        at=attempt.started_at,
    )


def reconnect_failed(attempt: LinkAttempt) -> None:
    ConnectionChange.objects.filter(link_attempt=attempt, action=Action.RECONNECT).update(
        outcome=Outcome.FAILED,
        correlation_id=attempt.correlation_id,
        error=f"The Sync Flow could not be opened: {attempt.get_failure_reason_display()}",
    )


def changed_here(*, merchant: Merchant, connection_id: str, standing) -> ConnectionChange | None:
    """The portal change that explains a connection being disconnected or deleted, if one does.

    The latest change to that connection must be a disconnect or switch that was made (a later
    reconnect means a new break is news), and the connection must still be as it left it.
    """
    latest = ConnectionChange.objects.filter(merchant=merchant, connection_id=connection_id).first()
    if latest is None or latest.outcome != Outcome.DONE:
        return None
    connection = standing.connection if standing is not None else None
    still = connection.status if connection is not None and connection.id == connection_id else None
    if latest.action == Action.SWITCH and still is None:
        return latest
    if latest.action == Action.DISCONNECT and still == ConnectionStatus.UNLINKED:
        return latest
    return None


# --- the one way a change is made ------------------------------------------------------


def _change(
    action: str,
    *,
    merchant: Merchant,
    user,
    assisted: bool,
    codat: CodatClient | None,
    allowed: Callable[[Connection], bool],
    call: Callable,
    apply: Callable,
    reached: Callable[[ConnectionReport, Connection], bool],
) -> ChangeMade:
    rows = ConnectionSnapshot.objects.filter(merchant=merchant)
    if not rows.exists():
        raise ChangeRefused("no_connection")
    if not _hold(rows):
        raise ChangeRefused("busy", connection_standing(merchant))
    try:
        snapshot = rows.get()
        standing = report_of(snapshot).standing
        connection = standing.connection
        if connection is None:
            raise ChangeRefused("no_connection", standing)
        if not allowed(connection):
            raise ChangeRefused("not_linked", standing)
        change = ConnectionChange.objects.create(
            merchant=merchant,
            user=user,
            assisted=assisted,
            action=action,
            platform_key=connection.integration_key,
            platform_name=connection.platform_name,
            connection_id=connection.id,
            from_status=connection.status,
            at=timezone.now(),
        )
        failure: CodatError | None = None
        try:
            answered = call(codat or get_codat_client(), snapshot.company_id, connection)
        except CodatError as exc:
            failure = exc
        else:
            apply(answered, connection)
            to_status = answered.status if isinstance(answered, Connection) else DELETED
            _finish(change, Outcome.DONE, to_status=to_status)
    finally:
        leases.release(rows, field=LEASE_FIELD)
    # Read Codat again: after a success, to confirm; after a failure, to say what is true.
    reread = connection_refresh_after_change(merchant)
    if failure is None:
        logger.info("merchant %s: %s of %s connection %s done (change %s)", merchant.pk, action, change.platform_key, change.connection_id, change.pk)
        return ChangeMade(change, reread)
    if reached(reread, connection):
        # The answer was lost (a timeout after Codat acted), but Codat now says it is done.
        _finish(change, Outcome.DONE, to_status=_status_of(merchant, connection.id) or DELETED, failure=failure)
        logger.warning("merchant %s: %s answer lost, but Codat now shows it made (change %s): %s", merchant.pk, action, change.pk, failure)
        return ChangeMade(change, reread, answer_lost=True)
    _finish(change, Outcome.FAILED, to_status="", failure=failure)
    logger.warning("merchant %s: %s of connection %s failed (change %s): %s", merchant.pk, action, change.connection_id, change.pk, failure)
    raise ChangeFailed(change, reread, _kind(failure))


def _hold(rows) -> bool:
    """Take the change lease; if another request holds it, wait for that one to end, then try once more."""
    seconds = settings.CODAT_CONNECT_TIMEOUT + settings.CODAT_READ_TIMEOUT + 5
    if leases.acquire(rows, seconds=seconds, field=LEASE_FIELD):
        return True
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and rows.filter(**{f"{LEASE_FIELD}__gt": timezone.now()}).exists():
        time.sleep(POLL_SECONDS)
    return leases.acquire(rows, seconds=seconds, field=LEASE_FIELD)


def _finish(change: ConnectionChange, outcome: str, *, to_status: str, failure: CodatError | None = None) -> None:
    change.outcome = outcome
    change.to_status = to_status
    if failure is not None:
        change.correlation_id = getattr(failure, "correlation_id", "")[:100]
        change.error = str(failure)[:2000]  # status, Codat's message and correlation id; never the key
    change.save(update_fields=["outcome", "to_status", "correlation_id", "error"])


def _status_of(merchant: Merchant, connection_id: str) -> str | None:
    """The status the merchant's snapshot has for that connection; None if it has no such connection."""
    connections = ConnectionSnapshot.objects.filter(merchant=merchant).values_list("connections", flat=True).first()
    return next((c.get("status") for c in connections or [] if c.get("id") == connection_id), None)


_KINDS: list[tuple[type[CodatError], str]] = [
    # Order matters: subclasses before their parents.
    (CodatTimeoutError, "timeout"),
    (CodatRateLimitedError, "rate_limited"),
    (CodatServerError, "codat_error"),
    (CodatAPIError, "refused"),
    (CodatError, "unreachable"),
]


def _kind(failure: CodatError) -> str:
    kind = next(kind for error_class, kind in _KINDS if isinstance(failure, error_class))
    if kind == "refused" and getattr(failure, "status", 0) in (401, 402, 403):
        return "codat_error"  # our key or plan, not the merchant's request
    return kind
