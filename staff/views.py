"""The POS staff area: merchants and their connection and sync health, onboarding, sign-in links,
assisted linking, and syncs requested from Codat.

Every view is for staff only (staff_only() or StaffOnlyMixin): logged in, in the
staff role, and not a merchant's own login. Views parse, call a selector or
service, and render. Assisted linking is the merchant's own pages, subclassed.
Staff views show times in STAFF_TIME_ZONE (staff_only activates it).
"""

from __future__ import annotations

import uuid
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from commerce_portal import token_cache
from integrations.codat import CodatError, CodatRateLimitedError, CodatTimeoutError
from integrations.services.connections import connection_refresh_now, connection_report
from integrations.services.standing import State, sync_outcome_label
from integrations.services.sync_requests import (
    SyncAlreadyRequested,
    SyncNotOffered,
    SyncRequestFailed,
    sync_day,
    sync_offer,
    sync_request_send,
)
from integrations.models import LinkAttempt
from integrations.views import (
    ConnectionChangeConfirmView,
    ConnectionChangeView,
    LinkFailedView,
    LinkReturnView,
    LinkStartView,
    SelectView,
)
from merchants.selectors import merchant_for_user, merchant_login_get, merchant_logins
from merchants.services import merchant_login_add, merchant_onboard, sign_in_link_issue
from merchants.tasks import send_sign_in_link_email

from . import roles
from . import list_cache
from .forms import LoginForm, OnboardForm, SyncRangeForm, SyncRequestForm
from .selectors import (
    DEFAULT_SORT,
    SORTS,
    Status,
    merchant_attempts,
    merchant_connection_changes,
    merchant_get,
    merchant_list,
    merchant_sync_requests,
)

PAGE_SIZE = 25
SCHEDULED_STATES = (State.CONNECTED, State.SYNCING, State.NEEDS_ATTENTION, State.LAST_SYNC_FAILED)
SORT_LABELS = {
    "name": "Name (A to Z)",
    "-name": "Name (Z to A)",
    "-created": "Newest first",
    "created": "Oldest first",
    "status": "Least progress first",
    "-status": "Most progress first",
    "last_sync": "Longest without a sync first",
    "-last_sync": "Most recent sync first",
}
# (sort key or None, heading, shown on phones too), in table order.
COLUMNS = [
    ("name", "Merchant", True),
    ("status", "Connection status", True),
    (None, "Platform", False),
    ("-last_sync", "Last sync", False),
    (None, "Last connection attempt", False),
    ("created", "Created", False),
]


def check_staff(user, permission: str | None = None) -> None:
    """PermissionDenied unless ``user`` holds the staff role (and ``permission``) and is no merchant's login."""
    if (
        merchant_for_user(user) is not None  # a merchant's login never acts as staff
        or not user.has_perm(roles.VIEW_MERCHANTS)
        or (permission and not user.has_perm(permission))
    ):
        raise PermissionDenied


