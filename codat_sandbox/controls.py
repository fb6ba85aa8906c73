"""Script the sandbox's companies for tests and demos: what would happen on Codat's side.

    link(company_id, "gbol")                              # as if the merchant pressed Finish
    link(company_id, "gbol", tenant_name="Bean & Leaf Trading Ltd")
    cancel(company_id, "gbol")                            # as if they pressed Cancel
    set_connection_status(company_id, status="Deauthorized", platform_key="gbol")
    push_sync(company_id, status_code=4260, error_message="Accounting subscription expired")
    set_configuration(company_id, enable=False, schedule={"syncHour": 5})
    set_tenant_name(company_id, "Another tenant")         # what Finish reports from now on
    script_syncs(company_id, status_code=5130, complete_after_seconds=2)   # how requested syncs end
    complete_sync(company_id)                             # end the requested sync(s) in progress now
    describe(company_id), companies(origin)               # one company, or all, as JSON
    webhook_messages(), redeliver(message_id)             # the webhooks sent; send one again
    sync_flow_settings_changed()                          # texts and visible accounts set away from the defaults
    reset_sync_flow_settings()                            # every text and visible account back to the default

Bad input raises ControlError: 400 over HTTP, 404 for an unknown company or connection.
The same controls are served over HTTP under /sandbox/control/ (control_views.py).
"""

from __future__ import annotations

import json
import uuid
import zoneinfo
from datetime import datetime, timezone

from . import lifecycle, sync_flow_settings, webhooks
from .data import BY_KEY
from .models import (
    SandboxCompany,
    SandboxConfiguration,
    SandboxConnection,
    SandboxSync,
    SandboxSyncFlowText,
    SandboxVisibleAccounts,
    SandboxWebhookMessage,
)
from .wire import company_json, configuration_json, connection_json, requested_sync_json, sync_json

Status = SandboxConnection.Status


class ControlError(ValueError):
    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def link(
    company_id, accounting_key: str, tenant_name: str | None = None, *, commerce_key: str | None = None
) -> SandboxConnection:
    """Do what Finish does; returns the (now Linked) accounting connection."""
    company = _company(company_id)
    _platform_key(accounting_key, "Accounting")
    if commerce_key is not None:
        _platform_key(commerce_key, "Commerce")
    return lifecycle.link(
        company,
        accounting_key=accounting_key,
        commerce_key=commerce_key,
        tenant_name=_text(tenant_name, "tenantName", optional=True),
    )


def cancel(company_id, accounting_key: str) -> SandboxConnection:
    """Do what Cancel does; returns the accounting connection, with its new error."""
    company = _company(company_id)
    return lifecycle.cancel(company, accounting_key=_platform_key(accounting_key, "Accounting"))


def set_connection_status(
    company_id, *, status: str, connection_id: str | None = None, platform_key: str | None = None
) -> SandboxConnection:
    """Set one connection's status, named by its id or by its platform's key.

    By key, a connection the company does not have yet is created, so a test can start from any state.
    """
    company = _company(company_id)
    if status not in Status.values:
        raise ControlError(f"status must be one of {', '.join(Status.values)}.")
    if (connection_id is None) == (platform_key is None):
        raise ControlError("Name the connection by exactly one of connectionId and platformKey.")
    if platform_key is not None:
        connection = lifecycle.connection_ensure(company, _platform_key(platform_key))
    else:
        connection = _connection(company, connection_id)
    return lifecycle.status_set(connection, status)


def push_sync(
    company_id,
    *,
    status_code: int,
    error_message: str = "",
    data_pushed: bool | None = None,
    sync_exception_message: str = "",
) -> SandboxSync:
    """Record a finished sync; it becomes the latest, and a 2xxx one the last successful.

    While the company has two accounting connections it is recorded as a 4000 whatever was asked,
    as every sync then fails (lifecycle.sync_record).
    """
    company = _company(company_id)
    if not isinstance(status_code, int) or isinstance(status_code, bool) or not 1000 <= status_code <= 5999:
        raise ControlError("statusCode must be one of Codat's four-digit sync codes (1000-5999).")
    return lifecycle.sync_record(
        company,
        status_code=status_code,
        error_message=_text(error_message, "errorMessage"),
        exception_message=_text(sync_exception_message, "syncExceptionMessage"),
        data_pushed=_flag(data_pushed, "dataPushed"),
    )


# The most a scripted sync may wait before it ends on its own: "a short delay", for demos and tests.
MAX_COMPLETE_AFTER_SECONDS = 3600


