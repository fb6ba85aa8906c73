"""Staff fixtures; the browser fixtures live in tests/browser.py."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from staff import roles

STAFF_PASSWORD = "staff-pass-Lantern-91"
pos_staff_migration = importlib.import_module("staff.migrations.0002_pos_staff_group")


def ensure_pos_staff_group() -> Group:
    """What the data migration does; transactional tests flush the database, so they need it again."""
    pos_staff_migration.create_group(apps, SimpleNamespace(connection=connection))
    return Group.objects.get(name=roles.POS_STAFF_GROUP)


def make_staff(username="sam", *, first_name="Sam", last_name="Okafor", group=True, permissions=()):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(
        username=username, password=STAFF_PASSWORD, first_name=first_name, last_name=last_name
    )
    if group:
        user.groups.add(ensure_pos_staff_group())
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


@pytest.fixture
def staff_user(db):
    return make_staff()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
