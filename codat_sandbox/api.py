"""The emulated Codat API, independent of how it is reached.

``handle`` takes a plain request and returns a plain response; the Django
views (real HTTP) and the httpx transport (in-process) are thin adapters
around it, so both answer identically. Shapes follow
shared/codat/Codat-Sync-Commerce.yaml (delete-connection, which only the Platform API has:
Codat-Platform.yaml); the operations live in ``operations/``, deviations in their docstrings;
a path nothing answers is a 404, a method the path does not answer a 405.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from pathlib import Path

from django.conf import settings

from . import faults, routing
from . import operations  # noqa: F401  (importing it registers the routes)
from .messages import Reply, SandboxRequest, SandboxResponse, error_response
from .models import Call
from .operations.integrations import LOGO_PREFIX

__all__ = ["SandboxRequest", "SandboxResponse", "authorised", "error_response", "handle"]

API_PREFIX = "/sandbox/codat/"
DEFAULT_KEY = "sandbox"  # CODAT_SANDBOX_API_KEY's default: fine on a laptop, refused in a public demo
LOGO_DIR = Path(__file__).with_name("logos")


def handle(request: SandboxRequest) -> SandboxResponse:
    received = time.monotonic()
    if request.path.startswith(LOGO_PREFIX):
        if not (request.internal or authorised(request)):
            # Anyone may fetch a logo, as from Codat's static host; only the app's own fetches
            # (and keyed ones) meet scripted faults and are logged: strangers can neither use up
            # a fault a test or demo scripted nor grow the call log.
            return _logo(request.path[len(LOGO_PREFIX):])
        operation = "branding-image"
        fault = faults.take(operation)
        response = _apply_fault(fault) or _logo(request.path[len(LOGO_PREFIX):])
    elif request.path.startswith(API_PREFIX):
        if not authorised(request):
            return error_response(401)  # before any fault is taken or any row written
        match = routing.resolve(request.method, request.path[len(API_PREFIX):])
        operation = match.operation
        fault = faults.take(operation)
        response = _apply_fault(fault)
        if response is None:
            response = _dispatch(request, match, fault)
    elif authorised(request):
        operation, fault = "unknown", None
        response = error_response(404)
    else:
        return error_response(404)
    Call.objects.create(operation=operation, status=response.status, path=request.path[:500])
    if fault is not None and fault.latency_ms:
        # An injected latency is the whole time Codat takes to answer, as a remote server's is:
        # the sandbox's own work (on our cores, which Codat's would not be) is part of it, not added.
        response.delay = max(0.0, fault.latency_ms / 1000 - (time.monotonic() - received))
    return response


def _dispatch(request: SandboxRequest, match: routing.Match, fault) -> SandboxResponse:
    if not authorised(request):
        return error_response(401)
    if match.view is None:
        if not match.allowed:
            return error_response(404)
        response = error_response(405)
        response.headers["Allow"] = ", ".join(sorted(match.allowed))
        return response
    try:
        return match.view(request, fault=fault, **match.params)
    except Reply as reply:
        return error_response(reply.status, reply.error, service=reply.service, validation=reply.validation)


def authorised(request: SandboxRequest) -> bool:
    """Basic auth of the sandbox key, as Codat's ``Authorization: Basic base64(apiKey)``."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic" or not credentials:
        return False
    if settings.CODAT_SANDBOX_DEMO and settings.CODAT_SANDBOX_API_KEY == DEFAULT_KEY:
        return False  # a public demo with the well-known key: nobody gets in (checks say why)
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
