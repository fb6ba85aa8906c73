"""How a sandbox company changes: created, started, linked, cancelled, unlinked, deleted, re-configured, synced.

The API operations, the stand-in Sync Flow and the controls all change state through
here, so a company linked by a test's control looks exactly like one linked in a browser.

Two accounting connections: a Sync for Commerce company has one commerce and one accounting
connection, and Codat's guidance when re-linking is "make sure that the previous one is deleted"
(commerce/error-documentation.md). While a company has connections to two accounting platforms (or
two commerce platforms), in any status, every sync recorded for it fails with 4000, a configuration
error, whatever result was asked for: through the controls too (``push_sync(..., status_code=2000)``
then records a 4000).
Deleting the accounting connection also forgets the sync configuration made for it (configured and
enable false, no tenant name): its mapping named that platform's accounts.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import webhooks
from .data import BY_KEY
from .models import SandboxCompany, SandboxConfiguration, SandboxConnection, SandboxSync
from .wire import codat_datetime

Status = SandboxConnection.Status

# Characters Codat's company names refuse (CreateCompany.name's pattern); Codat strips them
# when it names a company itself.
_NOT_IN_COMPANY_NAMES = re.compile(r"[^A-Za-z0-9\s\-',&@.,?!]")

# Codat's 2xxx codes: the run succeeded (2000 wrote data, 2040 had nothing to write).
SUCCESS_CODES = range(2000, 3000)
# 1xxx: still running (1000 started, 1010 running for over ten minutes).
IN_PROGRESS_CODES = range(1000, 2000)
STARTED = 1000
# Codat's troubleshooting guide: the error a company without two Linked connections syncs into.
NOT_TWO_LINKED = "Company needs to have two valid data connections."
NOT_CONFIGURED = "Config contains required accounts without selections."

# The 4000 a sync fails with while a company has two connections on one side.
TWO_CONNECTIONS = (
    "The company has more than one {side} connection ({platforms}). "
    "Delete the one no longer used, then sync again."
)

# Codat's "Partner Commerce" connector: linked when a control links a company that was never
# started, so has no commerce connection yet.
PARTNER_COMMERCE_KEY = "lqai"


def company_create(
    *, name: str, description: str = "", tags: dict | None = None, merchant_identifier: str | None = None
) -> SandboxCompany:
    with transaction.atomic():
        company = SandboxCompany.objects.create(
            name=name, description=description, tags=tags or {}, merchant_identifier=merchant_identifier
        )
        SandboxConfiguration.objects.create(company=company)
    return company


def company_for_start(merchant_identifier: str) -> SandboxCompany:
    """The company a Sync Flow start is for.

    How Codat maps ``merchantIdentifier`` to a company is undocumented (NOTES.md §11). The sandbox
    assumes: the id of an existing company means that company (Codat's guide mints with
    ``merchantIdentifier={companyId}``); anything else names a company of its own, created on first
    use and named after the identifier, stripped as Codat strips names it makes itself.
    """
    try:
        existing = SandboxCompany.objects.filter(pk=uuid.UUID(merchant_identifier)).first()
    except ValueError:
        existing = None
    existing = existing or SandboxCompany.objects.filter(merchant_identifier=merchant_identifier).first()
    if existing is not None:
        return existing
    name = _NOT_IN_COMPANY_NAMES.sub("", merchant_identifier).strip() or "Merchant"
    try:
        return company_create(name=name, merchant_identifier=merchant_identifier)
    except IntegrityError:  # another worker created it first
        return SandboxCompany.objects.get(merchant_identifier=merchant_identifier)


def connection_ensure(company: SandboxCompany, platform_key: str) -> SandboxConnection:
    """The company's connection to a platform, created PendingAuth on first use.

    An existing one is reused whatever its status, so reconnecting keeps its id: Codat's
    Sync Flow re-authorises the same connection.
    """
    # Every mint after a company's first finds both: one read, no transaction (it runs on the
    # app's own cores in-process, so its cost is not only Codat's).
    existing = SandboxConnection.objects.filter(company=company, platform_key=platform_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            connection, created = SandboxConnection.objects.get_or_create(company=company, platform_key=platform_key)
    except IntegrityError:  # another worker created it first
        connection, created = SandboxConnection.objects.get(company=company, platform_key=platform_key), False
    if created:
        webhooks.connection_changed(connection, previous=None)
    return connection


def status_set(connection: SandboxConnection, status: str) -> SandboxConnection:
    """Every status change goes through here, so that each is announced by its webhook."""
    previous, connection.status = connection.status, status
    connection.save(update_fields=["status"])
    webhooks.connection_changed(connection, previous=previous)
    return connection


class NotLinked(Exception):
    """Codat's docs: "Only Linked data connections can be unlinked"."""