def script_syncs(
    company_id,
    *,
    status_code: int = 2000,
    error_message: str = "",
    sync_exception_message: str = "",
    data_pushed: bool | None = None,
    complete_after_seconds: float | None = None,
) -> SandboxCompany:
    """How the syncs requested from now on end: with ``status_code`` (2000-5999), when
    complete_sync says so or, with ``complete_after_seconds``, on the first read after that delay."""
    company = _company(company_id)
    if (
        not isinstance(status_code, int)
        or isinstance(status_code, bool)
        or not lifecycle.SUCCESS_CODES.start <= status_code <= 5999
    ):
        raise ControlError("statusCode must be the code a finished sync ends with (2000-5999).")
    script = {
        "statusCode": status_code,
        "errorMessage": _text(error_message, "errorMessage"),
        "syncExceptionMessage": _text(sync_exception_message, "syncExceptionMessage"),
    }
    if _flag(data_pushed, "dataPushed") is not None:
        script["dataPushed"] = data_pushed
    if complete_after_seconds is not None:
        if (
            not isinstance(complete_after_seconds, (int, float))
            or isinstance(complete_after_seconds, bool)
            or not 0 <= complete_after_seconds <= MAX_COMPLETE_AFTER_SECONDS
        ):
            raise ControlError(f"completeAfterSeconds must be a number from 0 to {MAX_COMPLETE_AFTER_SECONDS}.")
        script["completeAfterSeconds"] = complete_after_seconds
    company.sync_script = script
    company.save(update_fields=["sync_script"])
    return company


def complete_sync(
    company_id,
    *,
    sync_id: str | None = None,
    status_code: int | None = None,
    error_message: str | None = None,
    sync_exception_message: str | None = None,
    data_pushed: bool | None = None,
) -> list[SandboxSync]:
    """End the sync ``sync_id`` (default: every one in progress) as given, else as scripted, else 2000."""
    company = _company(company_id)
    if status_code is not None and (
        not isinstance(status_code, int)
        or isinstance(status_code, bool)
        or not lifecycle.SUCCESS_CODES.start <= status_code <= 5999
    ):
        raise ControlError("statusCode must be the code a finished sync ends with (2000-5999).")
    running = company.syncs.filter(
        status_code__gte=lifecycle.IN_PROGRESS_CODES.start, status_code__lt=lifecycle.IN_PROGRESS_CODES.stop
    )
    if sync_id is not None:
        try:
            found = company.syncs.filter(sync_id=uuid.UUID(str(sync_id))).first()
        except ValueError:
            found = None
        if found is None:
            raise ControlError(f"Company {company.id} has no sync with ID {str(sync_id)[:64]}.", status=404)
        running = running.filter(pk=found.pk)
        if not running.exists():
            raise ControlError(f"Sync {found.sync_id} is not in progress (its code is {found.status_code}).")
    syncs = list(running)
    if not syncs:
        raise ControlError(f"No sync is in progress for company {company.id}.")
    options = dict(
        status_code=status_code,
        error_message=_text(error_message, "errorMessage", optional=True),
        exception_message=_text(sync_exception_message, "syncExceptionMessage", optional=True),
        data_pushed=_flag(data_pushed, "dataPushed"),
    )
    for sync in syncs:
        lifecycle.sync_complete(sync, **options)
    return syncs


def set_configuration(
    company_id,
    *,
    enable: bool | None = None,
    configured: bool | None = None,
    accounting_software_company_name: str | None = None,
    schedule: dict | None = None,
) -> SandboxConfiguration:
    """Change the given fields of get-configuration's answer; ``schedule`` uses Codat's names."""
    configuration = _company(company_id).configuration
    for name, value in (("enable", enable), ("configured", configured)):
        if _flag(value, name) is not None:
            setattr(configuration, name, value)
    if accounting_software_company_name is not None:
        configuration.accounting_software_company_name = _text(
            accounting_software_company_name, "accountingSoftwareCompanyName"
        )
    if schedule is not None:
        _apply_schedule(configuration, schedule)
    configuration.save()
    return configuration


def set_tenant_name(company_id, tenant_name: str) -> SandboxCompany:
    """The accounting tenant name Finish (and link) report from now on; empty: the company's name."""
    company = _company(company_id)
    company.tenant_name = _text(tenant_name, "tenantName")
    company.save(update_fields=["tenant_name"])
    return company


def companies(origin: str = "") -> list[dict]:
    """Every company, described; ``origin`` is where its URLs point."""
    lifecycle.syncs_complete_due()
    queryset = SandboxCompany.objects.select_related("configuration").prefetch_related("connections", "syncs")
    return [_describe(company, origin) for company in queryset]


def describe(company_id, origin: str = "") -> dict:
    """A company with its connections, configuration and syncs, in Codat's shapes."""
    company = _company(company_id)
    lifecycle.syncs_complete_due(company)
    return _describe(company, origin)


