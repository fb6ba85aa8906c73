"""The emulated Codat API, independent of how it is reached.

``handle`` takes a plain request and returns a plain response; the Django
views (real HTTP) and the httpx transport (in-process) are thin adapters
around it, so both answer identically. Shapes follow
shared/codat/Codat-Sync-Commerce.yaml; what is not implemented answers 404.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import faults
from .data import BY_KEY, PLATFORMS, Platform, logo_filename
from .models import Call, SandboxCompany, SyncFlowCode
from .query import QueryError, compile_query, order_key

API_PREFIX = "/sandbox/codat/"
LOGO_PREFIX = "/sandbox/logos/"
SYNC_FLOW_PREFIX = "/sandbox/sync-flow/"
LOGO_DIR = Path(__file__).with_name("logos")

_STANDARD_ERRORS = {
    400: "Error processing request - not valid.",
    401: "Unauthorized",
    402: "You have exceeded the 50-company limit that applies to a Free plan.",
    403: "You are using an outdated API key or a key not associated with that resource.",
    404: "The requested resource could not be found.",
    405: "The requested method is not allowed on this resource.",
    408: "The request timed out.",
    409: "The data set has not been requested.",
    429: "You have made too many requests in a given amount of time; please retry later.",
    500: "There is a problem with our server. Please try again later.",
    502: "Bad gateway.",
    503: "The Codat API is temporarily offline for maintenance. Please try again later.",
    504: "Gateway timeout.",
}


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    origin: str  # scheme://host the sandbox was reached on; public URLs are built on it


@dataclass
class SandboxResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds the answer is held back (injected latency)


class _Reply(Exception):
    """Raised by an operation to answer with a Codat error."""

    def __init__(self, status: int, error: str = "", service: str = "PublicApi"):
        self.status, self.error, self.service = status, error, service


def error_response(status: int, error: str = "", *, service: str = "PublicApi") -> SandboxResponse:
    body = {
        "statusCode": status,
        "service": service,
        "error": error or _STANDARD_ERRORS.get(status, "Error."),
        "correlationId": uuid.uuid4().hex,
        "canBeRetried": "Unknown",
        "detailedErrorCode": 0,
    }
    return _json(status, body)


def _json(status: int, data) -> SandboxResponse:
    return SandboxResponse(
        status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8"}
    )


# --- routing ------------------------------------------------------------------------

_ROUTES: list[tuple[re.Pattern, str, Callable]] = []


def _route(pattern: str, operation: str):
    def register(view):
        _ROUTES.append((re.compile(f"^{pattern}$"), operation, view))
        return view

    return register


def handle(request: SandboxRequest) -> SandboxResponse:
    if request.path.startswith(LOGO_PREFIX):
        operation, response = "branding-image", None
        fault = faults.take(operation)
        response = _apply_fault(fault) or _logo(request.path[len(LOGO_PREFIX):])
    elif request.path.startswith(API_PREFIX):
        operation, view, params = _resolve(request.path[len(API_PREFIX):])
        fault = faults.take(operation)
        response = _apply_fault(fault, authorised=_authorised(request))
        if response is None:
            response = _dispatch(request, view, params, fault)
    else:
        operation, fault = "unknown", None
        response = error_response(404)
    if fault is not None:
        response.delay = fault.latency_ms / 1000
    Call.objects.create(operation=operation, status=response.status, path=request.path[:500])
    return response


def _resolve(subpath: str):
    for pattern, operation, view in _ROUTES:
        match = pattern.match(subpath)
        if match:
            return operation, view, match.groupdict()
    return "unknown", None, {}


def _dispatch(request, view, params, fault) -> SandboxResponse:
    if not _authorised(request):
        return error_response(401)
    if view is None:
        return error_response(404)
    if request.method != "GET":
        return error_response(405)
    try:
        return view(request, fault=fault, **params)
    except _Reply as reply:
        return error_response(reply.status, reply.error, service=reply.service)


def _authorised(request: SandboxRequest) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic" or not credentials:
        return False
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return secrets.compare_digest(decoded, settings.CODAT_SANDBOX_API_KEY)


def _apply_fault(fault, *, authorised: bool = True) -> SandboxResponse | None:
    """The faulty answer, or None to answer normally (latency is applied by the caller)."""
    if fault is None or not authorised:
        return None
    if fault.status and fault.status >= 400 and fault.body is None:
        response = error_response(fault.status)
    elif fault.status or fault.body is not None or fault.content_type or fault.body_size:
        body = (fault.body or "").encode()
        if fault.body_size:
            body = (body or b"x") * (fault.body_size // max(len(body), 1) + 1)
            body = body[: fault.body_size]
        response = SandboxResponse(
            fault.status or 200, body, {"Content-Type": fault.content_type or "application/json"}
        )
    else:
        return None
    if fault.retry_after:
        response.headers["Retry-After"] = fault.retry_after
    return response


# --- operations -------------------------------------------------------------------


def _integration_json(platform: Platform, origin: str) -> dict:
    return {
        "key": platform.key,
        "logoUrl": f"{origin}{LOGO_PREFIX}{logo_filename(platform, 'square')}",
        "name": platform.name,
        "enabled": platform.enabled,
        "sourceId": platform.source_id,
        "sourceType": platform.source_type,
        "integrationId": platform.integration_id,
        "isOfflineConnector": False,
        "isBeta": platform.is_beta,
        "dataProvidedBy": "Codat",
        # Codat's examples (and the spec's `required`) spell it "datatype".
        "datatypeFeatures": [
            {"datatype": data_type, "supportedFeatures": [{"featureType": "Get", "featureState": "Release"}]}
            for data_type in platform.data_types
        ],
    }


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _Reply(400, f"Error parsing query - {name} must be a whole number.", "ClientsApi")
    if not low <= value <= high:
        raise _Reply(400, f"Error parsing query - {name} must be between {low} and {high}.", "ClientsApi")
    return value


@_route(r"config/integrations", "list-integrations")
def list_integrations(request: SandboxRequest, *, fault=None) -> SandboxResponse:
    page = _int_param(request, "page", 1, 1, 2**31 - 1)
    page_size = _int_param(request, "pageSize", 100, 1, 5000)
    items = [_integration_json(p, request.origin) for p in PLATFORMS]
    try:
        if request.query.get("query"):
            matches = compile_query(request.query["query"])
            items = [item for item in items if matches(item)]
        if request.query.get("orderBy"):
            items.sort(key=order_key(request.query["orderBy"]), reverse=request.query["orderBy"].startswith("-"))
    except QueryError as exc:
        raise _Reply(400, f"Error parsing query - {exc}", "ClientsApi")
    start = (page - 1) * page_size
    results = items[start : start + page_size]

    def href(number: int) -> dict:
        params = {"page": number, "pageSize": page_size}
        for name in ("query", "orderBy"):
            if request.query.get(name):
                params[name] = request.query[name]
        return {"href": f"/config/integrations?{urlencode(params, quote_via=quote)}"}

    links = {"self": {"href": "/config/integrations"}, "current": href(page)}
    if start + page_size < len(items):
        links["next"] = href(page + 1)
    if page > 1:
        links["previous"] = href(page - 1)
    return _json(
        200,
        {
            "results": results,
            "pageNumber": page,
            "pageSize": page_size,
            "totalResults": len(items),
            "_links": links,
        },
    )


@_route(r"config/integrations/(?P<platform_key>[^/]+)/branding", "get-integration-branding")
def get_branding(request: SandboxRequest, *, platform_key: str, fault=None) -> SandboxResponse:
    platform = BY_KEY.get(platform_key)
    if platform is None:
        raise _Reply(404, f"No integration was found with key {platform_key[:20]}.")

    def image(variant: str) -> dict:
        return {
            "image": {
                "src": f"{request.origin}{LOGO_PREFIX}{logo_filename(platform, variant)}",
                "alt": f"{platform.name.lower()} {variant} icon",
            }
        }

    return _json(
        200,
        {"logo": {"full": image("full"), "square": image("square")}, "button": {}, "sourceId": platform.source_id},
    )


@_route(
    r"config/sync/commerce/(?P<commerce_key>[^/]+)/(?P<accounting_key>[^/]+)/start",
    "get-sync-flow-url",
)
def get_sync_flow_url(request: SandboxRequest, *, commerce_key: str, accounting_key: str, fault=None):
    for key, source_type in ((commerce_key, "Commerce"), (accounting_key, "Accounting")):
        platform = BY_KEY.get(key)
        if platform is None or platform.source_type != source_type:
            raise _Reply(404, f"No {source_type.lower()} integration was found with key {key[:20]}.")
        if not platform.enabled:
            raise _Reply(400, f"Integration {key} is not enabled for your customers.")
    redirect_url = request.query.get("redirectUrl", "")
    if redirect_url:
        parts = urlsplit(redirect_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _Reply(400, "redirectUrl must be an absolute http(s) URL.")
    merchant_identifier = request.query.get("merchantIdentifier") or f"merchant-{uuid.uuid4()}"
    company = _company_for(merchant_identifier, commerce_key, accounting_key)

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
    return _json(200, {"url": url})


def _company_for(merchant_identifier: str, commerce_key: str, accounting_key: str) -> SandboxCompany:
    defaults = {"commerce_key": commerce_key, "accounting_key": accounting_key}
    try:
        with transaction.atomic():
            company, created = SandboxCompany.objects.get_or_create(
                merchant_identifier=merchant_identifier, defaults=defaults
            )
    except IntegrityError:  # another worker created it first
        company, created = SandboxCompany.objects.get(merchant_identifier=merchant_identifier), False
    if not created and (company.commerce_key, company.accounting_key) != (commerce_key, accounting_key):
        SandboxCompany.objects.filter(pk=company.pk).update(**defaults)
    return company


def code_hash(company_id, otp: str) -> str:
    return hashlib.sha256(f"{company_id}:{otp}".encode()).hexdigest()


_LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}


def _logo(name: str) -> SandboxResponse:
    path = LOGO_DIR / name
    if "/" in name or path.suffix not in _LOGO_TYPES or not path.is_file():
        return SandboxResponse(404, b"Not Found", {"Content-Type": "text/plain"})
    return SandboxResponse(
        200,
        path.read_bytes(),
        {"Content-Type": _LOGO_TYPES[path.suffix], "Cache-Control": "public, max-age=86400"},
    )
