"""The syncs: requested through the API or scripted by controls, then read back.

request-sync and request-sync-for-date-range start a run in progress (1000) that ends as the
company's sync_script says (controls.script_syncs, controls.complete_sync). Every read first
ends the runs whose scripted delay has passed, so a delay needs no background worker.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from .. import lifecycle
from ..lifecycle import SUCCESS_CODES
from ..messages import Reply, SandboxRequest, SandboxResponse, json_response
from ..models import SandboxCompany, SandboxSync
from ..routing import route
from ..wire import sync_json, sync_summary_json
from .companies import company_or_404

_SYNCS = r"companies/(?P<company_id>[^/]+)/sync/commerce/syncs"


def _company(company_id: str) -> SandboxCompany:
    company = company_or_404(company_id)
    lifecycle.syncs_complete_due(company)
    return company


@route("GET", _SYNCS + r"/latest/status", "get-latest-sync")
def get_latest_sync(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    company = _company(company_id)
    sync = company.syncs.first()
    if sync is None:
        raise Reply(404, f"No sync has run yet for company {company.id}.")
    return json_response(200, sync_json(sync))


@route("GET", _SYNCS + r"/lastSuccessful/status", "get-last-successful-sync")
def get_last_successful_sync(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    company = _company(company_id)
    sync = company.syncs.filter(
        status_code__gte=SUCCESS_CODES.start, status_code__lt=SUCCESS_CODES.stop
    ).first()
    if sync is None:
        raise Reply(404, f"No successful sync has run yet for company {company.id}.")
    return json_response(200, sync_json(sync))


@route("GET", _SYNCS + r"/list/status", "list-syncs")
def list_syncs(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    # A bare array, newest first, even when empty: only the single-sync reads answer 404.
    return json_response(200, [sync_json(sync) for sync in _company(company_id).syncs.all()])


@route("POST", r"companies/(?P<company_id>[^/]+)/sync/commerce/latest", "request-sync")
def request_sync(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    company = _company(company_id)
    # SyncToLatestArgs is optional: no body (as Codat's SDK sends) means "up to now".
    body = _json_object(request.body, "SyncToLatestArgs", optional=True)
    sync_to = None
    if body.get("syncTo") is not None:
        sync_to = _datetime(body["syncTo"], "syncTo", "SyncToLatestArgs")
    sync = lifecycle.sync_request(company, kind=SandboxSync.Kind.LATEST, sync_to=sync_to)
    return json_response(200, sync_summary_json(sync, request.origin))


@route("POST", r"meta/companies/(?P<company_id>[^/]+)/sync/commerce/historic", "request-sync-for-date-range")
def request_sync_for_date_range(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    company = _company(company_id)
    body = _json_object(request.body, "SyncRange")
    # The spec's SyncRange: {"dateRange": {"start", "finish"}}, all required. Some of Codat's
    # docs show {"start", "end"}: that body has no dateRange, so it is refused like any other.
    date_range = body.get("dateRange")
    if not isinstance(date_range, dict):
        raise _invalid("dateRange", "dateRange is required: an object with start and finish.", "SyncRange")
    start = _datetime(date_range.get("start"), "dateRange.start", "SyncRange")
    finish = _datetime(date_range.get("finish"), "dateRange.finish", "SyncRange")
    # Not in the spec, which constrains neither: a range that ends before it starts syncs nothing.
    if finish < start:
        raise _invalid("dateRange.finish", "dateRange.finish must not be before dateRange.start.", "SyncRange")
    sync = lifecycle.sync_request(company, kind=SandboxSync.Kind.HISTORIC, start=start, finish=finish)
    return json_response(200, sync_summary_json(sync, request.origin))


# --- checking request bodies --------------------------------------------------------------


def _invalid(item: str, message: str, validator: str) -> Reply:
    return Reply(400, message, validation=[{"itemId": item, "message": message, "validatorName": validator}])


def _json_object(body: bytes, validator: str, *, optional: bool = False) -> dict:
    if not body.strip() and optional:
        return {}
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise Reply(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _invalid("body", "The request body must be a JSON object.", validator)
    return data


def _datetime(value, name: str, validator: str) -> datetime:
    """A Codat date-time: ISO 8601, a bare date allowed, no zone meaning UTC (the spec's examples)."""
    try:
        parsed = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _invalid(name, f"{name} is required: an ISO 8601 date-time such as 2022-10-23T00:00:00Z.", validator)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
