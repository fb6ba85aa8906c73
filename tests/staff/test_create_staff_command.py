"""``manage.py create_staff``: a POS staff login (the staff area, never the admin), or an operator (the admin)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client

from staff import roles
from staff.services import OPERATOR_PERMISSIONS, OPERATORS_GROUP
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db


def create_staff(*args) -> tuple[str, str]:
    """(username, password) from what the command printed."""
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    username = text.split("Password for ")[1].split(" (shown once)")[0]
    return username, text.split("(shown once): ")[1].split()[0]


def logged_in(path: str, username: str, password: str) -> Client:
    """A client logged in through the real log-in page at ``path`` (django-axes included)."""
    client = Client()
    response = client.post(path, {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_a_pos_staff_user_logs_in_with_the_printed_password_and_works_under_staff_only():
    out = io.StringIO()
    call_command("create_staff", "Sam.Okafor@Example.com", "--name", "Sam Okafor", stdout=out)
    text = out.getvalue()
    assert "Created POS staff user sam.okafor@example.com (Sam Okafor)" in text and "/staff/" in text
    password = text.split("(shown once): ")[1].split()[0]
    assert len(password) >= 20

    user = get_user_model().objects.get(username="sam.okafor@example.com")
    assert user.email == "Sam.Okafor@example.com" and user.first_name == "Sam Okafor"
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [roles.POS_STAFF_GROUP]
    assert user.has_perm(roles.VIEW_MERCHANTS) and user.has_perm(roles.REQUEST_SYNC)

    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": password}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/" and response.status_code == 200
    assert client.get("/staff/").status_code == 200
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    refused = Client().post("/admin/login/", {"username": user.username, "password": password})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.wsgi_request.session


def test_an_operator_opens_the_admin_and_the_branding_cache_and_may_refresh_it():
    username, password = create_staff("ops@example.com", "--name", "Olu Operator", "--operator")
    user = get_user_model().objects.get(username=username)
    assert username == "ops@example.com" and user.is_staff and not user.is_superuser
    for permission in OPERATOR_PERMISSIONS:
        assert user.has_perm(permission), permission

    client = logged_in("/admin/login/", username, password)
    assert client.get("/admin/").status_code == 200
    changelist = client.get("/admin/integrations/integration/")
    assert changelist.status_code == 200 and "Refresh all" in changelist.content.decode()
    for path in ["/admin/integrations/webhookevent/", "/admin/merchants/merchant/", "/admin/integrations/syncflowchange/"]:
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/auth/user/").status_code == 403  # no say over logins and permissions
    assert client.get("/staff/").status_code == 403  # an operator is not POS staff


def test_the_operators_group_is_made_once_and_keeps_what_was_added_to_it():
    create_staff("one@example.com", "--name", "One", "--operator")
    group = Group.objects.get(name=OPERATORS_GROUP)
    extra = group.permissions.model.objects.get(codename="view_dbtaskresult")
    group.permissions.add(extra)
    group.permissions.remove(group.permissions.get(codename="refresh_branding"))

    create_staff("two@example.com", "--name", "Two", "--operator")
    assert Group.objects.filter(name=OPERATORS_GROUP).count() == 1
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert "refresh_branding" in codenames and "view_dbtaskresult" in codenames


@pytest.mark.parametrize(
    "email, message",
    [
        ("not-an-email", "Enter a valid email address"),
        ("two@@example.com", "Enter a valid email address"),
        ("", "Enter a valid email address"),
        ("sam@example.com", "A login with this email address already exists"),
        ("SAM@EXAMPLE.COM", "A login with this email address already exists"),
        ("bean@example.com", "A login with this email address already exists"),  # a merchant's login
    ],
)
@pytest.mark.parametrize("operator", [False, True])
def test_malformed_and_used_addresses_are_refused_and_nothing_is_created(email, message, operator):
    create_staff("sam@example.com", "--name", "Sam")
    make_merchant(username="bean", email="bean@example.com")
    users, groups = get_user_model().objects.count(), Group.objects.count()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("create_staff", email, "--name", "Someone", *(["--operator"] if operator else []), stdout=out, stderr=err)
    assert "shown once" not in out.getvalue()
    assert (get_user_model().objects.count(), Group.objects.count()) == (users, groups)


def test_a_name_is_required():
    with pytest.raises(CommandError, match="Enter the person's name"):
        call_command("create_staff", "sam@example.com", "--name", "  ", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--name"):
        call_command("create_staff", "sam@example.com", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def test_a_missing_pos_staff_group_is_explained_not_recreated_half_way():
    Group.objects.filter(name=roles.POS_STAFF_GROUP).delete()
    with pytest.raises(CommandError, match="“POS staff” group does not exist"):
        call_command("create_staff", "sam@example.com", "--name", "Sam", stdout=io.StringIO())
    assert not get_user_model().objects.exists()
