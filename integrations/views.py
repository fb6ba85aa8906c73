"""Merchant pages: choose a platform, hand off to Codat's Sync Flow, come back.

Views parse, call a service, and render or redirect; the rules live in services/.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import logos, theme
from .forms import LinkForm
from .models import Logo
from .services import rate_limits
from .services.handoff import HandOffFailed, link_return, link_start
from .services.merchants import merchant_for_user
from .services.offering import NotOffered, offered_source_type, offers

logger = logging.getLogger(__name__)

REFUSAL_STATUS = {"malformed": 400, "connector": 400, "disabled": 400, "unknown": 404}


def _merchant_or_refuse(request):
    merchant = merchant_for_user(request.user)
    if merchant is None:
        return None, render(request, "integrations/no_merchant.html", status=403)
    return merchant, None


def selection_context(merchant) -> dict:
    return {
        "merchant": merchant,
        "offers": offers(),
        "platform_kind": "accounting software" if offered_source_type() == "Accounting" else "commerce platform",
    }


@never_cache
@login_required
@require_GET
def select(request):
    merchant, refusal = _merchant_or_refuse(request)
    if refusal:
        if request.user.has_perm("staff.view_merchant_status"):  # POS staff start in their own area
            return redirect("staff:merchants")
        return refusal
    return render(
        request,
        "integrations/select.html",
        {**selection_context(merchant), "link_action": reverse("integrations:link_start")},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def start(request):
    if request.method == "GET":  # a bookmarked or reloaded hand-off mints nothing
        return render(request, "integrations/method_not_allowed.html", status=405)
    merchant, refusal = _merchant_or_refuse(request)
    if refusal:
        return refusal
    return hand_off(request, merchant=merchant, assisted=False)


def hand_off(
    request, *, merchant, assisted: bool, retry_action: str | None = None, return_url: str | None = None
) -> HttpResponse:
    """Shared by the merchant's own page and staff-assisted linking (which comes back to its own page)."""
    retry_action = retry_action or request.path
    return_url = return_url or request.build_absolute_uri(reverse("integrations:link_return"))
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _refused(request, "malformed", "Choose a platform from the list.")
    limited = rate_limits.link_start_allowed(merchant)
    if not limited.allowed:
        response = render(request, "integrations/rate_limited.html", {"retry_after": limited.retry_after}, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    try:
        handoff = link_start(
            merchant=merchant,
            user=request.user,
            platform_key=form.cleaned_data["platform_key"],
            return_url=return_url,
            request_host=request.get_host(),
            assisted=assisted,
        )
    except NotOffered as refusal:
        logger.warning("refused link start for merchant %s: %s", merchant.pk, refusal.reason)
        return _refused(request, refusal.reason, str(refusal))
    except HandOffFailed as failure:
        response = render(
            request,
            "integrations/handoff_failed.html",
            {"attempt": failure.attempt, "retry_action": retry_action},
            status=failure.status,
        )
        if failure.retry_after:
            response["Retry-After"] = str(int(failure.retry_after + 0.999))
        return response
    # The URL carries a one-time code: never cached, never sent on as a Referer.
    response = HttpResponseRedirect(handoff.url)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _refused(request, reason: str, message: str) -> HttpResponse:
    return render(
        request,
        "integrations/refused.html",
        {"message": message},
        status=REFUSAL_STATUS.get(reason, 400),
    )


@never_cache
@login_required
@require_GET
def returned(request):
    """Where Codat sends the merchant back. Query parameters are not evidence of anything."""
    merchant, refusal = _merchant_or_refuse(request)
    if refusal:
        return refusal
    attempt = link_return(merchant=merchant)
    return render(request, "integrations/returned.html", {"merchant": merchant, "attempt": attempt})


@require_GET
def logo(request, digest: str, extension: str):
    """Logos from our own origin, at digest-bearing URLs: cached for good, and inert."""
    found = Logo.objects.filter(digest=digest).only("content_type").first()
    if found is None or logos.EXTENSIONS.get(found.content_type) != extension:
        raise Http404("No such logo.")
    etag = f'"{digest}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        data = Logo.objects.values_list("data", flat=True).get(pk=found.pk)
        response = HttpResponse(bytes(data), content_type=found.content_type)
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=31536000, immutable=True)
    if found.content_type == "image/svg+xml":
        # Opened directly, an SVG is a document: no script, no plugins, no navigation.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def theme_css(request, version: str):
    css = theme.css()
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    if version == theme.version():
        patch_cache_control(response, public=True, max_age=31536000, immutable=True)
    return response