def sync_flow_settings_changed() -> dict:
    """What differs from the defaults: ``{"texts": {locale: {key: text}}, "visibleAccounts": {platform: [...]}}``."""
    texts: dict[str, dict[str, str]] = {}
    for row in SandboxSyncFlowText.objects.order_by("locale", "key"):
        texts.setdefault(row.locale, {})[row.key] = row.text
    accounts = {
        row.platform_key: sync_flow_settings.visible_accounts(row.platform_key)
        for row in SandboxVisibleAccounts.objects.order_by("platform_key")
    }
    return {"texts": texts, "visibleAccounts": accounts}


def reset_sync_flow_settings() -> None:
    """Every Sync Flow text and every platform's visible accounts back to the defaults."""
    sync_flow_settings.reset()


def _describe(company: SandboxCompany, origin: str) -> dict:
    syncs = list(company.syncs.all())
    return {
        **company_json(company, origin),
        "merchantIdentifier": company.merchant_identifier,
        "tenantName": company.tenant_name,
        "connections": [connection_json(c, origin) for c in company.connections.all()],
        "configuration": configuration_json(company.configuration),
        "syncs": [sync_json(sync) for sync in syncs],
        # What was asked through request-sync and request-sync-for-date-range, newest first.
        "requestedSyncs": [requested_sync_json(sync) for sync in syncs if sync.kind != SandboxSync.Kind.SCRIPTED],
        "syncScript": company.sync_script,
    }


# --- checking input -------------------------------------------------------------------


def _company(company_id) -> SandboxCompany:
    try:
        return SandboxCompany.objects.get(pk=uuid.UUID(str(company_id)))
    except (ValueError, SandboxCompany.DoesNotExist):
        raise ControlError(f"No company was found with ID {str(company_id)[:64]}.", status=404) from None


def _connection(company: SandboxCompany, connection_id) -> SandboxConnection:
    try:
        return company.connections.get(pk=uuid.UUID(str(connection_id)))
    except (ValueError, SandboxConnection.DoesNotExist):
        raise ControlError(
            f"Company {company.id} has no connection with ID {str(connection_id)[:64]}.", status=404
        ) from None


def _platform_key(key, source_type: str | None = None) -> str:
    platform = BY_KEY.get(key) if isinstance(key, str) else None
    if platform is None or (source_type and platform.source_type != source_type):
        kind = f"{source_type.lower()} " if source_type else ""
        raise ControlError(f"{key!r} is not the key of any {kind}platform the sandbox knows.")
    return key


def _text(value, name: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ControlError(f"{name} must be a string.")
    return value


def _flag(value, name: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ControlError(f"{name} must be true or false.")
    return value


def _apply_schedule(configuration: SandboxConfiguration, schedule) -> None:
    fields = {"selectedFrequency", "syncHour", "timeZone", "startDate"}
    if not isinstance(schedule, dict) or not set(schedule) <= fields:
        raise ControlError(f"schedule must be an object with some of {', '.join(sorted(fields))}.")
    if "selectedFrequency" in schedule:
        frequencies = SandboxConfiguration.Frequency.values
        if schedule["selectedFrequency"] not in frequencies:
            raise ControlError(f"selectedFrequency must be one of {', '.join(frequencies)}.")
        configuration.selected_frequency = schedule["selectedFrequency"]
    if "syncHour" in schedule:
        hour = schedule["syncHour"]
        if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
            raise ControlError("syncHour must be a whole hour from 0 to 23.")
        configuration.sync_hour = hour
    if "timeZone" in schedule:
        try:
            zoneinfo.ZoneInfo(schedule["timeZone"])
        except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ControlError("timeZone must be an IANA time zone such as Europe/London.") from None
        configuration.time_zone = schedule["timeZone"]
    if "startDate" in schedule:
        configuration.start_date = _datetime(schedule["startDate"], "startDate")


def _datetime(value, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ControlError(f"{name} must be an ISO 8601 date or date-time.") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def webhook_messages(company_id=None) -> list[dict]:
    """The webhooks the sandbox sent, oldest first, with where they went and what came back."""
    messages = SandboxWebhookMessage.objects.all()
    if company_id is not None:
        messages = messages.filter(company=_company(company_id))
    return [
        {
            "id": message.id,
            "eventType": message.event_type,
            "companyId": str(message.company_id) if message.company_id else None,
            "target": message.target,
            "attempts": message.attempts,
            "lastStatus": message.last_status,
            "body": json.loads(message.body),
        }
        for message in messages
    ]


def redeliver(message_id: str, url: str | None = None) -> dict:
    """Send a message again now: the same webhook-id, a new timestamp and signature (Codat's retries)."""
    if not SandboxWebhookMessage.objects.filter(pk=message_id).exists():
        raise ControlError(f"No webhook message {str(message_id)[:40]!r}.", status=404)
    return {"id": message_id, "status": webhooks.deliver(message_id, url=_text(url, "url", optional=True))}
