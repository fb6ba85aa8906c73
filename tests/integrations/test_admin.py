"""Operators manage the branding cache in the admin; link attempts are read-only history."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from integrations.models import Integration, Logo
from tests.factories import make_link_attempt

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/integrations/integration/"


def staff_user(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def operator(client, django_user_model):
    client.force_login(staff_user(django_user_model, "operator", "view_integration", "refresh_branding"))
    return client


@pytest.fixture
def viewer(client, django_user_model):
    client.force_login(staff_user(django_user_model, "viewer", "view_integration"))
    return client


def test_branding_cache_page_shows_thumbnails_dates_and_status(operator, warm_cache):
    Integration.objects.filter(pk="gbol").update(branding_error="square logo: too big", branding_error_at=timezone.now())
    html = operator.get(CHANGELIST).content.decode()
    logo = Logo.objects.get(integration_id="gbol", variant="square")
    assert f'<img src="/logos/{logo.digest}.png" alt="xero square icon" height="32">' in html
    assert "<h1>Branding cache</h1>" in html
    assert "Fresh (with errors)" not in html
    assert "Serving the copy from " in html and "; last refresh failed " in html and ": square logo: too big" in html
    assert "Refresh all from Codat" in html
    assert 'value="refresh_selected"' in html and 'value="evict_selected"' in html


def test_refresh_action_fetches_from_codat(operator, warm_cache):
    response = operator.post(CHANGELIST, {"action": "refresh_selected", "_selected_action": ["gbol", "qhyg"]}, follow=True)
    assert "Refreshed branding for 2 integration(s)." in response.content.decode()
    assert warm_cache.branding_calls == 2


def test_refresh_action_reports_codat_failure(operator, warm_cache, sandbox_faults):
    sandbox_faults.inject("get-integration-branding", status=503)
    response = operator.post(CHANGELIST, {"action": "refresh_selected", "_selected_action": ["gbol"]}, follow=True)
    assert "Could not refresh gbol: Codat get-integration-branding failed with HTTP 503" in response.content.decode()


def test_evict_action_forgets_branding_and_logos(operator, warm_cache):
    response = operator.post(CHANGELIST, {"action": "evict_selected", "_selected_action": ["gbol"]}, follow=True)
    assert "Evicted branding for 1 integration(s)." in response.content.decode()
    xero = Integration.objects.get(pk="gbol")
    assert xero.branding is None and xero.branding_fetched_at is None
    assert not Logo.objects.filter(integration_id="gbol").exists()


@pytest.mark.django_db(transaction=True)  # the worker manages its own database connections
def test_refresh_all_runs_on_the_task_queue(operator, warm_cache):
    from django_tasks_db.models import DBTaskResult

    from tests.webhook_helpers import run_tasks

    response = operator.post(f"{CHANGELIST}refresh-all/", follow=True)
    assert "Refresh all: queued" in response.content.decode()
    assert warm_cache.total == 0  # the request itself waited on nothing
    operator.post(f"{CHANGELIST}refresh-all/")  # a second click while queued queues nothing more
    assert DBTaskResult.objects.count() == 1
    run_tasks()  # the real worker
    assert warm_cache.branding_calls == 14 and warm_cache.count("/config/integrations") == 15
    (result,) = DBTaskResult.objects.all()
    assert result.status == "SUCCESSFUL" and result.return_value["summary"] == "14 refreshed, 0 kept, 0 failed"
    html = operator.get(CHANGELIST).content.decode()
    assert "Refresh all finished</strong>" in html and "14 refreshed, 0 kept, 0 failed." in html


@pytest.mark.django_db(transaction=True)
def test_refresh_all_tells_the_truth_when_everything_fails(operator, warm_cache, sandbox_faults):
    from tests.webhook_helpers import run_tasks

    sandbox_faults.inject("get-integration-branding", status=503)
    operator.post(f"{CHANGELIST}refresh-all/")
    run_tasks()
    html = operator.get(CHANGELIST).content.decode()
    assert "Refreshed 0" not in html and "Refresh all finished</strong>" not in html
    assert "Refresh all finished with failures</strong>" in html and "0 refreshed, 0 kept, 14 failed." in html
    assert "<strong>aiwb</strong>: Codat get-integration-branding failed with HTTP 503" in html
    assert "and 9 more: each one’s error is in the Status column below." in html
    assert "refresh-all--failures" in html


def test_refresh_all_shows_progress_while_running(operator, warm_cache):
    from django_tasks_db.models import DBTaskResult

    operator.post(f"{CHANGELIST}refresh-all/")
    started = timezone.now()
    DBTaskResult.objects.update(status="RUNNING", started_at=started)  # as the worker marks it when it starts
    Integration.objects.filter(pk__in=["gbol", "qhyg", "pbbf"]).update(branding_fetched_at=timezone.now())
    html = operator.get(CHANGELIST).content.decode()
    assert "Refresh all: running</strong>" in html and "3 of 14 platforms done" in html
    assert 'disabled aria-describedby="refresh-all-status"' in html


def test_the_admin_index_and_the_entry_page_name_the_branding_cache(operator, warm_cache):
    long_error = "Codat get-integration-branding failed with HTTP 503: " + "x" * 300 + " THE-END"
    Integration.objects.filter(pk="gbol").update(branding_error=long_error, branding_error_at=timezone.now())
    assert ">Branding cache</a>" in operator.get("/admin/").content.decode()
    listing = operator.get(CHANGELIST).content.decode()
    assert "THE-END" not in listing and "…" in listing
    assert "THE-END" in operator.get(f"{CHANGELIST}gbol/change/").content.decode()


def test_without_the_permission_there_are_no_actions_and_refresh_all_is_403(viewer, warm_cache):
    html = viewer.get(CHANGELIST).content.decode()
    assert "Refresh all from Codat" not in html and "refresh_selected" not in html
    assert viewer.post(f"{CHANGELIST}refresh-all/").status_code == 403
    viewer.post(CHANGELIST, {"action": "evict_selected", "_selected_action": ["gbol"]})
    assert Logo.objects.filter(integration_id="gbol").exists()
    assert warm_cache.total == 0


def test_merchants_cannot_reach_the_admin(merchant_client):
    assert merchant_client.get(CHANGELIST).status_code == 302


def test_link_attempts_are_read_only(client, django_user_model, merchant):
    client.force_login(staff_user(django_user_model, "auditor", "view_linkattempt", "change_linkattempt", "delete_linkattempt", "add_linkattempt"))
    attempt = make_link_attempt(merchant, outcome="failed", failure_reason="timeout", correlation_id="abc123")
    assert "abc123" in client.get(f"/admin/integrations/linkattempt/{attempt.pk}/change/").content.decode()
    listing = client.get("/admin/integrations/linkattempt/").content.decode()
    assert "abc123" in listing and attempt.platform_name in listing
    assert f"?platform_name={attempt.platform_name}" in listing.replace("+", " ") or "platform_name=" in listing
    assert client.get("/admin/integrations/linkattempt/add/").status_code == 403
    assert client.post(f"/admin/integrations/linkattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    # Refused outright: an editable admin would answer this incomplete form with 200 and errors.
    assert client.post(f"/admin/integrations/linkattempt/{attempt.pk}/change/", {"outcome": "redirected"}).status_code == 403
    attempt.refresh_from_db()
    assert attempt.outcome == "failed"


def test_sync_requests_are_read_only_history(client, django_user_model, merchant):
    import uuid

    from integrations.models import SyncRequest

    client.force_login(staff_user(django_user_model, "auditor", "view_syncrequest", "change_syncrequest", "delete_syncrequest", "add_syncrequest"))
    sent = SyncRequest.objects.create(
        token=uuid.uuid4(), merchant=merchant, company_id="c-1", kind="date_range", requested_at=timezone.now(),
        outcome="failed", http_status=503, correlation_id="bc997528a9d7abb9161ef45f05d38599", error="Codat request-sync failed",
    )
    listing = client.get("/admin/integrations/syncrequest/?q=bc997528").content.decode()
    assert "bc997528a9d7abb9161ef45f05d38599" in listing and "Sync a date range" in listing
    assert client.get(f"/admin/integrations/syncrequest/{sent.pk}/change/").status_code == 200
    assert client.get("/admin/integrations/syncrequest/add/").status_code == 403
    assert client.post(f"/admin/integrations/syncrequest/{sent.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/integrations/syncrequest/{sent.pk}/change/", {"outcome": "accepted"})
    sent.refresh_from_db()
    assert sent.outcome == "failed"


def test_refresh_action_reports_a_decompression_bomb_instead_of_a_500(operator, warm_cache, sandbox_faults):
    from tests.integrations.test_logos import HUGE_GIF

    sandbox_faults.inject("branding-image", status=200, content_type="image/gif", body=HUGE_GIF.decode("ascii"))
    response = operator.post(CHANGELIST, {"action": "refresh_selected", "_selected_action": ["gbol"]}, follow=True)
    assert response.status_code == 200
    assert "pixels" in Integration.objects.get(pk="gbol").branding_error


def test_connection_changes_are_read_only(client, django_user_model, merchant):
    from django.utils import timezone

    from integrations.models import ConnectionChange

    client.force_login(staff_user(django_user_model, "auditor", "view_connectionchange", "change_connectionchange",
                                  "delete_connectionchange", "add_connectionchange"))
    change = ConnectionChange.objects.create(
        merchant=merchant, action="disconnect", platform_key="gbol", platform_name="Xero", connection_id="c-1",
        from_status="Linked", outcome="failed", correlation_id="fedcba98", error="Codat update-connection failed", at=timezone.now(),
    )
    listing = client.get("/admin/integrations/connectionchange/").content.decode()
    assert "fedcba98" in listing and "Disconnect" in listing
    assert client.get("/admin/integrations/connectionchange/add/").status_code == 403
    assert client.post(f"/admin/integrations/connectionchange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/integrations/connectionchange/{change.pk}/change/", {"outcome": "done"}).status_code == 403
    change.refresh_from_db()
    assert change.outcome == "failed"
