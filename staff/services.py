"""Writes for the POS provider's own people: POS staff logins, and operators' logins to the admin.

A POS staff login is exactly what the staff area checks for (staff.views.check_staff): membership of
the "POS staff" group, no admin access, no merchant. An operator's is an admin login (``is_staff``) in
the "Operators" group, which holds what the admin's operator pages ask for and nothing more (no
superuser: they cannot grant themselves anything).
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from merchants.services import email_validate_unused, username_for_email

from . import roles

logger = logging.getLogger(__name__)

OPERATORS_GROUP = "Operators"
OPERATOR_PERMISSIONS = [
    # The branding cache (refresh, evict, "Refresh all"), the Sync Flow's settings, webhook reprocessing.
    "integrations.refresh_branding",
    "integrations.change_sync_flow_settings",
    "integrations.reprocess_webhookevent",
    # What they read in the admin; all of it is read-only there anyway.
    "integrations.view_integration",
    "integrations.view_linkattempt",
    "integrations.view_syncrequest",
    "integrations.view_connectionchange",
    "integrations.view_webhookevent",
    "integrations.view_syncflowchange",
    "merchants.view_merchant",
    "merchants.view_membership",
    "merchants.view_signinlink",
    # Unlocking a login locked by failed attempts is deleting its access attempt (README).
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
]


def operators_group_ensure() -> Group:
    """The "Operators" group, holding at least OPERATOR_PERMISSIONS. Idempotent.

    Permissions are only ever added: ones an administrator gave the group on top are kept.
    """
    wanted = Q()
    for name in OPERATOR_PERMISSIONS:
        app_label, codename = name.split(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.filter(wanted).select_related("content_type"))
    missing = set(OPERATOR_PERMISSIONS) - {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
    if missing:
        # Created by post_migrate: their absence means the database was never fully migrated.
        raise ValidationError(
            f"The permissions {', '.join(sorted(missing))} do not exist yet: run `manage.py migrate` first.",
            code="missing_permissions",
        )
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    group.permissions.add(*permissions)
    return group


def staff_user_create(*, email: str, name: str, password: str, operator: bool = False):
    """A POS staff login, or with ``operator=True`` an operator's admin login; its username is the email.

    Raises ValidationError, having created nothing, for a malformed or already used email address
    (one login per address, compared case-insensitively) or a missing name.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    name = name.strip()
    validate_email(email)
    if not name:
        raise ValidationError("Enter the person's name.", code="required")
    limit = User._meta.get_field("first_name").max_length
    if len(name) > limit:
        raise ValidationError(f"Use at most {limit} characters for the name.", code="max_length")
    email_validate_unused(email)
    try:
        with transaction.atomic():
            group = operators_group_ensure() if operator else _pos_staff_group()
            user = User.objects.create_user(
                username=username_for_email(email),
                email=email,
                password=password,
                first_name=name,  # the whole name: not every name splits into first and last
                is_staff=operator,  # the admin's own gate; POS staff never pass it
            )
            user.groups.add(group)
    except IntegrityError:
        # Someone took the address since our check (the unique index on lower(email) stopped us).
        email_validate_unused(email)
        raise
    logger.info("%s login %s created", "operator" if operator else "POS staff", user.pk)
    return user


def _pos_staff_group() -> Group:
    try:
        return Group.objects.get(name=roles.POS_STAFF_GROUP)
    except Group.DoesNotExist:
        raise ValidationError(
            f"The “{roles.POS_STAFF_GROUP}” group does not exist: the staff app's migrations create it "
            "(`manage.py migrate`); if it was deleted, add it back in the admin with its permissions.",
            code="missing_group",
        ) from None
