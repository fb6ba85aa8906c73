"""Merchant pages: choose a platform, start a link to Codat's Sync Flow, come back.

Views parse, call a service, and render or redirect; the rules live in services/.
Staff linking on a merchant's behalf subclass these views (staff.views), changing
only whose merchant it is, where "Back" goes and where Codat returns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_safe

from commerce_portal import kept_pages, token_cache
from commerce_portal.fixed_urls import fixed_url
from merchants.selectors import merchant_for_user

from . import logos
from .codat import ConnectionStatus
from .forms import LinkForm, PasswordRecheckForm
from .login_cache import token_key as login_token_key
from .models import LinkAttempt, Logo
from .services import rate_limits
from .services.connection_changes import ChangeFailed, ChangeRefused, connection_disconnect, connection_switch
from .services.connections import (
    connection_refresh_now,
    connection_report,
    connection_standing,
    connection_tenant_keep,
    merchant_snapshot,
)
from .services.link import LinkFailed, link_return, link_start
from .services.offering import PLATFORM_KEY, NotOffered, offered_source_type, offering
from .services.offering import logo_for as logo_for_platform
from .services.offers_cache import OFFERING_TOKEN_KEY, OFFERS_CACHE_SECONDS
from .services.standing import State

logger = logging.getLogger(__name__)

# HTTP statuses are decided here, and only here.
REFUSAL_STATUS = {"malformed": 400, "connector": 400, "disabled": 400, "unknown": 404, "switch_first": 409}
FAILURE_STATUS = {
    LinkAttempt.Reason.STALE_CODE: 504,
    LinkAttempt.Reason.TIMEOUT: 504,
    LinkAttempt.Reason.RATE_LIMITED: 503,
    LinkAttempt.Reason.BUSY: 503,  # every hand-off slot of this process is waiting on Codat
}
FAILURE_STATUS_DEFAULT = 502  # Codat, not the merchant, is at fault
# Codat's Retry-After is passed on to the browser only up to this: the page says "try again",
# and an hour (or a date in 2099) would tell well-behaved clients to give up.
RETRY_AFTER_BROWSER_MAX = 60


@method_decorator(never_cache, name="dispatch")
class MerchantPageView(LoginRequiredMixin, View):
    """A page about one merchant: by default the logged-in user's own."""

    banner_template: str | None = None  # shown above every page of the view, e.g. staff's "on behalf of"

    # The merchant's own pages that are kept rendered while what they show is unchanged
    # (commerce_portal.kept_pages); staff's pages on a merchant's behalf are not.
    kept_as: str | None = None

    def dispatch(self, request, *args, **kwargs):
        # A kept page is checked against the offering's token: read with the login, in one round trip.
        with token_cache.read_ahead([OFFERING_TOKEN_KEY] if self.keeps_pages() else []):
            if not request.user.is_authenticated:
                return self.handle_no_permission()
            self.merchant = self.get_merchant()
            if self.merchant is None:
                return self.no_merchant()
            return super().dispatch(request, *args, **kwargs)

    def keeps_pages(self) -> bool:
        return self.kept_as is not None and settings.SHARED_CACHE

    def get_merchant(self):
        return merchant_for_user(self.request.user)

    def no_merchant(self) -> HttpResponse:
        """A login that is no merchant's: to its own area if it has one, else a clear 403."""
        for permission, url_name in settings.NON_MERCHANT_HOMES:
            if self.request.user.has_perm(permission):
                return redirect(url_name)
        return render(self.request, "integrations/no_merchant.html", status=403)

    def get_back_url(self) -> str:
        return fixed_url("integrations:select")

    def get_connection_url(self) -> str:
        return fixed_url("integrations:connection")

    def get_link_action(self) -> str:
        return fixed_url("integrations:link_start")

    # Where the connection changes live: the merchant's own, or staff's for the merchant in the URL.
    def get_change_url(self, change: str) -> str:
        return fixed_url(f"integrations:{change}")

    def get_change_action(self, change: str) -> str:
        return fixed_url(f"integrations:{change}_confirm")

    def get_tenant_keep_action(self) -> str:
        return fixed_url("integrations:tenant_keep")

    def render(self, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
        return HttpResponse(self.render_html(template, context), status=status)

    def render_kept(self, template: str, build: Callable[[], tuple[dict, bool, datetime | None]]) -> HttpResponse:
        """The page, kept rendered (commerce_portal.kept_pages) when this view keeps pages.
        ``build()`` gives its context, whether it may be kept, and until when it holds."""
        if not self.keeps_pages():
            return self.render(template, build()[0])
        tokens = (token_cache.token(login_token_key(self.request.user.pk)),
                  token_cache.token(OFFERING_TOKEN_KEY, seconds=OFFERS_CACHE_SECONDS))

        def built(csrf_token: str) -> kept_pages.Built:
            context, keep, until = build()
            html = self.render_html(template, {**context, "csrf_token": csrf_token})
            return kept_pages.Built(html, keep=keep, until=until.timestamp() if until else None)

        return HttpResponse(kept_pages.respond(self.request, (self.kept_as, self.request.user.pk), tokens, built))

    def render_html(self, template: str, context: dict | None = None) -> str:
        # A snapshot exists once the merchant has a company: then every page leads to
        # "Your connection", and a connection that broke is announced on every page.
        snapshot = merchant_snapshot(self.merchant)
        context = {
            "merchant": self.merchant,
            "back_url": self.get_back_url(),
            "disconnect_url": self.get_change_url("disconnect"),
            "switch_url": self.get_change_url("switch"),
            "banner_template": self.banner_template,
            "link_action": self.get_link_action(),
            "connection_url": self.get_connection_url() if snapshot else None,
            "connection_alert": snapshot if snapshot and snapshot.alert_at else None,
            **(context or {}),
        }
        return render_to_string(template, context, self.request)


def platform_kind() -> str:
    return "accounting software" if offered_source_type() == "Accounting" else "commerce platform"


class SelectView(MerchantPageView):
    """The platforms the merchant can link, each with its Link button."""

    http_method_names = ["get", "head"]
    kept_as = "select"

    def get(self, request, *args, **kwargs):
        return self.render_kept("integrations/select.html", self.build)

    def build(self):
        standing = connection_standing(self.merchant)
        # With an accounting connection (any status), other platforms only after Switch.
        current = standing.connection if standing is not None else None
        tiles, settled = offering()
        context = {
            "offers": tiles,
            "platform_kind": platform_kind(),
            "current": current,
            # On the current platform's tile, the one next step (Change settings, Reconnect Xero, ...).
            "current_action": standing.action if current is not None else "",
        }
        return context, settled, None


class ConnectionView(MerchantPageView):
    """ "Your connection": where the merchant stands with Codat, and the one thing to do next."""

    http_method_names = ["get", "head"]
    template_name = "integrations/connection.html"
    kept_as = "connection"

    def get(self, request, *args, **kwargs):
        report = connection_report(self.merchant)  # on every view: it starts a refresh when one is due
        return self.render_kept(self.template_name, lambda: self.build(report))

    def build(self, report):
        standing = report.standing
        # The page itself says what broke: no banner pointing at the page you are on.
        context = {
            "report": report,
            "standing": standing,
            "platform_kind": platform_kind(),
            "connection_alert": None,
            "tenant_keep_action": self.get_tenant_keep_action(),
        }
        settled, until = True, None
        if standing.state == State.NOT_CONNECTED:
            context["offers"], settled = offering()
        elif standing.state in (State.CONNECTED, State.SYNCING):
            context["next_sync"] = until = standing.next_sync_after(timezone.now())
        return context, settled, until


class LinkStartView(MerchantPageView):
    """The Link button: mint a fresh Sync Flow URL and redirect to it, or say why not."""

    http_method_names = ["get", "head", "post"]
    assisted = False

    def get(self, request, *args, **kwargs):
        # A bookmarked or reloaded link start mints nothing.
        return self.render("integrations/method_not_allowed.html", status=405)

    def post(self, request, *args, **kwargs):
        form = LinkForm(request.POST)
        if not form.is_valid():
            return self._refused("malformed", "Choose a platform from the list.")
        # Staff acting for a merchant have their own allowance: a merchant who used theirs up
        # can still be helped, and staff cannot use up the merchant's.
        limited = rate_limits.link_start_allowed(self.merchant, assisted_by=request.user if self.assisted else None)
        if not limited.allowed:
            response = self.render("integrations/rate_limited.html", {"retry_after": limited.retry_after}, status=429)
            response["Retry-After"] = str(limited.retry_after)
            return response
        try:
            started = link_start(
                merchant=self.merchant,
                user=request.user,
                platform_key=form.cleaned_data["platform_key"],
                return_url=request.build_absolute_uri(self.get_return_url()),
                request_host=request.get_host(),
                assisted=self.assisted,
            )
        except NotOffered as refusal:
            logger.warning("refused link start for merchant %s: %s", self.merchant.pk, refusal.reason)
            return self._refused(refusal.reason, str(refusal))
        except LinkFailed as failure:
            # Post/redirect/get: the failure page is a GET, so a reload or Back (from the Sync
            # Flow, after Try again) never asks to resubmit the form.
            if failure.retry_after:
                # Clamped: the page says "try again"; it must not tell the browser to wait for hours.
                request.session[retry_after_key(failure.attempt.pk)] = min(
                    RETRY_AFTER_BROWSER_MAX, max(1, math.ceil(failure.retry_after))
                )
            response = HttpResponseRedirect(self.get_failure_url(failure.attempt))
            response.status_code = 303
            return response
        # The URL carries a one-time code: never cached, never sent on as a Referer.
        response = HttpResponseRedirect(started.url)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get_return_url(self) -> str:
        return fixed_url("integrations:link_return")

    def get_failure_url(self, attempt) -> str:
        return reverse("integrations:link_failed", args=[attempt.pk])

    def _refused(self, reason: str, message: str) -> HttpResponse:
        context = {"message": message, "switch_first": reason == "switch_first"}
        return self.render("integrations/refused.html", context, status=REFUSAL_STATUS.get(reason, 400))


# --- disconnect and switch: a confirmation page (GET), then its action (POST only) ------------------

CHANGE_FAILURE_STATUS = {"timeout": 504, "rate_limited": 503, "unreachable": 502, "codat_error": 502, "refused": 409}


class ConnectionChangeView(MerchantPageView):
    """The confirmation page of a change to the accounting connection: what stops, what stays.

    ``change`` is "disconnect" or "switch". The page posts to the change's action URL, which asks
    for the person's own password again.
    """

    http_method_names = ["get", "head"]
    change = ""
    assisted = False
    template_name = "integrations/connection_change.html"

    def get(self, request, *args, **kwargs):
        return self.render_change(report=connection_report(self.merchant))

    def render_change(self, *, report, form=None, failure=None, busy=False, status: int = 200) -> HttpResponse:
        standing = report.standing
        connection = standing.connection
        if form is None:
            form = PasswordRecheckForm(self.request.user)
        if self.assisted:
            form.fields["password"].help_text = "Your own password: the one you log in with, not the merchant’s."
        offered = connection is not None and (self.change == "switch" or connection.status == ConnectionStatus.LINKED)
        context = {
            "change": self.change,
            "report": report,
            "standing": standing,
            "connection": connection,
            "offered": offered,
            "form": form,
            "confirm_action": self.get_change_action(self.change),
            "connection_url": self.get_connection_url(),
            "platform_kind": platform_kind(),
            "assisted": self.assisted,
            "whose": f"{self.merchant.name}’s" if self.assisted else "your",
            "failure": failure,
            "busy": busy,
            "connection_alert": None,
        }
        return self.render(self.template_name, context, status=status)


@method_decorator(sensitive_post_parameters("password"), name="post")
class ConnectionChangeConfirmView(ConnectionChangeView):
    """The action: POST only, CSRF-protected, the password again; then one call to Codat, never retried."""

    http_method_names = ["get", "head", "post"]

    def get(self, request, *args, **kwargs):
        # A bookmarked, reloaded or linked action changes nothing.
        response = self.render(
            "integrations/change_method_not_allowed.html",
            {"change": self.change, "change_url": self.get_change_url(self.change)},
            status=405,
        )
        response["Allow"] = "POST"
        return response

    def post(self, request, *args, **kwargs):
        allowed = rate_limits.password_recheck_allowed(request.user)
        if not allowed.allowed:
            context = {"retry_after": allowed.retry_after, "password_tries": True, "connection_url": self.get_connection_url()}
            response = self.render("integrations/rate_limited.html", context, status=429)
            response["Retry-After"] = str(allowed.retry_after)
            return response
        form = PasswordRecheckForm(request.user, request.POST)
        if not form.is_valid():
            rate_limits.password_recheck_failed(request.user)
            return self.render_change(report=connection_report(self.merchant, wait=0), form=form, status=400)
        perform = connection_disconnect if self.change == "disconnect" else connection_switch
        try:
            made = perform(merchant=self.merchant, user=request.user, assisted=self.assisted)
        except ChangeRefused as refused:
            return self.refused(refused)
        except ChangeFailed as failed:
            return self.render_change(
                report=failed.report, failure=failed, status=CHANGE_FAILURE_STATUS.get(failed.kind, 502)
            )
        platform = made.change.platform_name
        books = f"{self.merchant.name}’s books" if self.assisted else "your books"
        if self.change == "disconnect":
            done = (
                f"{platform} is disconnected: sales are no longer sent to it. Everything already in {books} "
                "stays, and it can be reconnected at any time."
            )
            where = self.get_connection_url()
        else:
            done = f"{platform} is removed. Everything already in {books} stays. Now choose the {platform_kind()} to connect."
            where = self.get_back_url()
        if made.answer_lost:
            done = f"Codat was slow to answer, but it now confirms the change. {done}"
        messages.success(request, done)
        return redirect(where)

    def refused(self, refused: ChangeRefused) -> HttpResponse:
        standing = refused.standing
        if refused.reason == "busy":
            report = connection_report(self.merchant, wait=0)
            return self.render_change(report=report, busy=True, status=409)
        if refused.reason == "no_connection":
            if self.change == "switch":  # e.g. the second of a double submit: the switch is made
                messages.info(self.request, f"There’s no {platform_kind()} connected now: choose one.")
                return redirect(self.get_back_url())
            messages.info(self.request, "There’s no connection to disconnect. Nothing was sent to Codat.")
            return redirect(self.get_connection_url())
        platform = standing.platform_name if standing else "It"
        messages.info(self.request, f"{platform} isn’t linked, so there’s nothing to disconnect. Nothing was sent to Codat.")
        return redirect(self.get_connection_url())


class TenantKeepView(MerchantPageView):
    """ "Yes, that's the right company": stop pointing out that the tenant changed. POST only."""

    http_method_names = ["get", "head", "post"]

    def get(self, request, *args, **kwargs):
        response = self.render(
            "integrations/change_method_not_allowed.html",
            {"change": "", "change_url": self.get_connection_url()},
            status=405,
        )
        response["Allow"] = "POST"
        return response

    def post(self, request, *args, **kwargs):
        if connection_tenant_keep(self.merchant):
            messages.success(request, "Thanks: we won’t point that out again.")
        return redirect(self.get_connection_url())


def retry_after_key(attempt_id: int) -> str:
    return f"integrations:link_failed_retry_after:{attempt_id}"


class LinkFailedView(MerchantPageView):
    """Why a link start failed, with Try again: shown only to the merchant whose attempt it was
    (staff see their assisted attempts through staff.views). Its status says who was at fault."""

    http_method_names = ["get", "head"]
    assisted = False

    def get(self, request, *args, **kwargs):
        attempt = LinkAttempt.objects.filter(
            pk=kwargs["attempt_id"],
            merchant=self.merchant,
            assisted=self.assisted,
            outcome=LinkAttempt.Outcome.FAILED,
        ).first()
        if attempt is None:
            raise Http404("No such failed link attempt.")
        status = FAILURE_STATUS.get(attempt.failure_reason, FAILURE_STATUS_DEFAULT)
        response = self.render(
            "integrations/link_failed.html", {"attempt": attempt, "retry_action": self.get_link_action()}, status=status
        )
        retry_after = request.session.pop(retry_after_key(attempt.pk), None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response


class ConnectionStateView(MerchantPageView):
    """The connection's state as JSON, for the open "Your connection" page to notice a change (no Codat call)."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        report = connection_report(self.merchant, wait=0)
        response = JsonResponse({"state": report.standing.state, "alert": report.alerted_at is not None})
        response["Cache-Control"] = "no-store"
        return response


class LinkReturnView(MerchantPageView):
    """Where Codat sends the merchant back. Arriving proves nothing (query parameters least of all):
    the snapshot is refreshed from Codat, and "Your connection" says what is true."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        link_return(merchant=self.merchant)  # history: when they came back
        report = connection_refresh_now(self.merchant)
        return self.returned(report)

    def returned(self, report) -> HttpResponse:
        return redirect(self.get_connection_url())


@require_safe
def logo(request, digest: str, extension: str):
    """Logos from our own origin, at digest-bearing URLs: cached for good, and inert."""
    found = Logo.objects.filter(digest=digest).only("content_type").first()
    if found is None or logos.EXTENSIONS.get(found.content_type) != extension:
        raise Http404("No such logo.")
    response = _logo_response(request, found)
    patch_cache_control(response, public=True, max_age=31536000, immutable=True)
    return response


@require_safe
def logo_for(request, key: str):
    """A platform's logo while its first fetch is under way (a cold page's tiles point here, so the
    page need not wait for it): waits for it within CODAT_BRANDING_COLD_WAIT, then 404, and the
    page shows the monogram. Revalidated, not kept: the next page points at the immutable URL."""
    # For the tiles of someone logged in: a stranger gets no request that waits.
    if not request.user.is_authenticated or not PLATFORM_KEY.match(key):
        raise Http404("No such platform.")
    found = logo_for_platform(key)
    if found is None:
        raise Http404("No logo for this platform yet.")
    response = _logo_response(request, found)
    patch_cache_control(response, public=True, no_cache=True)
    return response


def _logo_response(request, found: Logo) -> HttpResponse:
    etag = f'"{found.digest}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        data = Logo.objects.values_list("data", flat=True).get(pk=found.pk)
        response = HttpResponse(bytes(data), content_type=found.content_type)
    response["ETag"] = etag
    if found.content_type == "image/svg+xml":
        # Opened directly, an SVG is a document: no script, no plugins, no navigation.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
