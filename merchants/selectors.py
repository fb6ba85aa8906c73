"""Reads for merchants and their logins: whose merchant a user is, logins with their sign-in links."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .models import Membership, Merchant, SignInLink


def merchant_for_user(user) -> Merchant | None:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return membership.merchant if membership else None


@dataclass(frozen=True)
class Login:
    """One of a merchant's users, as staff see them."""

    user: object
    password_set: bool
    link: SignInLink | None  # the latest sign-in link, if any
    link_state: str  # "none" or a SignInLinkState value


def merchant_logins(*, merchant: Merchant) -> list[Login]:
    User = get_user_model()
    latest_link = SignInLink.objects.filter(user=OuterRef("pk")).order_by("-created_at", "-pk")
    users = (
        User.objects.filter(membership__merchant=merchant)
        .annotate(latest_link_id=Subquery(latest_link.values("pk")[:1]))
        .order_by("date_joined", "pk")
    )
    users = list(users)
    links = SignInLink.objects.in_bulk([u.latest_link_id for u in users if u.latest_link_id])
    now = timezone.now()
    logins = []
    for user in users:
        link = links.get(user.latest_link_id)
        if link is not None:
            link.user = user  # already here: no query per login
        logins.append(
            Login(
                user=user,
                password_set=user.has_usable_password(),
                link=link,
                link_state=sign_in_link_state(link, now=now) if link else "none",
            )
        )
    return logins


def merchant_login_get(*, merchant: Merchant, user_id: int):
    """A user of this merchant, or None: staff act only within the merchant they chose."""
    return get_user_model().objects.filter(pk=user_id, membership__merchant=merchant).first()


# --- sign-in links -----------------------------------------------------------------------


class SignInLinkState:
    USABLE = "usable"
    UNKNOWN = "unknown"
    USED = "used"
    VOIDED = "voided"
    EXPIRED = "expired"
    INACTIVE = "inactive"  # the user was deactivated after the link was issued
    NOT_MERCHANT = "not_merchant"  # the user became staff, a superuser, or was given a role since


def sign_in_link_refusal_for_user(user) -> str | None:
    """Why this user may not be signed in by a link (a SignInLinkState), or None if they may.

    Checked when a link is issued, opened and redeemed: a link issued to a merchant's
    login must not become a way into an account that has since gained more power.
    Merchants' logins hold no group and no permission of their own; any of those
    (the POS staff group, an operator's permission) makes the login someone else's.
    """
    if not user.is_active:
        return SignInLinkState.INACTIVE
    if user.is_staff or user.is_superuser:
        return SignInLinkState.NOT_MERCHANT
    if not Membership.objects.filter(user_id=user.pk).exists():
        return SignInLinkState.INACTIVE  # no longer any merchant's login
    if user.groups.exists() or user.user_permissions.exists():
        return SignInLinkState.NOT_MERCHANT
    return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in_link_state(link: SignInLink | None, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if link is None:
        return SignInLinkState.UNKNOWN
    if link.used_at is not None:
        return SignInLinkState.USED
    if link.voided_at is not None:
        return SignInLinkState.VOIDED
    if link.expires_at <= now:
        return SignInLinkState.EXPIRED
    if not link.user.is_active:
        return SignInLinkState.INACTIVE
    return SignInLinkState.USABLE


def sign_in_link_for_token(*, token: str) -> tuple[SignInLink | None, str]:
    """The link a raw token opens, and its state. Tokens are looked up by hash only."""
    if not token or len(token) > 200:
        return None, SignInLinkState.UNKNOWN
    return _with_state(_links().filter(token_hash=token_hash(token)).first())


def sign_in_link_get(*, link_id) -> tuple[SignInLink | None, str]:
    if not isinstance(link_id, int):
        return None, SignInLinkState.UNKNOWN
    return _with_state(_links().filter(pk=link_id).first())


def _links():
    return SignInLink.objects.select_related("user__membership__merchant")


def _with_state(link: SignInLink | None) -> tuple[SignInLink | None, str]:
    state = sign_in_link_state(link)
    if state == SignInLinkState.USABLE:
        state = sign_in_link_refusal_for_user(link.user) or state
    return link, state
