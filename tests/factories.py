"""Factories for the rows tests need: merchants, their logins, POS staff, link attempts.

Plain functions with keyword defaults, so a test names only what it cares about.
"""

from __future__ import annotations

import importlib
import itertools
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.utils import timezone

from integrations.models import LinkAttempt
from merchants.models import Membership, Merchant
from merchants.services import merchant_create
from staff import roles

MERCHANT_PASSWORD = "correct horse battery staple"
STAFF_PASSWORD = "staff-pass-Lantern-91"
_numbers = itertools.count(1)
_pos_staff_migration = importlib.import_module("staff.migrations.0002_pos_staff_group")
_request_sync_migration = importlib.import_module("staff.migrations.0003_request_sync")
_change_connection_migration = importlib.import_module("staff.migrations.0004_change_merchant_connection")


def make_merchant(*, identifier: str | None = None, name: str | None = None, username: str | None = None,
                  password: str | None = MERCHANT_PASSWORD, email: str = "", **fields) -> tuple[Merchant, object]:
    """A merchant and its first login (``password=None``: none set yet, as onboarding leaves it)."""
    n = next(_numbers)
    return merchant_create(
        identifier=identifier or f"Merchant #{n}",
        name=name or f"Merchant {n}",
        username=username or f"merchant{n}",
        password=password,
        email=email,
        **fields,
    )


def make_login(merchant: Merchant, *, username: str | None = None, password: str | None = MERCHANT_PASSWORD,
               email: str = "", **fields):
    """Another login for an existing merchant."""
    user = get_user_model().objects.create_user(
        username=username or f"login{next(_numbers)}", password=password, email=email, **fields
    )
    Membership.objects.create(user=user, merchant=merchant)
    return user


def ensure_pos_staff_group() -> Group:
    """What the data migrations do; transactional tests flush the database, so they need it again."""
    editor = SimpleNamespace(connection=connection)
    _pos_staff_migration.create_group(apps, editor)
    _request_sync_migration.grant(apps, editor)
    _change_connection_migration.grant(apps, editor)
    return Group.objects.get(name=roles.POS_STAFF_GROUP)


def make_staff(username="sam", *, first_name="Sam", last_name="Okafor", group=True, permissions=()):
    """A POS staff member (in the group unless ``group=False``), with any extra ``app.codename`` permissions."""
    user = get_user_model().objects.create_user(
        username=username, password=STAFF_PASSWORD, first_name=first_name, last_name=last_name
    )
    if group:
        user.groups.add(ensure_pos_staff_group())
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def make_link_attempt(merchant: Merchant, *, platform_key="gbol", platform_name="Xero", outcome="redirected",
                      started_at=None, **fields) -> LinkAttempt:
    return LinkAttempt.objects.create(
        merchant=merchant,
        platform_key=platform_key,
        platform_name=platform_name,
        outcome=outcome,
        started_at=started_at or timezone.now(),
        **fields,
    )
