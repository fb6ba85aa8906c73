"""Writes for merchants and their logins: create, onboard, and one-time sign-in links.

A raw sign-in token exists only in the return value of sign_in_link_issue (for
the one page that shows it to staff) and in the merchant's browser. It is never
stored, logged or put in a session: only its SHA-256 is kept.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Membership, Merchant, SignInLink
from .selectors import SignInLinkState, sign_in_link_refusal_for_user, sign_in_link_state, token_hash

logger = logging.getLogger(__name__)

IDENTIFIER_MAX_LENGTH = 100
TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, so no attempt counting is needed


@dataclass(frozen=True)
class IssuedLink:
    link: SignInLink
    token: str = field(repr=False)


class SignInLinkUnusable(Exception):
    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


# --- merchants and onboarding ------------------------------------------------------------


def validate_identifier(value: str) -> str:
    """A merchant identifier: 1-100 printable characters, no surrounding spaces; spaces and punctuation welcome."""
    if not value or not value.strip():
        raise ValidationError("Enter a merchant identifier.", code="required")
    if value != value.strip():
        raise ValidationError("The identifier can't start or end with a space.", code="spaces")
    if len(value) > IDENTIFIER_MAX_LENGTH:
        raise ValidationError(
            f"Use at most {IDENTIFIER_MAX_LENGTH} characters.", code="max_length"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValidationError("The identifier can't contain control characters.", code="control")
    if Merchant.objects.filter(identifier__iexact=value).exists():
        raise ValidationError(
            f"A merchant with the identifier “{value}” already exists.", code="duplicate"
        )
    return value


def merchant_create(
    *,
    identifier: str,
    name: str,
    username: str,
    email: str = "",
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> tuple[Merchant, object]:
    """Create a merchant and its first user together, or neither.

    With ``password=None`` the user gets an unusable password (they set one
    through a sign-in link).
    """
    validate_identifier(identifier)
    name = name.strip()
    if not name:
        raise ValidationError("Enter the merchant's name.", code="required")
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(f"The username “{username}” is taken.", code="duplicate_user")
    if email:
        email_validate_unused(email)
    with transaction.atomic():
        merchant = Merchant.objects.create(identifier=identifier, name=name)
        user = User.objects.create_user(
            username=username,
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
        Membership.objects.create(user=user, merchant=merchant)
    return merchant, user


def generate_password() -> str:
    return secrets.token_urlsafe(18)




def email_validate_unused(email: str) -> str:
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise ValidationError("A login with this email address already exists.", code="duplicate_email")
    return email


def username_for_email(email: str) -> str:
    """The email itself when Django accepts it as a username, else a tidied form of it; unique."""
    User = get_user_model()
    base = email.lower()
    try:
        UnicodeUsernameValidator()(base)
    except ValidationError:
        base = re.sub(r"[^\w.@+-]", "-", base)
    base = base[: User._meta.get_field("username").max_length - 4]
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def merchant_onboard(
    *, merchant_name: str, identifier: str, contact_name: str, email: str, created_by
) -> tuple[Merchant, object, IssuedLink]:
    """Create the merchant, its first user (no password yet), and a sign-in link: all or nothing.

    Raises ValidationError (keyed by form field where it can tell) when the
    input is unusable, including when a concurrent request took the identifier
    or email first.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    merchant_name, contact_name = merchant_name.strip(), contact_name.strip()
    required = {
        "merchant_name": (merchant_name, "Enter the merchant’s name."),
        "contact_name": (contact_name, "Enter the person’s name."),
    }
    missing = {
        key: ValidationError(message, code="required") for key, (value, message) in required.items() if not value
    }
    if missing:
        raise ValidationError(missing)
    _validate_onboarding(identifier=identifier, email=email)
    try:
        with transaction.atomic():
            merchant, user = merchant_create(
                identifier=identifier,
                name=merchant_name,
                username=username_for_email(email),
                email=email,
                password=None,
                first_name=contact_name,  # the whole name: not every name splits into first and last
            )
            issued = sign_in_link_issue(user=user, created_by=created_by)
    except (IntegrityError, ValidationError) as error:
        # Someone else took the identifier or the email since our check (the database's unique
        # indexes stopped us): say which, by field.
        _validate_onboarding(identifier=identifier, email=email)
        if isinstance(error, IntegrityError):
            raise ValidationError("Another request created this merchant or login at the same moment.") from None
        raise
    logger.info(
        "merchant %s onboarded by user %s with user %s", merchant.pk, getattr(created_by, "pk", None), user.pk
    )
    return merchant, user, issued


def _validate_onboarding(*, identifier: str, email: str) -> None:
    try:
        validate_identifier(identifier)
    except ValidationError as error:
        raise ValidationError({"identifier": error.error_list}) from None
    try:
        email_validate_unused(email)
    except ValidationError as error:
        raise ValidationError({"email": error.error_list}) from None


# --- sign-in links ---------------------------------------------------------------------------


