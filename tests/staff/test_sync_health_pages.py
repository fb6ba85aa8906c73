"""Sync health for POS staff, through the full request stack against the in-process sandbox: the
"Needs attention" list, the merchant's syncs, Sync now and Sync a date range."""

import json
import re
import time
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone as django_timezone

from codat_sandbox import controls
from integrations.models import ConnectionSnapshot, SyncRequest
from integrations.services.companies import company_bind
from integrations.services.connections import connection_refresh
from staff import roles
from tests.conftest import sandbox_client
from tests.factories import make_merchant, make_staff

pytestmark = pytest.mark.django_db

UTC = timezone.utc
SPEC = Path(__file__).resolve().parents[1] / "contract" / "spec" / "Codat-Sync-Commerce.yaml"


def bind(merchant, *, link=True, accounting_key="gbol") -> str:
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 10)
    sandbox_client().get_sync_flow_url(commerce_key="lqai", accounting_key=accounting_key, merchant_identifier=company_id)
    if link:
        controls.link(company_id, accounting_key, tenant_name=f"{merchant.name} Trading Ltd")
    return company_id


def refreshed(merchant):
    connection_refresh(merchant.pk, True)


def html_of(response) -> str:
    return unescape(response.content.decode())


def text(html: str) -> str:
    """What a reader sees: the tags gone, the spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rows(response) -> dict[str, str]:
    """Merchant name → the text of its row."""
    found = re.findall(r"<tr>\s*<td>\s*<a class=\"data-table__primary\"[^>]*>([^<]+)</a>(.*?)</tr>", html_of(response), re.S)
    return {name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rest)).strip() for name, rest in found}


@pytest.fixture
def linked(merchant, counting):
    """Bean & Leaf, linked to Xero and refreshed; the Codat call count starts from zero."""
    company_id = bind(merchant)
    refreshed(merchant)
    counting.paths.clear()
    counting.requests.clear()
    return company_id


def detail(staff_client, merchant) -> str:
    response = staff_client.get(f"/staff/merchants/{merchant.pk}/")
    assert response.status_code == 200
    return html_of(response)


def latest_row(html: str) -> str:
    table = html.split('id="syncs-caption"', 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.split("<tbody>", 1)[1].split("</tr>", 1)[0])).strip()


# --- the list ------------------------------------------------------------------------------------


def test_a_merchant_whose_latest_sync_is_5130_is_under_needs_attention_with_that_outcome(staff_client, counting, settings):
    def shop(name, script=None, *, link=True):
        merchant, _ = make_merchant(name=name)
        company_id = bind(merchant, link=link)
        if script:
            script(company_id)
        refreshed(merchant)
        return merchant

    shop("Codat failed", lambda c: controls.push_sync(c, status_code=5130, error_message="Data write error"))
    shop("Healthy", lambda c: controls.push_sync(c, status_code=2000))
    shop("Fix settings", lambda c: controls.push_sync(c, status_code=4000))
    shop("Gone", lambda c: controls.set_connection_status(c, status="Deauthorized", platform_key="gbol"))
    shop("Paused", lambda c: controls.set_configuration(c, enable=False))
    shop("Half set up", lambda c: controls.set_configuration(c, configured=False))
    shop("Not finished", link=False)
    make_merchant(name="Never started")
    counting.paths.clear()

    everyone = rows(staff_client.get("/staff/"))
    assert len(everyone) == 8
    assert "Failed (Codat’s side) 5130" in everyone["Codat failed"]
    assert "Success 2000" in everyone["Healthy"]

    response = staff_client.get("/staff/", {"attention": "1"})
    assert response.status_code == 200
    attention = rows(response)
    assert set(attention) == {"Codat failed", "Fix settings", "Gone", "Paused", "Half set up"}
    assert "Failed (Codat’s side) 5130" in attention["Codat failed"] and "Xero" in attention["Codat failed"]
    assert "Failed (merchant can fix) 4000" in attention["Fix settings"]
    assert "5 merchants needing attention." in html_of(response)
    assert 'id="id_attention" value="1" aria-describedby="id_attention_help" checked' in html_of(response)
    assert counting.total == 0  # the list reads snapshots, never Codat

    # combined with search and status, still one query for the page
    assert set(rows(staff_client.get("/staff/", {"attention": "1", "q": "a", "status": "disconnected"}))) == {"Gone"}

    def queries(params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/staff/", params).status_code == 200
        return len([q for q in captured.captured_queries if "django_session" not in q["sql"]])  # Redis or not

    settings.SHARED_CACHE = False  # what building the list costs (kept: tests/staff/test_merchant_list_cache.py)
    assert queries({"attention": "1"}) == queries({}) == 5  # the same few, with or without the filter


def test_the_list_sorts_by_last_sync(staff_client, counting):
    for name, code in (("Old", 2000), ("New", 5130)):
        merchant, _ = make_merchant(name=name)
        company_id = bind(merchant)
        controls.push_sync(company_id, status_code=code)
        refreshed(merchant)
        if name == "Old":
            ConnectionSnapshot.objects.filter(pk=merchant.pk).update(last_sync_at=django_timezone.now() - timedelta(days=3))
    make_merchant(name="Never")
    assert list(rows(staff_client.get("/staff/", {"sort": "last_sync"}))) == ["Never", "Old", "New"]
    html = html_of(staff_client.get("/staff/", {"sort": "-last_sync"}))
    assert list(rows(staff_client.get("/staff/", {"sort": "-last_sync"}))) == ["New", "Old", "Never"]
    assert re.search(r'<th scope="col" aria-sort="descending" class="wide-only">\s*<a class="sort-link" href="\?sort=last_sync"', html)


def test_times_are_in_the_staff_time_zone_with_utc_on_hover(staff_client, merchant, linked, settings):
    settings.STAFF_TIME_ZONE = "America/New_York"
    sync = controls.push_sync(linked, status_code=2000)
    controls_time = datetime(2025, 1, 15, 14, 5, tzinfo=UTC)
    type(sync).objects.filter(pk=sync.pk).update(sync_utc=controls_time)
    refreshed(merchant)
    html = html_of(staff_client.get("/staff/"))
    assert '<time datetime="2025-01-15T14:05:00Z" title="15 Jan 2025, 14:05 UTC">15 Jan, 09:05</time>' in html
    assert "Times are America/New_York; hover over one for UTC." in html
    page = detail(staff_client, merchant)
    assert '<time datetime="2025-01-15T14:05:00Z" title="15 Jan 2025, 14:05 UTC">15 Jan 2025, 09:05</time>' in page


def test_a_bad_staff_time_zone_is_refused_by_the_system_check(settings):
    from staff.checks import check_staff_time_zone

    settings.STAFF_TIME_ZONE = "Mars/Olympus"
    (error,) = check_staff_time_zone()
    assert error.id == "staff.E001" and "Mars/Olympus" in error.msg
    settings.STAFF_TIME_ZONE = "Europe/London"
    assert check_staff_time_zone() == []


# --- the merchant's page ----------------------------------------------------------------------


def test_the_detail_page_shows_the_connection_the_last_syncs_and_history_without_calling_codat(
    staff_client, merchant, linked, counting
):
    controls.cancel(linked, "gbol")  # Codat's error on the connection (a second one would fail every sync: 4000)
    controls.push_sync(linked, status_code=2000)
    controls.push_sync(linked, status_code=2040, data_pushed=False)
    controls.push_sync(linked, status_code=4000, error_message="Choose an account for card fees.",
                       sync_exception_message="NullReferenceException in MapFees")
    refreshed(merchant)
    counting.paths.clear()
    html = detail(staff_client, merchant)
    assert counting.total == 0  # warm: the snapshot has it all
    assert "Connected to" not in html and "Needs attention" in html
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('<dl class="summary"', 1)[1].split("</dl>", 1)[0]))
    for expected in ("Platform Xero (Linked)", "Tenant name Bean & Leaf Trading Ltd", "Setup Configured, sync on",
                 "Schedule Daily at 02:00 Europe/London", "next expected after", "Last sync Failed (merchant can fix) (4000)"):
        assert expected in summary, expected
    assert "Last 3 syncs, newest first" in html
    first = latest_row(html)
    assert "Failed (merchant can fix) 4000 · PushError" in first
    assert "Choose an account for card fees." in first and "Codat’s detail: NullReferenceException in MapFees" in first
    assert "Success, no data to send 2040 · Complete" in text(html) and ">No</td>" in html
    sync_ids = [s["syncId"] for s in controls.describe(linked)["syncs"]]
    assert all(sync_id in html for sync_id in sync_ids)
    assert "The user cancelled authorisation." in html and "Sandbox POS" in html  # connection history
    assert "Connection attempts" in html


def test_merchants_never_see_codats_exception_message(staff_client, merchant_and_user, linked):
    from django.test import Client

    merchant, user = merchant_and_user
    controls.push_sync(linked, status_code=5130, error_message="Data write error", sync_exception_message="Xero said 503 at /Invoices")
    refreshed(merchant)
    assert "Xero said 503 at /Invoices" in detail(staff_client, merchant)
    merchant_browser = Client()
    merchant_browser.force_login(user)
    connection_page = html_of(merchant_browser.get("/connection/"))
    assert "Last sync failed" in connection_page and "Xero said 503" not in connection_page


def test_deauthorized_offers_no_sync_buttons_and_says_why(staff_client, merchant, linked, counting):
    controls.set_connection_status(linked, status="Deauthorized", platform_key="gbol")
    refreshed(merchant)
    counting.paths.clear()
    html = detail(staff_client, merchant)
    assert "No sync can be requested: Merchant must reconnect Xero." in re.sub(r"<[^>]+>", "", html)
    assert f'href="/staff/merchants/{merchant.pk}/sync/"' not in html and "Sync a date range</a>" not in html
    for path in ("sync/", "sync/range/"):
        page = staff_client.get(f"/staff/merchants/{merchant.pk}/{path}")
        assert page.status_code == 409 and "Merchant must reconnect Xero." in html_of(page)
        assert "<form" not in html_of(page).split("<h1>", 1)[1].split("</section>")[0]
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": "6f1c1b8a-7d0e-4a53-9a53-0c1a3a4d2e10"})
    assert response.status_code == 409 and "Nothing was sent to Codat." in html_of(response)
    response = staff_client.post(
        f"/staff/merchants/{merchant.pk}/sync/range/",
        {"token": "6f1c1b8a-7d0e-4a53-9a53-0c1a3a4d2e11", "start": "2025-05-01", "finish": "2025-05-02"},
    )
    assert response.status_code == 409
    assert counting.total == 0 and not SyncRequest.objects.exists()


@pytest.mark.parametrize(
    "script, reason",
    [
        (lambda c: controls.set_configuration(c, enable=False), "Merchant must turn sync back on in their sync settings."),
        (lambda c: controls.set_configuration(c, configured=False), "Merchant must finish their sync settings"),
        (lambda c: controls.push_sync(c, status_code=1000), "A sync is in progress"),
    ],
)
def test_other_states_say_what_must_happen_first(staff_client, merchant, linked, script, reason):
    script(linked)
    refreshed(merchant)
    html = detail(staff_client, merchant)
    assert reason in html and f'href="/staff/merchants/{merchant.pk}/sync/"' not in html


def test_never_started_has_no_sync_and_no_refresh(staff_client, merchant, counting):
    html = detail(staff_client, merchant)
    assert "Merchant must connect their accounting software first." in html
    assert "Refresh from Codat" not in html and counting.total == 0


# --- Sync now ---------------------------------------------------------------------------------


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([0-9a-f-]{36})"', html).group(1)


@pytest.mark.django_db(transaction=True)
def test_sync_now_sends_one_request_shows_in_progress_then_success_and_the_merchant_sees_it(
    client, counting, warm_live_cache
):
    merchant, user = make_merchant(name="Bean & Leaf", username="bean")
    company_id = bind(merchant)
    controls.push_sync(company_id, status_code=2000)
    refreshed(merchant)
    staff = make_staff()
    client.force_login(staff)
    counting.paths.clear()

    html = detail(client, merchant)
    assert f'<a class="button" href="/staff/merchants/{merchant.pk}/sync/">Sync now</a>' in html
    confirm = client.get(f"/staff/merchants/{merchant.pk}/sync/")
    assert confirm.status_code == 200 and counting.total == 0  # the confirmation sends nothing
    assert "Sync Bean & Leaf now?" in html_of(confirm)
    response = client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token_of(html_of(confirm))})
    assert (response.status_code, response["Location"]) == (302, f"/staff/merchants/{merchant.pk}/")
    assert counting.count("/sync/commerce/latest") == 1 and counting.total == 1

    html = detail(client, merchant)
    sync_id = controls.describe(company_id)["syncs"][0]["syncId"]
    assert f"Codat accepted a sync up to now (sync {sync_id})" in html
    assert "In progress 1000 · Started" in latest_row(html) and sync_id in latest_row(html)
    assert "A sync is in progress: wait for it to finish" in html
    assert counting.total == 1  # the page itself asked Codat nothing

    controls.complete_sync(company_id)
    response = client.post(f"/staff/merchants/{merchant.pk}/refresh/")
    assert response.status_code == 302
    html = detail(client, merchant)
    assert "Refreshed from Codat." in html
    assert "Success 2000 · Complete" in latest_row(html) and sync_id in latest_row(html)
    assert f'href="/staff/merchants/{merchant.pk}/sync/">Sync now</a>' in html  # offered again

    recorded = SyncRequest.objects.get()
    assert (recorded.outcome, recorded.requested_by, recorded.sync_id) == ("accepted", staff, sync_id)
    assert "Sam Okafor" in html and "Accepted by Codat" in html

    # the merchant's own page shows the new last-synced time
    finished = controls.describe(company_id)["syncs"][0]["syncUtc"]
    when = datetime.fromisoformat(finished.replace("0Z", "+00:00"))
    client.force_login(user)
    page = html_of(client.get("/connection/"))
    assert f'<time datetime="{when.isoformat()}">{when:%-d %b %Y, %H:%M} UTC</time>' in page


def test_double_submit_sends_one_request(staff_client, merchant, linked, counting):
    confirm = html_of(staff_client.get(f"/staff/merchants/{merchant.pk}/sync/"))
    token = token_of(confirm)
    first = staff_client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token})
    second = staff_client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token})
    assert first.status_code == second.status_code == 302
    assert counting.count("/sync/commerce/latest") == 1 and SyncRequest.objects.count() == 1
    html = detail(staff_client, merchant)
    assert "That request was already sent, once (accepted by codat): nothing more was sent to Codat." in html


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_the_same_moment_send_one_request(client, counting, sandbox_faults):
    """Two tabs (two tokens) pressed together while Codat is slow: the second finds the first in flight."""
    import threading

    from django.test import Client

    merchant, _ = make_merchant(name="Bean & Leaf")
    bind(merchant)
    refreshed(merchant)
    staff = make_staff()
    sandbox_faults.inject("request-sync", latency_ms=600)
    tabs = [Client(), Client()]
    tokens = []
    for tab in tabs:
        tab.force_login(staff)
        tokens.append(token_of(html_of(tab.get(f"/staff/merchants/{merchant.pk}/sync/"))))
    counting.paths.clear()
    answers = []

    def press(tab, token):
        answers.append(tab.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token}).status_code)
        from django.db import connections

        connections.close_all()

    threads = [threading.Thread(target=press, args=pair) for pair in zip(tabs, tokens)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)  # the first is inside Codat's 600 ms when the second arrives
    for thread in threads:
        thread.join(10)
    assert sorted(answers) == [302, 302]
    assert counting.count("/sync/commerce/latest") == 1 and SyncRequest.objects.count() == 1


def test_a_stale_or_forged_token_sends_nothing(staff_client, merchant, linked, counting):
    for token in ("", "not-a-uuid"):
        response = staff_client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token})
        assert response.status_code == 400
        html = html_of(response)
        assert "This form is out of date or incomplete: open it again from the merchant’s page." in html
        assert token_of(html) != token  # a fresh token: the corrected form can be sent
    assert counting.total == 0 and not SyncRequest.objects.exists()


def test_codat_failing_shows_why_records_it_and_offers_to_try_again(staff_client, merchant, linked, counting, sandbox_faults):
    sandbox_faults.inject("request-sync", status=503)
    confirm = html_of(staff_client.get(f"/staff/merchants/{merchant.pk}/sync/"))
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token_of(confirm)})
    assert response.status_code == 502
    html = html_of(response)
    failed = SyncRequest.objects.get()
    assert "Codat didn’t accept the request." in html and failed.correlation_id in html
    assert "sent once and not retried" in html
    assert token_of(html) != token_of(confirm)
    assert counting.count("/sync/commerce/latest") == 1
    sandbox_faults.reset()
    again = staff_client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token_of(html)})
    assert again.status_code == 302 and counting.count("/sync/commerce/latest") == 2


def test_rate_limited_is_503_with_retry_after(staff_client, merchant, linked, sandbox_faults):
    sandbox_faults.inject("request-sync", status=429, retry_after="30")
    confirm = html_of(staff_client.get(f"/staff/merchants/{merchant.pk}/sync/"))
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/sync/", {"token": token_of(confirm)})
    assert response.status_code == 503 and response["Retry-After"] == "30"


# --- Sync a date range --------------------------------------------------------------------------


def yesterday_in_london():
    from zoneinfo import ZoneInfo

    return (django_timezone.now().astimezone(ZoneInfo("Europe/London")) - timedelta(hours=2)).date() - timedelta(days=1)


@pytest.mark.parametrize(
    "start, finish, field, message",
    [
        ("{y}", "{y-3}", "finish", "The last day must be the same as the first day or after it."),
        ("{y-3}", "{y+2}", "finish", "The last day is in the future."),
        ("{y-40}", "{y}", "finish", "Codat is asked for at most 31 days at a time; this range is 41 days."),
        ("", "{y}", "start", "Enter the first day to sync."),
        ("1 May", "{y}", "start", "Enter the first day as a date, like 2025-05-01."),
        ("{y}", "2025-02-30", "finish", "Enter the last day as a date, like 2025-05-07."),
    ],
)
def test_a_bad_range_is_a_form_error_and_sends_nothing(staff_client, merchant, linked, counting, start, finish, field, message):
    y = yesterday_in_london()

    def day(text):
        for offset in (-40, -3, 2):
            text = text.replace(f"{{y{offset:+d}}}", str(y + timedelta(days=offset)))
        return text.replace("{y}", str(y))

    form = html_of(staff_client.get(f"/staff/merchants/{merchant.pk}/sync/range/"))
    response = staff_client.post(
        f"/staff/merchants/{merchant.pk}/sync/range/", {"token": token_of(form), "start": day(start), "finish": day(finish)}
    )
    assert response.status_code == 400
    html = html_of(response)
    assert f'<li><a href="#id_{field}">{message}' in html  # in the summary, leading to its field
    assert f'id="id_{field}_error"' in html and html.count('aria-invalid="true"') == 1
    assert counting.total == 0 and not SyncRequest.objects.exists()


def test_today_is_not_over_yet(staff_client, merchant, linked, counting):
    from zoneinfo import ZoneInfo

    london = django_timezone.now().astimezone(ZoneInfo("Europe/London"))
    sync_day = london.date() if london.hour >= 2 else london.date() - timedelta(days=1)  # the sandbox syncs at 02:00
    form = html_of(staff_client.get(f"/staff/merchants/{merchant.pk}/sync/range/"))
    response = staff_client.post(
        f"/staff/merchants/{merchant.pk}/sync/range/",
        {"token": token_of(form), "start": str(sync_day - timedelta(days=1)), "finish": str(sync_day)},
    )
    assert response.status_code == 400
    assert f"{sync_day.day} {sync_day:%B} isn’t over yet in the merchant’s time zone (Europe/London)" in html_of(response)
    assert counting.total == 0


def test_a_valid_range_sends_one_request_whose_body_follows_the_spec(staff_client, merchant, linked, counting):
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest

    y = yesterday_in_london()
    form = html_of(staff_client.get(f"/staff/merchants/{merchant.pk}/sync/range/"))
    assert "Each day runs from 02:00 to 02:00 in Europe/London" in form
    response = staff_client.post(
        f"/staff/merchants/{merchant.pk}/sync/range/",
        {"token": token_of(form), "start": str(y - timedelta(days=6)), "finish": str(y)},
    )
    assert response.status_code == 302
    (sent,) = counting.requests
    assert sent.url.path == f"/sandbox/codat/meta/companies/{linked}/sync/commerce/historic"
    body = json.loads(sent.content)
    spec = yaml.safe_load(SPEC.read_text())
    spec["servers"] = [{"url": "http://codat-sandbox.internal/sandbox/codat"}]
    OpenAPI.from_dict(spec).validate_request(
        MockRequest("http://codat-sandbox.internal", "POST", sent.url.path, headers=dict(sent.headers),
                    data=sent.content, content_type="application/json")
    )
    start = datetime.fromisoformat(body["dateRange"]["start"])
    finish = datetime.fromisoformat(body["dateRange"]["finish"])
    assert finish - start == timedelta(days=7)
    from zoneinfo import ZoneInfo

    assert start.astimezone(ZoneInfo("Europe/London")).hour == 2  # the schedule's sync hour, its zone
    recorded = SyncRequest.objects.get()
    assert (recorded.kind, recorded.range_start, recorded.range_finish) == ("date_range", start, finish)
    html = detail(staff_client, merchant)
    assert f"Codat accepted a sync of {(y - timedelta(days=6)).day}" in html and "Sync a date range" in html


# --- who may ----------------------------------------------------------------------------------


def test_without_the_permission_or_as_a_merchant_it_is_403(client, merchant, linked, counting, merchant_and_user):
    viewer = make_staff("viewer", group=False, permissions=[roles.VIEW_MERCHANTS])
    client.force_login(viewer)
    html = detail(client, merchant)
    assert "Sync now</a>" not in html and "Sync a date range</a>" not in html
    for method, path in (("get", "sync/"), ("post", "sync/"), ("get", "sync/range/"), ("post", "sync/range/")):
        response = getattr(client, method)(f"/staff/merchants/{merchant.pk}/{path}", {"token": "6f1c1b8a-7d0e-4a53-9a53-0c1a3a4d2e10"})
        assert response.status_code == 403, path
    client.force_login(merchant_and_user[1])  # the merchant's own login, even with the permission
    merchant_and_user[1].user_permissions.add(*make_staff("x", group=True).groups.first().permissions.all())
    for method, path in (("get", "sync/"), ("post", "sync/"), ("post", "sync/range/"), ("post", "refresh/")):
        assert getattr(client, method)(f"/staff/merchants/{merchant.pk}/{path}").status_code == 403, path
    assert counting.total == 0 and not SyncRequest.objects.exists()


def test_the_permission_alone_without_the_staff_role_opens_nothing(client, merchant, linked):
    client.force_login(make_staff("helper", group=False, permissions=[roles.REQUEST_SYNC]))
    assert client.get(f"/staff/merchants/{merchant.pk}/sync/").status_code == 403


def test_refresh_is_post_only(staff_client, merchant, linked, counting):
    response = staff_client.get(f"/staff/merchants/{merchant.pk}/refresh/")
    assert response.status_code == 405 and counting.total == 0


def test_an_unknown_merchant_is_404(staff_client, db):
    for path in ("sync/", "sync/range/", "refresh/"):
        assert staff_client.get(f"/staff/merchants/999999/{path}").status_code == 404
