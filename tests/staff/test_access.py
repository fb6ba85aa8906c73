"""Who may reach the staff area: the POS staff role only; merchants never; anonymous visitors log in first."""

import pytest
from django.contrib.auth.models import Group, Permission

from staff import roles
from tests.factories import _pos_staff_migration as pos_staff_migration
from tests.factories import _request_sync_migration as request_sync_migration
from tests.factories import ensure_pos_staff_group, make_merchant, make_staff

pytestmark = pytest.mark.django_db

FIRST_PERMISSIONS = {  # staff 0002
    "staff.view_merchant_status",
    "staff.onboard_merchant",
    "staff.assist_linking",
    "merchants.view_merchant",
    "integrations.view_linkattempt",
}
GROUP_PERMISSIONS = FIRST_PERMISSIONS | {"staff.request_sync", "staff.change_merchant_connection"}  # staff 0003, 0004


def staff_urls(merchant, user):
    base = f"/staff/merchants/{merchant.pk}"
    return [
        ("get", "/staff/"),
        ("get", "/staff/merchants/new/"),
        ("post", "/staff/merchants/new/"),
        ("get", f"{base}/"),
        ("post", f"{base}/logins/{user.pk}/sign-in-link/"),
        ("get", f"{base}/link/"),
        ("post", f"{base}/link/start/"),
        ("get", f"{base}/link/return/"),
        ("post", f"{base}/refresh/"),
        ("get", f"{base}/sync/"),
        ("post", f"{base}/sync/"),
        ("get", f"{base}/sync/range/"),
        ("post", f"{base}/sync/range/"),
        ("get", f"{base}/connection/disconnect/"),
        ("post", f"{base}/connection/disconnect/confirm/"),
        ("get", f"{base}/connection/switch/"),
        ("post", f"{base}/connection/switch/confirm/"),
    ]


def group_permissions() -> set[str]:
    group = Group.objects.get(name=roles.POS_STAFF_GROUP)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_created_the_pos_staff_group_with_its_permissions():
    assert group_permissions() == GROUP_PERMISSIONS


def test_the_change_connection_migration_grants_and_revokes_only_its_permission():
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from tests.factories import _change_connection_migration as migration

    editor = SimpleNamespace(connection=connection)
    migration.revoke(apps, editor)
    assert group_permissions() == GROUP_PERMISSIONS - {roles.CHANGE_CONNECTION}
    assert Permission.objects.filter(codename="change_merchant_connection").exists()  # the model's, kept
    migration.grant(apps, editor)
    migration.grant(apps, editor)
    assert group_permissions() == GROUP_PERMISSIONS


def test_the_group_migration_is_idempotent_and_reversible():
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    editor = SimpleNamespace(connection=connection)
    permissions_before = Permission.objects.count()
    pos_staff_migration.create_group(apps, editor)
    pos_staff_migration.create_group(apps, editor)
    assert Group.objects.filter(name=roles.POS_STAFF_GROUP).count() == 1
    assert group_permissions() == GROUP_PERMISSIONS
    assert Permission.objects.count() == permissions_before

    pos_staff_migration.delete_group(apps, editor)
    assert not Group.objects.filter(name=roles.POS_STAFF_GROUP).exists()
    assert Permission.objects.count() == permissions_before  # the permissions belong to their models
    pos_staff_migration.create_group(apps, editor)
    assert group_permissions() == FIRST_PERMISSIONS


def test_the_request_sync_migration_grants_and_takes_back_only_its_permission():
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    editor = SimpleNamespace(connection=connection)
    permissions_before = Permission.objects.count()
    request_sync_migration.revoke(apps, editor)
    assert group_permissions() == GROUP_PERMISSIONS - {"staff.request_sync"}
    request_sync_migration.grant(apps, editor)
    request_sync_migration.grant(apps, editor)
    assert group_permissions() == GROUP_PERMISSIONS
    assert Permission.objects.count() == permissions_before
    # on a database where the group is gone, it makes the group rather than fail
    Group.objects.filter(name=roles.POS_STAFF_GROUP).delete()
    request_sync_migration.grant(apps, editor)
    assert group_permissions() == {"staff.request_sync"}


def test_anonymous_visitors_are_sent_to_log_in_from_every_staff_url(client, merchant_and_user):
    for method, url in staff_urls(*merchant_and_user):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=/staff/"), url


def test_merchants_get_403_on_every_staff_url(merchant_client, merchant_and_user):
    for method, url in staff_urls(*merchant_and_user):
        response = getattr(merchant_client, method)(url)
        assert response.status_code == 403, url
        assert "You don’t have access to this page" in response.content.decode()