def sign_in_link_issue(*, user, created_by) -> IssuedLink:
    """A fresh one-time link for a merchant's user; any older unused link stops working."""
    if sign_in_link_refusal_for_user(user) is not None:
        # Never a way into an account that is not a plain merchant's login: that would be a way to take it over.
        raise PermissionDenied("Sign-in links are only for merchants' users.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    User = get_user_model()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issuer at a time per user
        voided = SignInLink.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(
            voided_at=now
        )
        link = SignInLink.objects.create(
            user=user,
            token_hash=token_hash(token),
            created_by=created_by,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.SIGN_IN_LINK_TTL),
        )
    logger.info(
        "sign-in link %s issued for user %s by user %s; %d older link(s) voided",
        link.pk,
        user.pk,
        getattr(created_by, "pk", None),
        voided,
    )
    return IssuedLink(link=link, token=token)


def sign_in_link_redeem(*, link: SignInLink, password: str):
    """Set the user's password and spend the link, once: a double submit or a race gets SignInLinkUnusable."""
    User = get_user_model()
    user = User.objects.get(pk=link.user_id)  # as it is now, not as it was when the form opened
    if refusal := sign_in_link_refusal_for_user(user):
        logger.info("sign-in link %s refused on redeem: %s", link.pk, refusal)
        raise SignInLinkUnusable(refusal)
    user.set_password(password)  # hashing is slow: done before the transaction takes its locks
    now = timezone.now()
    with transaction.atomic():
        # The user's row locked, then its role checked again: a promotion committed while the
        # password was hashed is seen here, and one that starts now waits for us.
        User.objects.select_for_update().filter(pk=user.pk).first()
        user.refresh_from_db(fields=["is_active", "is_staff", "is_superuser"])
        if refusal := sign_in_link_refusal_for_user(user):
            logger.info("sign-in link %s refused on redeem: %s", link.pk, refusal)
            raise SignInLinkUnusable(refusal)
        # Conditions on the row alone (no join, no subquery), so that under concurrency the
        # database re-checks them on the row it locks: exactly one submit wins.
        claimed = SignInLink.objects.filter(
            pk=link.pk, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed:
            user.save(update_fields=["password"])
    if not claimed:
        link.refresh_from_db()
        state = sign_in_link_state(link, now=now)
        logger.info("sign-in link %s refused on redeem: %s", link.pk, state)
        raise SignInLinkUnusable(SignInLinkState.USED if state == SignInLinkState.USABLE else state)
    logger.info("sign-in link %s used by user %s to set a password", link.pk, user.pk)
    return user


# --- password reset by email -----------------------------------------------------------------


def password_reset_email_send(*, user_id: int, origin: str) -> int:
    """Email a merchant's login Django's password-reset link (its token made now, never stored)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or not user.has_usable_password():
        return 0
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})
    context = {
        "user": user,
        "reset_url": origin.rstrip("/") + path,
        "partner_name": settings.PARTNER_NAME,
        "valid_days": max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400)),
        "support_email": settings.SUPPORT_EMAIL,
        "support_url": settings.SUPPORT_URL,
    }
    subject = render_to_string("registration/password_reset_subject.txt", context).strip()
    body = render_to_string("registration/password_reset_email.txt", context)
    sent = EmailMultiAlternatives(subject, body, to=[user.email]).send()
    logger.info("password reset email sent to user %s", user.pk)  # never the link: it is a way in
    return sent


# --- more logins for a merchant, and sign-in links by email ------------------------------------


def merchant_login_add(*, merchant: Merchant, contact_name: str, email: str, created_by) -> tuple[object, IssuedLink]:
    """Another login for an existing merchant (no password yet) and its sign-in link: both or neither.

    The email address is unique across logins (it becomes the username): a ValidationError
    keyed by field says so, also when a concurrent request took it first.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    contact_name = contact_name.strip()
    if not contact_name:
        raise ValidationError({"contact_name": ValidationError("Enter the person’s name.", code="required")})
    def check_email():
        try:
            email_validate_unused(email)
        except ValidationError as error:
            raise ValidationError({"email": error.error_list}) from None

    check_email()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username_for_email(email), email=email, password=None, first_name=contact_name
            )
            Membership.objects.create(user=user, merchant=merchant)
            issued = sign_in_link_issue(user=user, created_by=created_by)
    except IntegrityError:
        check_email()  # someone took it since our check: say so
        raise
    logger.info("login %s added to merchant %s by user %s", user.pk, merchant.pk, getattr(created_by, "pk", None))
    return user, issued


def sign_in_link_email_send(*, user_id: int, created_by_id: int | None, origin: str) -> int:
    """Issue a new sign-in link and email it to the login: run by the task worker, so the token
    exists only in the email (never in the queue, a log or a page)."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse
    from urllib.parse import urlencode

    User = get_user_model()
    user = User.objects.filter(pk=user_id, is_active=True).select_related("membership__merchant").first()
    if user is None or not user.email:
        return 0
    issued = sign_in_link_issue(user=user, created_by=User.objects.filter(pk=created_by_id).first())
    context = {
        "user": user,
        "merchant": user.membership.merchant,
        "url": origin.rstrip("/") + reverse("sign_in:open") + "?" + urlencode({"token": issued.token}),
        "expires_at": issued.link.expires_at,
        "partner_name": settings.PARTNER_NAME,
    }
    subject = render_to_string("merchants/email/sign_in_link_subject.txt", context).strip()
    body = render_to_string("merchants/email/sign_in_link.txt", context)
    sent = EmailMultiAlternatives(subject, body, to=[user.email]).send()
    logger.info("sign-in link %s emailed to user %s", issued.link.pk, user.pk)  # never the link itself
    return sent
