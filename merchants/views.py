"""The merchant's side of a one-time sign-in link: open it, set a password, land on the selection page.

/sign-in/?token=… only looks the link up (opening it spends nothing, so link
previews and scanners cannot use it up), remembers in the session which link
it was or why it is refused, and always redirects to /sign-in/set-password/:
the token leaves the address bar before any page renders (no Referer can carry
it), and the URL that holds it never answers with an error, which Django would
log together with the request. The token is in the query string, not the
path: access logs record paths only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.utils.crypto import constant_time_compare, salted_hmac
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .forms import ChoosePasswordForm
from .selectors import SignInLinkState, sign_in_link_for_token, sign_in_link_get
from .services import SignInLinkUnusable, sign_in_link_redeem

SESSION_KEY = "merchants.sign_in_link"
REFUSAL_KEY = "merchants.sign_in_refusal"


@never_cache
@csrf_exempt  # any method just redirects (a CSRF 403 here would be logged with the token)
def open_link(request):
    link, state = sign_in_link_for_token(token=request.GET.get("token", ""))
    request.session.pop(SESSION_KEY, None)
    request.session.pop(REFUSAL_KEY, None)
    if state == SignInLinkState.USABLE:
        request.session[SESSION_KEY] = link.pk
    else:
        request.session[REFUSAL_KEY] = state
    response = redirect("sign_in:set_password")
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def set_password(request):
    if refusal := request.session.get(REFUSAL_KEY):
        return _refused(request, refusal)
    link, state = sign_in_link_get(link_id=request.session.get(SESSION_KEY))
    if state != SignInLinkState.USABLE:
        return _refuse_from_now_on(request, state)
    user = link.user
    if request.method != "POST":
        form = ChoosePasswordForm(user)
    elif not constant_time_compare(request.POST.get("link", ""), form_reference(link)):
        # The session now holds another link than the one this form showed (another tab, or a
        # page elsewhere that navigated this browser to its own link): set nothing for either.
        return render(request, "merchants/sign_in_refused.html", {"state": "switched"}, status=409)
    else:
        form = ChoosePasswordForm(user, request.POST)
        if form.is_valid():
            try:
                user = sign_in_link_redeem(link=link, password=form.cleaned_data["new_password1"])
            except SignInLinkUnusable as refusal:
                return _refuse_from_now_on(request, refusal.state)
            request.session.pop(SESSION_KEY, None)
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[-1])  # the one that checks passwords
            request.session[REFUSAL_KEY] = SignInLinkState.USED  # Back to this form says so
            return redirect(settings.LOGIN_REDIRECT_URL)  # where every merchant login lands
    return render(
        request,
        "merchants/set_password.html",
        {
            "form": form,
            "link_reference": form_reference(link),
            "link_user": user,
            "link_merchant": user.membership.merchant,
            "other_user": request.user if request.user.is_authenticated and request.user != user else None,
        },
        status=400 if form.is_bound else 200,
    )


def form_reference(link) -> str:
    """Names the link a set-password form was shown for, without revealing anything about it."""
    return salted_hmac("merchants.sign_in_link.form", str(link.pk)).hexdigest()[:32]


REFUSAL_STATUS = {SignInLinkState.UNKNOWN: 404}


def _refuse_from_now_on(request, state: str):
    """A link that stopped working while its form was open: a reload says the same."""
    request.session.pop(SESSION_KEY, None)
    if state != SignInLinkState.UNKNOWN:
        request.session[REFUSAL_KEY] = state
    return _refused(request, state)


def _refused(request, state: str):
    """Used, replaced, expired: 410 Gone, with what to do next. Unknown: 404."""
    return render(request, "merchants/sign_in_refused.html", {"state": state}, status=REFUSAL_STATUS.get(state, 410))
