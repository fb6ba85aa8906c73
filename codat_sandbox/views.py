"""The sandbox over HTTP: Codat's API, its logos, and a stand-in Sync Flow.

The controls for tests and demos are in control_views.py.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe, require_POST

from . import api, lifecycle, sync_flow_settings
from .data import BY_KEY
from .models import Call, SyncFlowCode
from .operations.sync_flow_url import code_hash


def sandbox_request(request: HttpRequest) -> api.SandboxRequest:
    return api.SandboxRequest(
        method=request.method,
        path=request.path,
        query=request.GET.dict(),
        headers={name.lower(): value for name, value in request.headers.items()},
        origin=f"{request.scheme}://{request.get_host()}",
        body=request.body,
    )


def http_response(answer: api.SandboxResponse) -> HttpResponse:
    if answer.delay:
        time.sleep(answer.delay)
    response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response


@csrf_exempt
def codat_api(request: HttpRequest, subpath: str = "") -> HttpResponse:
    """Everything under /sandbox/codat/: authenticated with the sandbox key, like Codat."""
    return http_response(api.handle(sandbox_request(request)))


@require_safe
def logo(request: HttpRequest, name: str) -> HttpResponse:
    return http_response(api.handle(sandbox_request(request)))


# --- the stand-in Sync Flow -----------------------------------------------------------
#
# A code opens the page once; the page hands out a single-use token that lets that browser
# submit it once: Finish or Cancel on the set-up page, Save settings on the settings page.


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refused(request, status=401):
    Call.objects.create(operation="sync-flow", status=status, path=request.path[:500])
    # The sandbox shares the portal's origin: its start page is the way back to ask for a fresh link.
    portal = f"{request.scheme}://{request.get_host()}/"
    response = render(request, "codat_sandbox/expired.html", {"portal_url": portal}, status=status)
    response["Referrer-Policy"] = "strict-origin"
    return response


@never_cache
@require_safe
def sync_flow_start(request, company_id, commerce_key, accounting_key):
    """Accepts a code once, within CODAT_SYNC_FLOW_CODE_TTL seconds of issue; 401 otherwise."""
    otp = request.GET.get("otp", "")
    if not otp.isdigit():
        return _refused(request)
    oldest_valid = timezone.now() - timedelta(seconds=settings.CODAT_SYNC_FLOW_CODE_TTL)
    code = (
        SyncFlowCode.objects.select_related("company")
        .filter(
            company_id=company_id,
            code_hash=code_hash(company_id, otp),
            commerce_key=commerce_key,
            accounting_key=accounting_key,
        )
        .first()
    )
    if code is None or code.issued_at < oldest_valid:
        return _refused(request)
    finish_token = secrets.token_urlsafe(24)
    claimed = SyncFlowCode.objects.filter(pk=code.pk, used_at__isnull=True).update(
        used_at=timezone.now(), finish_token_hash=_token_hash(finish_token)
    )
    if not claimed:
        return _refused(request)
    Call.objects.create(operation="sync-flow", status=200, path=request.path[:500])
    company = code.company
    settings_page = lifecycle.shows_settings(company, accounting_key)
    commerce, accounting = BY_KEY[commerce_key], BY_KEY[accounting_key]
    # Shown in the texts set for the locale the URL asks for (as Codat's does), with the
    # account types visible for this commerce platform.
    locale = sync_flow_settings.locale_of(request.GET.get("locale"))
    response = render(
        request,
        "codat_sandbox/settings.html" if settings_page else "codat_sandbox/sync_flow.html",
        {
            "company": company,
            "configuration": company.configuration,
            "commerce": commerce,
            "accounting": accounting,
            "finish_token": finish_token,
            "returns": bool(code.redirect_url),
            "flow": sync_flow_settings.page(locale, commerce, accounting),
        },
    )
    response["Referrer-Policy"] = "strict-origin"  # the URL held a one-time code: send the origin only
    return response


_OUTCOMES = {
    "finish": ("You're all set", "Sales will sync on schedule."),
    "cancel": ("Set-up cancelled", "Nothing was connected. You can start again at any time."),
    "save": ("Settings saved", "Your sync settings have been updated."),
}


@never_cache
@csrf_exempt  # the single-use token, handed out with the page, is the protection
@require_POST
def sync_flow_submit(request, company_id):
    """Finish or Cancel on the set-up page, Save settings on the settings page; then back to redirectUrl."""
    token = request.POST.get("finish_token", "")
    action = request.POST.get("action", "")
    code = (
        SyncFlowCode.objects.select_related("company")
        .filter(company_id=company_id, finish_token_hash=_token_hash(token), finished_at__isnull=True)
        .first()
    )
    if not token or code is None or action not in _OUTCOMES:
        return _refused(request)
    company = code.company
    if action == "save" and not lifecycle.shows_settings(company, code.accounting_key):
        return _refused(request)  # only the settings page saves: a linked, configured merchant's
    if not SyncFlowCode.objects.filter(pk=code.pk, finished_at__isnull=True).update(finished_at=timezone.now()):
        return _refused(request)
    if action == "finish":
        lifecycle.link(company, commerce_key=code.commerce_key, accounting_key=code.accounting_key)
    elif action == "cancel":
        lifecycle.cancel(company, accounting_key=code.accounting_key)
    else:
        lifecycle.settings_save(company, enable=request.POST.get("enable") == "on")
    if code.redirect_url:
        response = HttpResponse(status=302)
        response["Location"] = code.redirect_url
    else:
        heading, message = _OUTCOMES[action]
        response = render(request, "codat_sandbox/finished.html", {"heading": heading, "message": message})
    Call.objects.create(operation=f"sync-flow-{action}", status=response.status_code, path=request.path[:500])
    return response
