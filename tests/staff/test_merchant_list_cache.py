"""Staff's merchant list kept rendered in the shared cache (staff.list_cache): a repeat view reads no
merchant, and the next view after any change to what the list shows is built afresh."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import ConnectionSnapshot, LinkAttempt
from merchants.models import Merchant
from tests.factories import make_link_attempt, make_staff
from tests.staff.test_merchant_list import merchant, rows, snapshot

pytestmark = pytest.mark.django_db(transaction=True)  # writes commit, and drop the token, as in production


@pytest.fixture(autouse=True)
def shared_cache(settings):
    settings.SHARED_CACHE = True  # the tests' local-memory cache is one process's: shared enough here


def merchant_queries(client, path="/staff/") -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return sum('FROM "merchants_merchant"' in q["sql"] for q in captured.captured_queries), response


def test_a_repeat_view_reads_no_merchant(staff_client):
    merchant("Bean & Leaf")
    assert merchant_queries(staff_client)[0] == 2  # the count and the page
    count, response = merchant_queries(staff_client)
    assert count == 0 and rows(response) == [("Bean & Leaf", "Never started")]


def test_each_query_string_is_its_own_page(staff_client):
    merchant("Alpha")
    merchant("Beta")
    assert [name for name, _ in rows(staff_client.get("/staff/?sort=name"))] == ["Alpha", "Beta"]
    assert [name for name, _ in rows(staff_client.get("/staff/?sort=-name"))] == ["Beta", "Alpha"]
    assert [name for name, _ in rows(staff_client.get("/staff/?sort=name&q=bet"))] == ["Beta"]


def test_a_merchant_onboarded_or_renamed_shows_at_once(staff_client):
    alpha = merchant("Alpha")
    staff_client.get("/staff/")
    merchant("Beta")
    assert [name for name, _ in rows(staff_client.get("/staff/"))] == ["Alpha", "Beta"]
    alpha.name = "Aardvark"
    alpha.save()
    assert [name for name, _ in rows(staff_client.get("/staff/"))] == ["Aardvark", "Beta"]


def test_a_snapshot_refresh_written_by_update_shows_at_once(staff_client):
    bean = merchant("Bean & Leaf")
    snapshot(bean, "not_finished")
    assert rows(staff_client.get("/staff/")) == [("Bean & Leaf", "Not finished")]
    ConnectionSnapshot.objects.filter(pk=bean.pk).update(status="linked")  # as connection_refresh writes
    assert rows(staff_client.get("/staff/")) == [("Bean & Leaf", "Linked")]


def test_a_link_attempt_started_and_finished_shows_at_once(staff_client):
    bean = merchant("Bean & Leaf")
    assert "No connection attempts yet" in staff_client.get("/staff/").content.decode()
    attempt = make_link_attempt(bean, outcome="pending")
    assert "In progress" in staff_client.get("/staff/").content.decode()
    LinkAttempt.objects.filter(pk=attempt.pk).update(outcome="failed", failure_reason="timeout",
                                                     finished_at=timezone.now())
    assert "Failed: Codat timed out" in staff_client.get("/staff/").content.decode()
    Merchant.objects.filter(pk=bean.pk).delete()
    assert "No merchants yet" in staff_client.get("/staff/").content.decode()


def test_what_one_staff_member_may_do_never_shows_on_anothers_copy(client):
    onboarder = make_staff("olu")  # the POS staff group onboards
    viewer = make_staff("val", group=False, permissions=["staff.view_merchant_status"])
    client.force_login(onboarder)
    assert "Onboard the first one" in client.get("/staff/").content.decode()
    client.force_login(viewer)
    assert "Onboard the first one" not in client.get("/staff/").content.decode()


def test_the_whole_page_is_kept_for_each_viewer_and_names_them(staff_client, client):
    from commerce_portal import kept_pages

    kept_pages.forget_all()
    merchant("Bean & Leaf")
    staff_client.get("/staff/")
    response = staff_client.get("/staff/")
    assert not response.templates and "Sam Okafor" in response.content.decode()  # kept: nothing rendered
    client.force_login(make_staff("kim", first_name="Kim", last_name="Lee"))
    response = client.get("/staff/")
    assert response.templates and "Kim Lee" in response.content.decode() and "Sam Okafor" not in response.content.decode()
    merchant("Chai Stop")  # a change to the list: every viewer's page is built afresh
    response = staff_client.get("/staff/")
    assert response.templates and [name for name, _ in rows(response)] == ["Bean & Leaf", "Chai Stop"]
