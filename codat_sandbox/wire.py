"""The sandbox's state in Codat's shapes (Company, Connection, Configuration, CompanySyncStatus).

Shared by the API operations and the controls' listing, so both describe a company alike.
Fields follow shared/codat/Codat-Sync-Commerce.yaml; nothing is added to the schemas that
forbid additional properties (Connection, CompanySyncStatus).
"""

from __future__ import annotations

from datetime import datetime, timezone

from .data import BY_KEY
from .models import SandboxCompany, SandboxConfiguration, SandboxConnection, SandboxSync

# Where Codat's Link flow would start; the sandbox does not implement Link, so these answer 404.
LINK_PREFIX = "/sandbox/link/"


def codat_datetime(value: datetime) -> str:
    """UTC with seven fractional digits, as in Codat's own examples ('2022-10-27T10:22:43.6464237Z')."""
    value = value.astimezone(timezone.utc)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0Z"


def company_json(company: SandboxCompany, origin: str) -> dict:
    return {
        "id": str(company.id),
        "name": company.name,
        "description": company.description,
        "redirect": f"{origin}{LINK_PREFIX}company/{company.id}",
        "created": codat_datetime(company.created),
        "tags": company.tags,
        "products": [],
    }


def connection_json(connection: SandboxConnection, origin: str) -> dict:
    platform = BY_KEY[connection.platform_key]
    data = {
        "id": str(connection.id),
        "integrationId": platform.integration_id,
        "integrationKey": platform.key,
        "sourceId": platform.source_id,
        "sourceType": platform.source_type,
        "platformName": platform.name,
        "linkUrl": f"{origin}{LINK_PREFIX}companies/{connection.company_id}/connections/{connection.id}/start",
        "status": connection.status,
        "created": codat_datetime(connection.created),
        "dataConnectionErrors": connection.errors,
    }
    if connection.last_sync is not None:
        data["lastSync"] = codat_datetime(connection.last_sync)
    return data


def configuration_json(configuration: SandboxConfiguration) -> dict:
    data = {
        "companyId": str(configuration.company_id),
        "enable": configuration.enable,
        "configured": configuration.configured,
        "schedule": {
            "selectedFrequency": configuration.selected_frequency,
            "frequencyOptions": list(SandboxConfiguration.Frequency.values),
            "startDate": codat_datetime(configuration.start_date),
            "syncHour": configuration.sync_hour,
            "timeZone": configuration.time_zone,
        },
    }
    # Codat knows the accounting tenant's name only once the merchant has linked it.
    if configuration.accounting_software_company_name:
        data["accountingSoftwareCompanyName"] = configuration.accounting_software_company_name
    return data


def sync_json(sync: SandboxSync) -> dict:
    return {
        "companyId": str(sync.company_id),
        "syncId": str(sync.sync_id),
        "syncStatusCode": sync.status_code,
        "syncStatus": sync.status,
        "errorMessage": sync.error_message,
        "syncExceptionMessage": sync.exception_message,
        "syncUtc": codat_datetime(sync.sync_utc),
        "dataPushed": sync.data_pushed,
    }


def sync_summary_json(sync: SandboxSync, origin: str) -> dict:
    """SyncSummary: what request-sync and request-sync-for-date-range answer. Its commerceSyncId
    is the run's syncId in list-syncs (the spec does not say how the two relate; the sandbox
    makes them one, so the run can be found again)."""
    return {
        "syncDateRangeUtc": {
            "start": codat_datetime(sync.range_start),
            "finish": codat_datetime(sync.range_finish),
        },
        "companyId": str(sync.company_id),
        "commerceSyncId": str(sync.sync_id),
        "syncStatusCode": sync.status_code,
        "syncStatus": sync.status,
        "errorMessage": sync.error_message,
        "syncExceptionMessage": sync.exception_message,
        "syncUtc": codat_datetime(sync.sync_utc),
        "dataConnections": [connection_json(c, origin) for c in sync.company.connections.all()],
        "dataPushed": sync.data_pushed,
    }


def requested_sync_json(sync: SandboxSync) -> dict:
    """What was asked of the sandbox for a requested run (the controls' record, not a Codat shape)."""
    return {
        "syncId": str(sync.sync_id),
        "kind": sync.kind,
        "requestedAt": codat_datetime(sync.requested_at),
        "syncTo": codat_datetime(sync.sync_to) if sync.sync_to else None,
        "dateRange": {
            "start": codat_datetime(sync.range_start) if sync.range_start else None,
            "finish": codat_datetime(sync.range_finish) if sync.range_finish else None,
        },
        "syncStatusCode": sync.status_code,
    }
