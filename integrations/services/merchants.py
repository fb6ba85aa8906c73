"""Creating merchants and their users."""

from __future__ import annotations

import secrets
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Membership, Merchant

IDENTIFIER_MAX_LENGTH = 100


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


def merchant_for_user(user) -> Merchant | None:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return membership.merchant if membership else None