def test_a_merchant_login_put_in_the_staff_group_still_gets_403(client, merchant_and_user):
    merchant, user = merchant_and_user
    user.groups.add(ensure_pos_staff_group())
    client.force_login(user)
    assert user.has_perm(roles.VIEW_MERCHANTS)
    for method, url in staff_urls(merchant, user):
        assert getattr(client, method)(url).status_code == 403, url


def test_a_login_without_the_staff_role_gets_403(client, merchant_and_user):
    client.force_login(make_staff("nobody", group=False))
    for method, url in staff_urls(*merchant_and_user):
        assert getattr(client, method)(url).status_code == 403, url


def test_each_action_needs_its_own_permission(client, merchant_and_user, warm_cache):
    # warm_cache: a cold picker fetches the catalogue in a thread, which commits outside this test's transaction
    merchant, user = merchant_and_user
    viewer = make_staff("viewer", group=False, permissions=[roles.VIEW_MERCHANTS])
    client.force_login(viewer)
    assert client.get("/staff/").status_code == 200
    assert client.get(f"/staff/merchants/{merchant.pk}/").status_code == 200
    assert client.get("/staff/merchants/new/").status_code == 403
    assert client.post(f"/staff/merchants/{merchant.pk}/logins/{user.pk}/sign-in-link/").status_code == 403
    assert client.get(f"/staff/merchants/{merchant.pk}/link/").status_code == 403
    assert client.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"}).status_code == 403
    for change in ("disconnect", "switch"):
        assert client.get(f"/staff/merchants/{merchant.pk}/connection/{change}/").status_code == 403
        assert client.post(f"/staff/merchants/{merchant.pk}/connection/{change}/confirm/").status_code == 403
    # assisting with linking is not changing a connection
    client.force_login(make_staff("linker", group=False, permissions=[roles.VIEW_MERCHANTS, roles.ASSIST_LINKING]))
    assert client.get(f"/staff/merchants/{merchant.pk}/link/").status_code == 200
    assert client.get(f"/staff/merchants/{merchant.pk}/connection/disconnect/").status_code == 403
    # a bare action permission without the staff role opens nothing
    client.force_login(make_staff("helper", group=False, permissions=[roles.ASSIST_LINKING, roles.CHANGE_CONNECTION]))
    assert client.get(f"/staff/merchants/{merchant.pk}/link/").status_code == 403
    assert client.get(f"/staff/merchants/{merchant.pk}/connection/switch/").status_code == 403


def test_the_detail_page_offers_only_what_the_staff_member_may_do(client, merchant):
    client.force_login(make_staff("viewer", group=False, permissions=[roles.VIEW_MERCHANTS]))
    html = client.get(f"/staff/merchants/{merchant.pk}/").content.decode()
    assert "Connect on their behalf" not in html and "Issue a new sign-in link" not in html
    assert "Onboard a merchant" not in client.get("/staff/").content.decode()
    client.force_login(make_staff("full"))
    html = client.get(f"/staff/merchants/{merchant.pk}/").content.decode()
    assert "Connect on their behalf" in html and "Issue a new sign-in link" in html


def test_unknown_merchants_and_other_merchants_logins_are_404(staff_client, merchant_and_user):
    merchant, user = merchant_and_user
    other, other_user = make_merchant()
    assert staff_client.get("/staff/merchants/999999/").status_code == 404
    assert staff_client.get("/staff/merchants/999999/link/").status_code == 404
    # staff act only within the merchant in the URL
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/logins/{other_user.pk}/sign-in-link/")
    assert response.status_code == 404
    assert not other_user.sign_in_links.exists()


def test_staff_landing_on_the_merchant_page_are_sent_to_the_staff_area(staff_client):
    response = staff_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/staff/"


def test_the_staff_nav_link_shows_for_staff_only(staff_client, client, merchant_and_user, warm_cache):
    assert '<a href="/staff/">Staff</a>' in staff_client.get("/staff/").content.decode()
    client.force_login(merchant_and_user[1])
    html = client.get("/").content.decode()
    assert "Connect your accounting software" in html and '<a href="/staff/">Staff</a>' not in html


def test_staff_pages_are_never_cached(staff_client, merchant):
    for url in ["/staff/", "/staff/merchants/new/", f"/staff/merchants/{merchant.pk}/"]:
        assert "no-store" in staff_client.get(url)["Cache-Control"], url
