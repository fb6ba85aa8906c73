"""Logins kept in the shared cache (integrations.login_cache): a warm page reads no login from the
database, and every write to what the entry holds is seen on the next request, in any process."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations import login_cache
from integrations.models import CompanyBinding, ConnectionSnapshot
from merchants.models import Membership
from tests.factories import ensure_pos_staff_group, make_staff

# Writes commit as they happen (autocommit), so the tokens are dropped at once, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def shared_cache(settings):
    settings.SHARED_CACHE = True  # the tests' local-memory cache is one process's: shared enough here


def login_queries(client, path) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return sum('FROM "auth_user"' in q["sql"] for q in captured.captured_queries), response


def test_the_second_page_reads_the_login_from_the_cache(merchant_client, warm_cache):
    assert login_queries(merchant_client, "/")[0] == 1
    count, response = login_queries(merchant_client, "/")
    assert count == 0 and response.status_code == 200
    assert "Bean &amp; Leaf" in response.content.decode()


def test_without_a_shared_cache_every_page_reads_the_login(merchant_client, warm_cache, settings):
    settings.SHARED_CACHE = False  # per-process caches: a write in one worker could not reach the others
    merchant_client.get("/")
    assert login_queries(merchant_client, "/")[0] == 1


def test_a_password_changed_elsewhere_signs_the_old_session_out(merchant_client, merchant_and_user, warm_cache):
    merchant_client.get("/")  # the entry is warm
    _, user = merchant_and_user
    user.set_password("a new password, set on another device")
    user.save()
    response = merchant_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_login_moved_off_its_merchant_loses_the_merchant_pages(merchant_client, merchant_and_user, warm_cache):
    merchant_client.get("/")
    Membership.objects.filter(user=merchant_and_user[1]).get().delete()
    assert merchant_client.get("/").status_code == 403


def test_a_renamed_merchant_shows_its_new_name(merchant_client, merchant, warm_cache):
    merchant_client.get("/")
    merchant.name = "Bean & Leaf Roasters"
    merchant.save()
    assert "Bean &amp; Leaf Roasters" in merchant_client.get("/").content.decode()


def test_a_snapshot_written_by_update_is_seen_on_the_next_page(merchant_client, merchant, warm_cache):
    CompanyBinding.objects.create(merchant=merchant, company_id="c-1", bound_at=timezone.now())
    ConnectionSnapshot.objects.create(merchant=merchant, company_id="c-1", fetched_at=timezone.now(),
                                      expires_at=timezone.now() + timezone.timedelta(hours=1))
    assert "stopped working" not in merchant_client.get("/").content.decode()
    # The services write snapshots with UPDATE, never save(): the queryset tells the cache.
    assert ConnectionSnapshot.objects.filter(pk=merchant.pk).update(alert="connection.disconnected",
                                                                    alert_at=timezone.now()) == 1
    assert "stopped working" in merchant_client.get("/").content.decode()


def test_a_permission_given_to_the_group_reaches_its_members_at_once(client, warm_cache):
    staff = make_staff(group=False)
    client.force_login(staff)
    assert client.get("/staff/").status_code == 403  # the entry is warm, with no permissions
    staff.groups.add(ensure_pos_staff_group())
    assert client.get("/staff/").status_code == 200
    ensure_pos_staff_group().permissions.remove(Permission.objects.get(codename="view_merchant_status"))
    assert client.get("/staff/").status_code == 403


def test_a_member_taken_out_of_a_group_from_the_groups_side_loses_its_permissions(client, warm_cache):
    staff = make_staff()
    client.force_login(staff)
    assert client.get("/staff/").status_code == 200
    ensure_pos_staff_group().user_set.clear()  # names no one: who was in it is read first
    assert client.get("/staff/").status_code == 403


def test_an_entry_built_from_a_row_read_before_a_write_is_never_served(merchant_and_user):
    """The race a delete-then-set cache loses: a reader loads the old row, a write commits and drops
    the token, then the reader stores what it loaded. Its entry carries the old token."""
    _, user = merchant_and_user
    loads = []

    def load_then_write_lands():
        loads.append(1)
        old = type(user).objects.get(pk=user.pk)
        if len(loads) == 1:
            login_cache.logins_changed([user.pk])  # a write commits while this reader holds the old row
        return old

    login_cache.cached_login(user.pk, load_then_write_lands)
    login_cache.cached_login(user.pk, load_then_write_lands)
    assert len(loads) == 2  # the stale entry was not served: the second reader loaded again
    login_cache.cached_login(user.pk, load_then_write_lands)
    assert len(loads) == 2  # and its entry, made under the new token, is