def unlink(connection: SandboxConnection) -> SandboxConnection:
    """update-connection to Unlinked: a Linked connection is unlinked (and announced); an Unlinked one is left as is."""
    with transaction.atomic():
        connection = SandboxConnection.objects.select_for_update().select_related("company").get(pk=connection.pk)
        if connection.status == Status.UNLINKED:
            return connection
        if connection.status != Status.LINKED:
            raise NotLinked(f"Only Linked data connections can be unlinked; data connection {connection.id} is {connection.status}.")
        return status_set(connection, Status.UNLINKED)


def connection_delete(connection: SandboxConnection) -> None:
    """delete-connection: announced with the connection's last status (as Codat does), then gone for good."""
    with transaction.atomic():
        webhooks.emit("connection.deleted", connection)
        connection.delete()
        if _is_accounting(connection.platform_key):
            SandboxConfiguration.objects.filter(company_id=connection.company_id).update(
                configured=False, enable=False, accounting_software_company_name=""
            )


def link(
    company: SandboxCompany,
    *,
    accounting_key: str,
    commerce_key: str | None = None,
    tenant_name: str | None = None,
) -> SandboxConnection:
    """What Finish does: both connections Linked, the tenant named, sync configured and on.

    Returns the accounting connection. Without ``commerce_key`` the company's existing commerce
    connection is linked (the partner connector's, if it has none).
    """
    now = timezone.now()
    with transaction.atomic():
        commerce_key = commerce_key or _commerce_key_of(company)
        accounting = connection_ensure(company, accounting_key)
        for connection in (connection_ensure(company, commerce_key), accounting):
            connection.errors = [_resolved(error, now) for error in connection.errors]
            connection.save(update_fields=["errors"])
            status_set(connection, Status.LINKED)
        configuration = company.configuration
        configuration.configured = configuration.enable = True
        configuration.accounting_software_company_name = tenant_name or company.tenant_name or company.name
        configuration.save(update_fields=["configured", "enable", "accounting_software_company_name"])
    return accounting


def cancel(company: SandboxCompany, *, accounting_key: str) -> SandboxConnection:
    """What Cancel does: the merchant declined at the accounting platform.

    The connection keeps its status (PendingAuth for a new one) and records why, as Codat does.
    """
    with transaction.atomic():
        connection = connection_ensure(company, accounting_key)
        connection.errors = [
            *connection.errors,
            {
                "statusCode": "403",
                "statusText": "Forbidden",
                "errorMessage": "The user cancelled authorisation.",
                "erroredOnUtc": codat_datetime(timezone.now()),
                "status": "Active",
            },
        ]
        connection.save(update_fields=["errors"])
        webhooks.emit("connection.failed", connection)
    return connection


def settings_save(company: SandboxCompany, *, enable: bool) -> None:
    """What Save settings does on the Sync Flow's settings page: sync on or off."""
    SandboxConfiguration.objects.filter(company=company).update(enable=enable)


def shows_settings(company: SandboxCompany, accounting_key: str) -> bool:
    """Whether the Sync Flow opens on its settings page: the merchant has linked and configured."""
    linked = company.connections.filter(platform_key=accounting_key, status=Status.LINKED).exists()
    return linked and company.configuration.configured


def sync_record(
    company: SandboxCompany,
    *,
    status_code: int,
    error_message: str = "",
    exception_message: str = "",
    data_pushed: bool | None = None,
) -> SandboxSync:
    """A finished Sync for Commerce run; a successful one (2xxx) is also when Codat last read data.

    With two connections on one side the run fails with 4000 whatever was asked (see the module docstring).
    """
    with transaction.atomic():
        twins = _two_on_one_side(company)
        if twins:
            status_code, data_pushed, exception_message = 4000, False, ""
            error_message = TWO_CONNECTIONS.format(side=twins[0].source_type.lower(), platforms=", ".join(p.name for p in twins))
        sync = SandboxSync.objects.create(
            company=company,
            status_code=status_code,
            status=_sync_status_text(status_code),
            error_message=error_message,
            exception_message=exception_message,
            # Codat's codes: 2000 wrote data, 2040 wrote none; nothing else pushed anything.
            data_pushed=status_code == 2000 if data_pushed is None else data_pushed,
        )
        if status_code in SUCCESS_CODES:
            company.connections.filter(status=Status.LINKED).update(last_sync=sync.sync_utc)
    return sync


