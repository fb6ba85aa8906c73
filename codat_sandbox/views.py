"""The sandbox over HTTP: Codat's API, its logos, a stand-in Sync Flow, and test controls."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import api, faults
from .data import BY_KEY
from .models import Call, SandboxCompany, SyncFlowCode


def _sandbox_request(request: HttpRequest) -> api.SandboxRequest:
    return api.SandboxRequest(
        method=request.method,
        path=request.path,
        query=request.GET.dict(),
        headers={name.lower(): value for name, value in request.headers.items()},
        origin=f"{request.scheme}://{request.get_host()}",
    )


def _http_response(answer: api.SandboxResponse) -> HttpResponse:
    if answer.delay:
        time.sleep(answer.delay)
    response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response


@csrf_exempt
def codat_api(request: HttpRequest, subpath: str = "") -> HttpResponse:
    """Everything under /sandbox/codat/: authenticated with the sandbox key, like Codat."""
    return _http_response(api.handle(_sandbox_request(request)))


@require_GET
def logo(request: HttpRequest, name: str) -> HttpResponse:
    return _http_response(api.handle(_sandbox_request(request)))


# --- the stand-in Sync Flow -----------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refused(request, status=401):
    Call.objects.create(operation="sync-flow", status=status, path=request.path[:500])
    response = render(request, "codat_sandbox/expired.html", status=status)
    response["Referrer-Policy"] = "strict-origin"
    return response


@never_cache
@require_GET
def sync_flow_start(request, company_id, commerce_key, accounting_key):
    """Accepts a code once, within CODAT_SYNC_FLOW_CODE_TTL seconds of issue; 401 otherwise."""
    otp = request.GET.get("otp", "")
    if not otp.isdigit():
        return _refused(request)
    oldest_valid = timezone.now() - timedelta(seconds=settings.CODAT_SYNC_FLOW_CODE_TTL)
    code = SyncFlowCode.objects.filter(
        company_id=company_id,
        code_hash=api.code_hash(company_id, otp),
        commerce_key=commerce_key,
        accounting_key=accounting_key,
    ).first()
    if code is None or code.issued_at < oldest_valid:
        return _refused(request)
    finish_token = secrets.token_urlsafe(24)
    claimed = SyncFlowCode.objects.filter(pk=code.pk, used_at__isnull=True).update(
        used_at=timezone.now(), finish_token_hash=_token_hash(finish_token)
    )
    if not claimed:
        return _refused(request)
    Call.objects.create(operation="sync-flow", status=200, path=request.path[:500])
    company = SandboxCompany.objects.get(pk=company_id)
    response = render(
        request,
        "codat_sandbox/sync_flow.html",
        {
            "company": company,
            "commerce": BY_KEY[commerce_key],
            "accounting": BY_KEY[accounting_key],
            "finish_token": finish_token,
            "returns": bool(code.redirect_url),
        },
    )
    response["Referrer-Policy"] = "strict-origin"  # the URL held a one-time code: send the origin only
    return response


@never_cache
@csrf_exempt  # the single-use finish token, handed out with the page, is the protection
@require_POST
def sync_flow_finish(request, company_id):
    token = request.POST.get("finish_token", "")
    code = SyncFlowCode.objects.filter(
        company_id=company_id, finish_token_hash=_token_hash(token), finished_at__isnull=True
    ).first()
    if not token or code is None:
        return _refused(request)
    now = timezone.now()
    SyncFlowCode.objects.filter(pk=code.pk).update(finished_at=now)
    SandboxCompany.objects.filter(pk=company_id).update(linked_at=now)
    Call.objects.create(operation="sync-flow-finish", status=302, path=request.path[:500])
    if code.redirect_url:
        response = HttpResponse(status=302)
        response["Location"] = code.redirect_url
        return response
    return render(request, "codat_sandbox/finished.html", {"company": code.company})


# --- controls for tests and benchmarks -----------------------------------------------------


def _control_authorised(request) -> bool:
    return api._authorised(_sandbox_request(request))


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def control_faults(request):
    if not _control_authorised(request):
        return _http_response(api.error_response(401))
    if request.method == "DELETE":
        faults.clear()
        return HttpResponse(status=204)
    try:
        spec = json.loads(request.body)
        operation = spec.pop("operation")
        times = spec.pop("times", None)
        fault = faults.inject(operation, times=times, **spec)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return _http_response(api.error_response(400, f"Bad fault: {exc}"))
    return JsonResponse({"id": fault.pk}, status=201)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def control_calls(request):
    if not _control_authorised(request):
        return _http_response(api.error_response(401))
    if request.method == "DELETE":
        faults.reset()
        return HttpResponse(status=204)
    return JsonResponse({"calls": faults.call_counts()})