def staff_only(permission: str | None = None):
    """Logged in (else to the login page), then check_staff()."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            check_staff(request.user, permission)
            with timezone.override(settings.STAFF_TIME_ZONE):
                return view(request, *args, **kwargs)

        return never_cache(login_required(guarded))

    return decorator


def _merchant_or_404(merchant_id: int):
    merchant = merchant_get(merchant_id=merchant_id)
    if merchant is None:
        raise Http404("No such merchant.")
    return merchant


@token_cache.read_ahead([list_cache.TOKEN_KEY])  # the list's token comes with the login, in one round trip
@staff_only()
@require_safe
def merchants(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    attention = request.GET.get("attention") == "1"
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    can_onboard = request.user.has_perm(roles.ONBOARD_MERCHANT)

    def render_content() -> str:
        page = Paginator(
            merchant_list(search=search, status=status, attention=attention, sort=sort), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        for merchant in page.object_list:
            merchant.status_label = Status(merchant.status).label
            merchant.last_attempt_label = _attempt_label(merchant.last_attempt_outcome, merchant.last_attempt_reason)
        return render_to_string("staff/_merchants_content.html", {  # with the request: {% querystring %} reads it
            "page": page,
            "search": search,
            "status": status,
            "attention": attention,
            "time_zone": settings.STAFF_TIME_ZONE,
            "sort": sort,
            "sort_label": SORT_LABELS[sort],
            "sort_choices": SORT_LABELS.items(),
            "status_choices": Status.choices,
            "columns": _column_headers(sort),
            "can_onboard": can_onboard,
        }, request=request)

    # What the page's content depends on besides the rows: the whole query string (its links keep it),
    # the zone of its times, and whether the viewer may onboard.
    key = (sorted(request.GET.lists()), settings.STAFF_TIME_ZONE, can_onboard)
    return list_cache.listing_page(request, key, render_content)


def _attempt_label(outcome: str | None, reason: str | None) -> str:
    """The latest connection attempt's outcome in a few words (the merchant's page has the detail)."""
    if not outcome:
        return ""
    if outcome == LinkAttempt.Outcome.FAILED:
        return f"Failed: {LinkAttempt.Reason(reason).label}" if reason in LinkAttempt.Reason.values else "Failed"
    if outcome == LinkAttempt.Outcome.PENDING:
        return "In progress"
    return "Sent to Codat"


def _column_headers(sort: str) -> list[dict]:
    """Each sortable column: the sort its link asks for and its aria-sort now."""
    headers = []
    for key, label, narrow in COLUMNS:
        if key is None:
            headers.append({"label": label, "sort": None, "aria_sort": None, "wide_only": not narrow})
            continue
        # A column whose first click sorts descending is named "-key" (Last sync: newest first).
        first, key = key, key.lstrip("-")
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        headers.append(
            {
                "label": label,
                "sort": (f"-{key}" if not descending else key) if current else first,
                "aria_sort": ("descending" if descending else "ascending") if current else None,
                "wide_only": not narrow,
            }
        )
    return headers


@staff_only(roles.ONBOARD_MERCHANT)
@require_http_methods(["GET", "HEAD", "POST"])
def merchant_new(request):
    if request.method != "POST":
        return render(request, "staff/merchant_new.html", {"form": OnboardForm()})
    form = OnboardForm(request.POST)
    if form.is_valid():
        try:
            merchant, user, issued = merchant_onboard(
                merchant_name=form.cleaned_data["merchant_name"],
                identifier=form.cleaned_data["identifier"],
                contact_name=form.cleaned_data["contact_name"],
                email=form.cleaned_data["email"],
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _link_issued(request, merchant=merchant, user=user, issued=issued, onboarded=True)
    return render(request, "staff/merchant_new.html", {"form": form}, status=400)


@staff_only()
@require_safe
def merchant_detail(request, merchant_id: int):
    merchant = _merchant_or_404(merchant_id)
    report = connection_report(merchant)
    standing = report.standing
    return render(
        request,
        "staff/merchant_detail.html",
        {
            "merchant": merchant,
            "status_label": Status(merchant.status).label,
            "report": report,
            "standing": standing,
            "latest_label": sync_outcome_label(standing.latest_sync.status_code) if standing.latest_sync else "",
            # Only while scheduled syncs run: a disconnected, unfinished or paused one has none.
            "next_sync": standing.next_sync_after(timezone.now()) if standing.state in SCHEDULED_STATES else None,
            "offer": sync_offer(standing),
            "time_zone": settings.STAFF_TIME_ZONE,
            "logins": merchant_logins(merchant=merchant),
            "attempts": merchant_attempts(merchant=merchant),
            "sync_requests": merchant_sync_requests(merchant=merchant),
            "changes": merchant_connection_changes(merchant=merchant),
        },
    )


@staff_only()
@require_http_methods(["GET", "HEAD", "POST"])
def connection_refresh(request, merchant_id: int):
    """Refresh from Codat: staff on the phone ask Codat now rather than wait for the snapshot to age."""
    merchant = _merchant_or_404(merchant_id)
    if request.method != "POST":  # GET and HEAD ask nothing of Codat
        return render(request, "staff/method_not_allowed.html", {"merchant": merchant}, status=405)
    asked_at, before = timezone.now(), merchant.status_as_of
    report = connection_refresh_now(merchant)
    if report.as_of is None and report.failing_since is None:
        messages.info(request, "Nothing to ask Codat yet: this merchant hasn’t started linking.")
    elif report.failing_since is not None and report.failing_since >= asked_at:
        messages.error(request, "Codat couldn’t be reached just now: this is what it said last.")
    elif report.as_of is not None and (before is None or report.as_of > before):
        messages.success(request, "Refreshed from Codat.")
    else:
        messages.info(request, "Codat is taking a while to answer: reload the page in a moment.")
    return redirect("staff:merchant_detail", merchant.pk)


# --- syncs requested from Codat -------------------------------------------------------------


# Codat failures: who is at fault decides the status (as for the hand-off).
def _failure_status(error: CodatError) -> int:
    if isinstance(error, CodatTimeoutError):
        return 504
    if isinstance(error, CodatRateLimitedError):
        return 503
    return 502


@staff_only(roles.REQUEST_SYNC)
@require_http_methods(["GET", "HEAD", "POST"])
def sync_now(request, merchant_id: int):
    """Sync now: GET confirms (and sends nothing); POST sends request-sync, once per form."""
    merchant = _merchant_or_404(merchant_id)
    report = connection_report(merchant)
    if request.method != "POST":  # GET and HEAD confirm; only POST sends
        return _sync_page(request, "staff/sync_now.html", merchant, report, SyncRequestForm(initial={"token": uuid.uuid4()}))
    form = SyncRequestForm(request.POST)
    if not form.is_valid():
        return _sync_page(request, "staff/sync_now.html", merchant, report, _refused_form(form), status=400)
    return _send(request, "staff/sync_now.html", merchant, report, form)


@staff_only(roles.REQUEST_SYNC)
@require_http_methods(["GET", "HEAD", "POST"])
def sync_range(request, merchant_id: int):
    """Sync a date range: GET shows the form; POST checks the range (an error sends nothing), then
    sends request-sync-for-date-range, once per form."""
    merchant = _merchant_or_404(merchant_id)
    report = connection_report(merchant)
    standing = report.standing
    if request.method != "POST":
        form = SyncRangeForm(initial={"token": uuid.uuid4()}, standing=standing)
        return _sync_page(request, "staff/sync_range.html", merchant, report, form)
    form = SyncRangeForm(request.POST, standing=standing)
    if not form.is_valid():
        return _sync_page(request, "staff/sync_range.html", merchant, report, _refused_form(form), status=400)
    return _send(request, "staff/sync_range.html", merchant, report, form, date_range=form.sync_range)


def _with_new_token(form, error: str = ""):
    """The same form, as typed, with a new one-time token: for a form whose token is unusable, or
    after a failure, where sending again is a new, deliberate request."""
    data = form.data.copy()
    data["token"] = str(uuid.uuid4())
    options = {"standing": form.standing} if hasattr(form, "standing") else {}
    fresh = type(form)(data, **options)
    fresh.is_valid()
    if error:
        fresh.add_error(None, error)
    return fresh


def _refused_form(form):
    """A refused form keeps what was typed and its errors; a bad token is replaced so that the
    corrected form can be sent (a good token is kept: it has sent nothing yet)."""
    if form.has_error("__all__", code="token"):
        return _with_new_token(form, form.non_field_errors()[0])
    return form


def _send(request, template, merchant, report, form, *, date_range=None):
    try:
        sent = sync_request_send(
            merchant=merchant, user=request.user, token=form.cleaned_data["token"], date_range=date_range
        )
    except SyncNotOffered as refusal:
        return _sync_page(request, template, merchant, report, form, refusal=refusal.reason, status=409)
    except SyncAlreadyRequested as already:
        messages.info(
            request,
            f"That request was already sent, once ({already.request.get_outcome_display().lower()}): "
            "nothing more was sent to Codat.",
        )
        return redirect("staff:merchant_detail", merchant.pk)
    except SyncRequestFailed as failure:
        response = _sync_page(
            request,
            template,
            merchant,
            report,
            _with_new_token(form),
            failure=failure.request,
            status=_failure_status(failure.error),
        )
        if isinstance(failure.error, CodatRateLimitedError) and failure.error.retry_after:
            response["Retry-After"] = str(int(failure.error.retry_after + 0.999))
        return response
    what = "a sync of " + _range_text(date_range) if date_range else "a sync up to now"
    messages.success(
        request,
        f"Codat accepted {what} (sync {sent.sync_id or 'without an id'}): it shows as "
        f"“{sync_outcome_label(sent.sync_status_code) or 'Requested'}” below.",
    )
    return redirect("staff:merchant_detail", merchant.pk)


def _range_text(date_range) -> str:
    first, last = (f"{day.day} {day:%B %Y}" for day in (date_range.first_day, date_range.last_day))
    return first if first == last else f"{first} to {last}"


def _sync_page(request, template, merchant, report, form, *, refusal="", failure=None, status=200):
    standing = report.standing
    offer = sync_offer(standing)
    zone, hour = sync_day(standing)
    if not offer.allowed:
        refusal, status = refusal or offer.reason, 409
    return render(
        request,
        template,
        {
            "merchant": merchant,
            "report": report,
            "standing": standing,
            "form": form,
            "refusal": refusal,
            "failure": failure,
            "day_zone": zone.key,
            "day_hour": hour,
            "max_days": settings.CODAT_SYNC_RANGE_MAX_DAYS,
        },
        status=status,
    )


@staff_only(roles.ONBOARD_MERCHANT)
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link_new(request, merchant_id: int, user_id: int):
    merchant = _merchant_or_404(merchant_id)
    user = merchant_login_get(merchant=merchant, user_id=user_id)
    if user is None:
        raise Http404("No such login for this merchant.")
    if request.method != "POST":  # issuing voids the previous link: only ever from the button
        return render(request, "staff/method_not_allowed.html", {"merchant": merchant}, status=405)
    issued = sign_in_link_issue(user=user, created_by=request.user)
    return _link_issued(request, merchant=merchant, user=user, issued=issued, onboarded=False)


@staff_only(roles.ONBOARD_MERCHANT)
@require_http_methods(["GET", "HEAD", "POST"])
def login_new(request, merchant_id: int):
    """Add another login to an existing merchant, with its sign-in link (shown once, as for onboarding)."""
    merchant = _merchant_or_404(merchant_id)
    if request.method != "POST":  # GET and HEAD show the form; only POST creates
        return render(request, "staff/login_new.html", {"merchant": merchant, "form": LoginForm()})
    form = LoginForm(request.POST)
    if form.is_valid():
        try:
            user, issued = merchant_login_add(
                merchant=merchant,
                contact_name=form.cleaned_data["contact_name"],
                email=form.cleaned_data["email"],
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _link_issued(request, merchant=merchant, user=user, issued=issued, onboarded=False)
    return render(request, "staff/login_new.html", {"merchant": merchant, "form": form}, status=400)


@staff_only(roles.ONBOARD_MERCHANT)
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link_email(request, merchant_id: int, user_id: int):
    """Email the login a new sign-in link: the task worker issues it and sends it (the token is in
    the email only), so staff never see it and the page answers at once."""
    merchant = _merchant_or_404(merchant_id)
    user = merchant_login_get(merchant=merchant, user_id=user_id)
    if user is None:
        raise Http404("No such login for this merchant.")
    if request.method != "POST":  # sending voids the previous link: only ever from the button, never a HEAD
        return render(request, "staff/method_not_allowed.html", {"merchant": merchant}, status=405)
    if not user.email:
        messages.error(request, "This login has no email address: issue a sign-in link and hand it over instead.")
        return redirect("staff:merchant_detail", merchant.pk)
    origin = f"{request.scheme}://{request.get_host()}"
    send_sign_in_link_email.enqueue(user_id=user.pk, created_by_id=request.user.pk, origin=origin)
    messages.success(
        request,
        f"A new sign-in link is on its way to {user.email}. The link issued before stops working when it is sent.",
    )
    return redirect("staff:merchant_detail", merchant.pk)


# The one-time token waits in the staff member's own session (server-side: the database
# session store) for exactly one GET: never in a URL, a log or a re-postable response.
SIGN_IN_LINK_SESSION_KEY = "staff:sign_in_link_to_show"


def _link_issued(request, *, merchant, user, issued, onboarded: bool):
    """Keep the token for the one page that shows it, and go there (post/redirect/get)."""
    request.session[SIGN_IN_LINK_SESSION_KEY] = {
        "merchant": merchant.pk,
        "user": user.pk,
        "link": issued.link.pk,
        "token": issued.token,
        "onboarded": onboarded,
    }
    return _see_other(reverse("staff:sign_in_link_issued", args=[merchant.pk, user.pk]))


def _see_other(url: str):
    response = HttpResponseRedirect(url)
    response.status_code = 303  # the browser GETs the page: a reload or Back never re-posts the form
    return response


@staff_only(roles.ONBOARD_MERCHANT)
@require_safe
def sign_in_link_issued(request, merchant_id: int, user_id: int):
    """The one page that ever shows a sign-in token, once: a reload finds it gone and offers a new one."""
    merchant = _merchant_or_404(merchant_id)
    user = merchant_login_get(merchant=merchant, user_id=user_id)
    if user is None:
        raise Http404("No such login for this merchant.")
    pending = request.session.get(SIGN_IN_LINK_SESSION_KEY)
    context = {"merchant": merchant, "login": user, "onboarded": False, "url": None}
    # A HEAD (a link checker, a prefetch) must not use up the one showing.
    if pending and (pending["merchant"], pending["user"]) == (merchant.pk, user.pk) and request.method == "GET":
        del request.session[SIGN_IN_LINK_SESSION_KEY]
        link = user.sign_in_links.filter(pk=pending["link"]).first()
        context.update(
            link=link,
            onboarded=pending["onboarded"],
            url=request.build_absolute_uri(reverse("sign_in:open")) + "?" + urlencode({"token": pending["token"]}),
        )
    return render(request, "staff/link_issued.html", context)


# --- assisted linking: the merchant's own pages, for the merchant in the URL ---------------------


class AssistedMixin:
    """Staff with ASSIST_LINKING act for the merchant in the URL; "Back" returns to that merchant."""

    banner_template = "staff/_assist_banner.html"
    kept_as = None  # the merchant's pages are kept for the merchant's own login, not staff's

    def get_merchant(self):
        check_staff(self.request.user, roles.ASSIST_LINKING)
        return _merchant_or_404(self.kwargs["merchant_id"])

    def get_back_url(self) -> str:
        return reverse("staff:assist_select", args=[self.merchant.pk])

    def get_connection_url(self) -> str:
        return reverse("staff:merchant_detail", args=[self.merchant.pk])

    def get_link_action(self) -> str:
        return reverse("staff:assist_start", args=[self.merchant.pk])

    def get_change_url(self, change: str) -> str:
        return reverse(f"staff:assist_{change}", args=[self.merchant.pk])

    def get_change_action(self, change: str) -> str:
        return reverse(f"staff:assist_{change}_confirm", args=[self.merchant.pk])


class AssistedChangeMixin(AssistedMixin):
    """Disconnect or switch for the merchant in the URL: CHANGE_CONNECTION, recorded as assisted.

    Staff confirm with their own password (the form checks the logged-in user's).
    """

    assisted = True

    def get_merchant(self):
        check_staff(self.request.user, roles.CHANGE_CONNECTION)
        return _merchant_or_404(self.kwargs["merchant_id"])


class AssistSelectView(AssistedMixin, SelectView):
    pass


class AssistConnectionChangeView(AssistedChangeMixin, ConnectionChangeView):
    pass


class AssistConnectionChangeConfirmView(AssistedChangeMixin, ConnectionChangeConfirmView):
    pass


class AssistLinkStartView(AssistedMixin, LinkStartView):
    assisted = True

    def get_return_url(self) -> str:
        return reverse("staff:assist_returned", args=[self.merchant.pk])

    def get_failure_url(self, attempt) -> str:
        return reverse("staff:assist_failed", args=[self.merchant.pk, attempt.pk])


class AssistLinkFailedView(AssistedMixin, LinkFailedView):
    assisted = True


class AssistLinkReturnView(AssistedMixin, LinkReturnView):
    """Where Codat sends staff back after an assisted link: what Codat now says, on the staff side."""

    def returned(self, report):
        return self.render("staff/assist_returned.html", {"report": report, "standing": report.standing})
