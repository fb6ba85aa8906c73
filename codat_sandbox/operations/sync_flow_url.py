"""get-sync-flow-url: mints a single-use Sync Flow URL and readies the company's connections."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from urllib.parse import quote, urlencode, urlsplit

from django.utils import timezone

from .. import lifecycle
from ..data import BY_KEY
from ..messages import Reply, SandboxRequest, SandboxResponse, json_response
from ..models import SyncFlowCode
from ..routing import route

SYNC_FLOW_PREFIX = "/sandbox/sync-flow/"


def code_hash(company_id, otp: str) -> str:
    return hashlib.sha256(f"{company_id}:{otp}".encode()).hexdigest()


@route(
    "GET",
    r"config/sync/commerce/(?P<commerce_key>[^/]+)/(?P<accounting_key>[^/]+)/start",
    "get-sync-flow-url",
)
def get_sync_flow_url(
    request: SandboxRequest, *, commerce_key: str, accounting_key: str, fault=None
) -> SandboxResponse:
    for key, source_type in ((commerce_key, "Commerce"), (accounting_key, "Accounting")):
        platform = BY_KEY.get(key)
        if platform is None or platform.source_type != source_type:
            raise Reply(404, f"No {source_type.lower()} integration was found with key {key[:20]}.")
        if not platform.enabled:
            raise Reply(400, f"Integration {key} is not enabled for your customers.")
    redirect_url = request.query.get("redirectUrl", "")
    if redirect_url:
        parts = urlsplit(redirect_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Reply(400, "redirectUrl must be an absolute http(s) URL.")
    merchant_identifier = request.query.get("merchantIdentifier") or f"merchant-{uuid.uuid4()}"
    company = lifecycle.company_for_start(merchant_identifier)
    # The Sync Flow connects both platforms: it works on these two connections.
    lifecycle.connection_ensure(company, commerce_key)
    lifecycle.connection_ensure(company, accounting_key)

    otp = f"{secrets.randbelow(10**6):06d}"
    issued_at = timezone.now()
    if fault is not None and fault.code_age:
        issued_at -= timedelta(seconds=fault.code_age)
    SyncFlowCode.objects.create(
        company=company,
        code_hash=code_hash(company.id, otp),
        commerce_key=commerce_key,
        accounting_key=accounting_key,
        redirect_url=redirect_url,
        issued_at=issued_at,
    )
    params = {"merchantIdentifier": merchant_identifier, "otp": otp}
    if redirect_url:
        params["redirectUrl"] = redirect_url
    url = (
        f"{request.origin}{SYNC_FLOW_PREFIX}{company.id}/{quote(commerce_key)}/{quote(accounting_key)}"
        f"/start?{urlencode(params, quote_via=quote)}"
    )
    return json_response(200, {"url": url})
