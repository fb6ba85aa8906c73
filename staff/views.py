"""The POS staff area: merchants and their link status, onboarding, sign-in links, assisted linking.

Every view is for staff only (staff_only() or StaffOnlyMixin): logged in, in the
staff role, and not a merchant's own login. Views parse, call a selector or
service, and render. Assisted linking is the merchant's own pages, subclassed.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from integrations.views import (
    ConnectionChangeConfirmView,
    ConnectionChangeView,
    LinkReturnView,
    LinkStartView,
    SelectView,
)
from merchants.selectors import merchant_for_user, merchant_login_get, merchant_logins
from merchants.services import merchant_onboard, sign_in_link_issue

from . import roles
from .forms import OnboardForm
from integrations.services.connections import connection_report

from .selectors import (
    DEFAULT_SORT,
    SORTS,
    Status,
    merchant_attempts,
    merchant_connection_changes,
    merchant_get,
    merchant_list,
)

PAGE_SIZE = 25
SORT_LABELS = {
    "name": "Name (A to Z)",
    "-name": "Name (Z to A)",
    "-created": "Newest first",
    "created": "Oldest first",
    "status": "Least progress first",
    "-status": "Most progress first",
}
# (sort key or None, heading, shown on phones too), in table order.
COLUMNS = [
    ("name", "Merchant", True),
    ("status", "Link status", True),
    (None, "Platform", False),
    (None, "Last attempt", False),
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
            return view(request, *args, **kwargs)

        return never_cache(login_required(guarded))

    return decorator


def _merchant_or_404(merchant_id: int):
    merchant = merchant_get(merchant_id=merchant_id)
    if merchant is None:
        raise Http404("No such merchant.")
    return merchant


@staff_only()
@require_GET
def merchants(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    page = Paginator(merchant_list(search=search, status=status, sort=sort), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for merchant in page.object_list:
        merchant.status_label = Status(merchant.status).label
    return render(
        request,
        "staff/merchants.html",
        {
            "page": page,
            "search": search,
            "status": status,
            "sort": sort,
            "sort_label": SORT_LABELS[sort],
            "sort_choices": SORT_LABELS.items(),
            "status_choices": Status.choices,
            "columns": _column_headers(sort),
        },
    )


def _column_headers(sort: str) -> list[dict]:
    """Each sortable column: the sort its link asks for and its aria-sort now."""
    headers = []
    for key, label, narrow in COLUMNS:
        if key is None:
            headers.append({"label": label, "sort": None, "aria_sort": None, "wide_only": not narrow})
            continue
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        headers.append(
            {
                "label": label,
                "sort": f"-{key}" if current and not descending else key,
                "aria_sort": ("descending" if descending else "ascending") if current else None,
                "wide_only": not narrow,
            }
        )
    return headers


@staff_only(roles.ONBOARD_MERCHANT)
@require_http_methods(["GET", "POST"])
def merchant_new(request):
    if request.method == "GET":
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
@require_GET
def merchant_detail(request, merchant_id: int):
    merchant = _merchant_or_404(merchant_id)
    return render(
        request,
        "staff/merchant_detail.html",
        {
            "merchant": merchant,
            "status_label": Status(merchant.status).label,
            "report": connection_report(merchant),
            "logins": merchant_logins(merchant=merchant),
            "attempts": merchant_attempts(merchant=merchant),
            "changes": merchant_connection_changes(merchant=merchant),
        },
    )


@staff_only(roles.ONBOARD_MERCHANT)
@require_http_methods(["GET", "POST"])
def sign_in_link_new(request, merchant_id: int, user_id: int):
    merchant = _merchant_or_404(merchant_id)
    user = merchant_login_get(merchant=merchant, user_id=user_id)
    if user is None:
        raise Http404("No such login for this merchant.")
    if request.method == "GET":  # issuing voids the previous link: only ever from the button
        return render(request, "staff/method_not_allowed.html", {"merchant": merchant}, status=405)
    issued = sign_in_link_issue(user=user, created_by=request.user)
    return _link_issued(request, merchant=merchant, user=user, issued=issued, onboarded=False)


def _link_issued(request, *, merchant, user, issued, onboarded: bool):
    """The one page that ever shows a sign-in token: not cached (staff_only), not logged."""
    url = request.build_absolute_uri(reverse("sign_in:open")) + "?" + urlencode({"token": issued.token})
    return render(
        request,
        "staff/link_issued.html",
        {"merchant": merchant, "login": user, "link": issued.link, "url": url, "onboarded": onboarded},
        status=201,
    )


# --- assisted linking: the merchant's own pages, for the merchant in the URL ---------------------


class AssistedMixin:
    """Staff with ASSIST_LINKING act for the merchant in the URL; "Back" returns to that merchant."""

    banner_template = "staff/_assist_banner.html"

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


class AssistLinkReturnView(AssistedMixin, LinkReturnView):
    """Where Codat sends staff back after an assisted link: what Codat now says, on the staff side."""

    def returned(self, report):
        return self.render("staff/assist_returned.html", {"report": report, "standing": report.standing})
