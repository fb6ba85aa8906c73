"""get-latest-sync, get-last-successful-sync and list-syncs: the runs scripted by controls.push_sync."""

from __future__ import annotations

from ..lifecycle import SUCCESS_CODES
from ..messages import Reply, SandboxRequest, SandboxResponse, json_response
from ..routing import route
from ..wire import sync_json
from .companies import company_or_404

_SYNCS = r"companies/(?P<company_id>[^/]+)/sync/commerce/syncs"


@route("GET", _SYNCS + r"/latest/status", "get-latest-sync")
def get_latest_sync(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    company = company_or_404(company_id)
    sync = company.syncs.first()
    if sync is None:
        raise Reply(404, f"No sync has run yet for company {company.id}.")
    return json_response(200, sync_json(sync))


@route("GET", _SYNCS + r"/lastSuccessful/status", "get-last-successful-sync")
def get_last_successful_sync(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    company = company_or_404(company_id)
    sync = company.syncs.filter(
        status_code__gte=SUCCESS_CODES.start, status_code__lt=SUCCESS_CODES.stop
    ).first()
    if sync is None:
        raise Reply(404, f"No successful sync has run yet for company {company.id}.")
    return json_response(200, sync_json(sync))


@route("GET", _SYNCS + r"/list/status", "list-syncs")
def list_syncs(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    # A bare array, newest first, even when empty: only the single-sync reads answer 404.
    return json_response(200, [sync_json(sync) for sync in company_or_404(company_id).syncs.all()])