def sync_request(
    company: SandboxCompany,
    *,
    kind: str,
    sync_to: datetime | None = None,
    start: datetime | None = None,
    finish: datetime | None = None,
) -> SandboxSync:
    """What request-sync and request-sync-for-date-range start: a run in progress (1000).

    request-sync runs from the end of the last successful sync (else the schedule's start date)
    up to ``sync_to`` (else now), as Codat's description says. The run ends as the company's
    sync_script says: when a control completes it, or on the first read after its delay. A
    company that cannot sync fails at once with 4000, with the message Codat's guide gives.
    """
    now = timezone.now()
    if kind == SandboxSync.Kind.LATEST:
        last = company.syncs.filter(status_code__gte=SUCCESS_CODES.start, status_code__lt=SUCCESS_CODES.stop).first()
        start = (last.range_finish or last.sync_utc) if last else company.configuration.start_date
        finish = sync_to or now
    script = dict(company.sync_script or {})
    delay = script.pop("completeAfterSeconds", None)
    sync = SandboxSync.objects.create(
        company=company,
        kind=kind,
        requested_at=now,
        sync_to=sync_to,
        range_start=start,
        range_finish=finish,
        status_code=STARTED,
        status=_sync_status_text(STARTED),
        data_pushed=False,
        sync_utc=now,
        outcome=script,
        complete_at=now + timedelta(seconds=delay) if delay is not None else None,
    )
    problem = _cannot_sync(company)
    if problem:
        sync_complete(sync, status_code=4000, error_message=problem, exception_message=problem)
    return sync


def sync_complete(
    sync: SandboxSync,
    *,
    status_code: int | None = None,
    error_message: str | None = None,
    exception_message: str | None = None,
    data_pushed: bool | None = None,
) -> bool:
    """End a run that is in progress: as given, else as scripted when it was requested, else 2000.

    A conditional UPDATE, so that two readers finding it due end it once. False if it had ended.
    """
    outcome = sync.outcome or {}
    code = status_code if status_code is not None else outcome.get("statusCode", 2000)
    pushed = data_pushed if data_pushed is not None else outcome.get("dataPushed")
    now = timezone.now()
    with transaction.atomic():
        ended = SandboxSync.objects.filter(
            pk=sync.pk, status_code__gte=IN_PROGRESS_CODES.start, status_code__lt=IN_PROGRESS_CODES.stop
        ).update(
            status_code=code,
            status=_sync_status_text(code),
            error_message=error_message if error_message is not None else outcome.get("errorMessage", ""),
            exception_message=(
                exception_message if exception_message is not None else outcome.get("syncExceptionMessage", "")
            ),
            data_pushed=code == 2000 if pushed is None else pushed,
            sync_utc=now,
            complete_at=None,
        )
        if ended and code in SUCCESS_CODES:
            sync.company.connections.filter(status=Status.LINKED).update(last_sync=now)
    sync.refresh_from_db()
    return bool(ended)


def syncs_complete_due(company: SandboxCompany | None = None) -> None:
    """End the runs (of ``company``, or of all) whose scripted delay has passed: called before
    anything reads the syncs."""
    syncs = company.syncs.all() if company is not None else SandboxSync.objects.select_related("company")
    due = syncs.filter(
        status_code__gte=IN_PROGRESS_CODES.start,
        status_code__lt=IN_PROGRESS_CODES.stop,
        complete_at__isnull=False,
        complete_at__lte=timezone.now(),
    )
    for sync in due:
        sync_complete(sync)


def _cannot_sync(company: SandboxCompany) -> str:
    twins = _two_on_one_side(company)
    if twins:  # as real Codat: two connections on one side fail every sync with 4000
        return TWO_CONNECTIONS.format(side=twins[0].source_type.lower(), platforms=", ".join(p.name for p in twins))
    linked = {
        BY_KEY[connection.platform_key].source_type
        for connection in company.connections.filter(status=Status.LINKED)
        if connection.platform_key in BY_KEY
    }
    if not {"Commerce", "Accounting"} <= linked:
        return NOT_TWO_LINKED
    if not company.configuration.configured:
        return NOT_CONFIGURED
    return ""


def _is_accounting(platform_key: str) -> bool:
    platform = BY_KEY.get(platform_key)
    return platform is not None and platform.source_type == "Accounting"


def _two_on_one_side(company: SandboxCompany) -> list:
    """The platforms of the first side (accounting, then commerce) the company is connected to twice; else []."""
    platforms = [BY_KEY[c.platform_key] for c in company.connections.all() if c.platform_key in BY_KEY]
    for side in ("Accounting", "Commerce"):
        on_side = sorted((p for p in platforms if p.source_type == side), key=lambda p: p.name)
        if len(on_side) > 1:
            return on_side
    return []


def _sync_status_text(status_code: int) -> str:
    # Free text at Codat (the spec's examples); the code's range is what carries meaning.
    return {1: "Started", 2: "Complete"}.get(status_code // 1000, "PushError")


def _commerce_key_of(company: SandboxCompany) -> str:
    for connection in company.connections.all():
        platform = BY_KEY.get(connection.platform_key)
        if platform is not None and platform.source_type == "Commerce":
            return connection.platform_key
    return PARTNER_COMMERCE_KEY


def _resolved(error: dict, now) -> dict:
    if error.get("status") != "Active":
        return error
    return {**error, "status": "Resolved", "resolvedOnUtc": codat_datetime(now)}
