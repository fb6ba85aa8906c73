"""Reads for the staff area: merchants with their link status, a merchant's logins and history, sign-in links."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.models import LinkAttempt, Merchant

from .models import SignInLink

REDIRECTED = [LinkAttempt.Outcome.REDIRECTED, LinkAttempt.Outcome.REDIRECTED_AFTER_REMINT]
SEARCH_MAX_LENGTH = 100


class LinkStatus:
    """Where a merchant stands, in the order they progress."""

    NEVER_STARTED = "never_started"
    FAILED = "failed"
    STARTED = "started"
    LINKED = "linked"

    LABELS = {
        NEVER_STARTED: "Never started",
        FAILED: "Last attempt failed",
        STARTED: "Started",
        LINKED: "Linked",
    }
    RANK = {NEVER_STARTED: 0, FAILED: 1, STARTED: 2, LINKED: 3}
    choices = list(LABELS.items())


# sort key → ORDER BY; every ordering ends on the primary key so pages never overlap.
SORTS = {
    "name": [Lower("name"), "pk"],
    "-name": [Lower("name").desc(), "-pk"],
    "created": ["created_at", "pk"],
    "-created": ["-created_at", "-pk"],
    "status": ["status_rank", Lower("name"), "pk"],
    "-status": ["-status_rank", Lower("name"), "pk"],
}
DEFAULT_SORT = "name"


def merchants_with_status() -> QuerySet[Merchant]:
    """Merchants annotated with ``status``, ``status_rank``, ``linked_at``, ``last_attempt_at``: one query.

    Linked wins: a merchant who came back from the Sync Flow once stays linked
    even if a later visit (to review settings) fails. Otherwise the latest
    attempt decides: failed, or started (redirected, or still in progress).
    """
    attempts = LinkAttempt.objects.filter(merchant=OuterRef("pk"))
    latest = attempts.order_by("-started_at", "-pk")
    returned = attempts.filter(outcome__in=REDIRECTED, returned_at__isnull=False).order_by("-returned_at")
    merchants = Merchant.objects.annotate(
        linked_at=Subquery(returned.values("returned_at")[:1]),
        latest_outcome=Subquery(latest.values("outcome")[:1]),
        last_attempt_at=Subquery(latest.values("started_at")[:1]),
    ).annotate(
        status=Case(
            When(linked_at__isnull=False, then=Value(LinkStatus.LINKED)),
            When(latest_outcome__isnull=True, then=Value(LinkStatus.NEVER_STARTED)),
            When(latest_outcome=LinkAttempt.Outcome.FAILED, then=Value(LinkStatus.FAILED)),
            default=Value(LinkStatus.STARTED),
        )
    )
    return merchants.annotate(
        status_rank=Case(
            *(When(status=status, then=Value(rank)) for status, rank in LinkStatus.RANK.items()),
            output_field=IntegerField(),
        )
    )


def merchant_list(*, search: str = "", status: str = "", sort: str = DEFAULT_SORT) -> QuerySet[Merchant]:
    merchants = merchants_with_status()
    search = search.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]  # PostgreSQL refuses NUL in text
    if search:
        merchants = merchants.filter(Q(name__icontains=search) | Q(identifier__icontains=search))
    if status in LinkStatus.LABELS:
        merchants = merchants.filter(status=status)
    return merchants.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def merchant_get(*, merchant_id: int) -> Merchant | None:
    return merchants_with_status().filter(pk=merchant_id).first()


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


def merchant_attempts(*, merchant: Merchant, limit: int = 20) -> list[LinkAttempt]:
    return list(merchant.link_attempts.select_related("user").order_by("-started_at", "-pk")[:limit])


# --- sign-in links -----------------------------------------------------------------------


class SignInLinkState:
    USABLE = "usable"
    UNKNOWN = "unknown"
    USED = "used"
    VOIDED = "voided"
    EXPIRED = "expired"
    INACTIVE = "inactive"  # the user was deactivated after the link was issued


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
    if state == SignInLinkState.USABLE and not hasattr(link.user, "membership"):
        state = SignInLinkState.INACTIVE  # no longer any merchant's login
    return link, state
