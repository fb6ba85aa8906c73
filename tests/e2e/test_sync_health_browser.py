"""Sync health for POS staff in a real browser: the Needs attention list, a merchant's syncs,
Sync now and Sync a date range; axe-core at phone and desktop widths; screenshots."""

import re
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from codat_sandbox import controls, faults
from integrations.models import SyncRequest
from integrations.services.companies import company_bind
from integrations.services.connections import connection_refresh
from tests.browser import WIDTHS, axe_violations, screenshot
from tests.conftest import sandbox_client
from tests.factories import STAFF_PASSWORD, make_merchant, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shop(name, script=None, *, link=True):
    merchant, _ = make_merchant(name=name)
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 10)
    sandbox_client().get_sync_flow_url(commerce_key="lqai", accounting_key="gbol", merchant_identifier=company_id)
    if link:
        controls.link(company_id, "gbol", tenant_name=f"{name} Trading Ltd")
    if script:
        script(company_id)
    connection_refresh(merchant.pk, True)
    return merchant, company_id


@pytest.fixture
def base(live_server, warm_live_cache, settings):
    settings.STAFF_TIME_ZONE = "Europe/London"
    make_staff()
    yield live_server.url
    faults.reset()


def staff_log_in(page, base):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/staff/")


def axe_at_both_widths(page) -> list[str]:
    found = []
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        found += [f"{width}px {violation}" for violation in axe_violations(page)]
    page.set_viewport_size({"width": 1280, "height": 900})
    return found


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0


def test_needs_attention_then_sync_now_then_success(page, base):
    def history(company_id):
        controls.push_sync(company_id, status_code=2000)
        controls.push_sync(company_id, status_code=2040, data_pushed=False)
        controls.push_sync(
            company_id, status_code=5130, error_message="Data write error",
            sync_exception_message="Xero answered 503 Service Unavailable on POST /api.xro/2.0/Invoices",
        )

    harbour, harbour_company = shop("Harbour Café", history)
    shop("Bean & Leaf", lambda c: controls.push_sync(c, status_code=2000))
    shop("Corner Deli", lambda c: controls.set_connection_status(c, status="Deauthorized", platform_key="gbol"))
    shop("Quiet Books", lambda c: controls.set_configuration(c, enable=False))
    make_merchant(name="New Shop")

    staff_log_in(page, base)
    page.get_by_label("Needs attention only").check()
    page.get_by_role("button", name="Show merchants").click()
    expect(page.get_by_text("3 merchants needing attention.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Harbour Café"))
    expect(row).to_contain_text("Failed (Codat’s side)")
    expect(row).to_contain_text("5130")
    expect(page.get_by_role("row", name=re.compile("Bean & Leaf"))).to_have_count(0)
    assert axe_at_both_widths(page) == []
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page), width
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "staff-sync-health-list")

    page.get_by_role("link", name="Harbour Café").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour Café")
    syncs = page.get_by_role("region", name=re.compile(r"Last \d+ syncs"))
    expect(syncs.get_by_role("row").nth(1)).to_contain_text("Failed (Codat’s side)")
    expect(syncs.get_by_role("row").nth(1)).to_contain_text("Xero answered 503")
    assert axe_at_both_widths(page) == []
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page), width
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "staff-sync-health-detail")

    page.get_by_role("link", name="Sync now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sync Harbour Café now?")
    assert axe_at_both_widths(page) == []
    screenshot(page, "staff-sync-now-confirm")
    page.get_by_role("button", name="Request sync now").dblclick()
    page.wait_for_url(f"{base}/staff/merchants/{harbour.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Codat accepted a sync up to now")
    expect(syncs.get_by_role("row").nth(1)).to_contain_text("In progress")
    expect(page.get_by_text("A sync is in progress: wait for it to finish")).to_be_visible()
    expect(page.get_by_role("link", name="Sync now")).to_have_count(0)
    assert faults.calls("request-sync") == 1 and SyncRequest.objects.count() == 1
    screenshot(page, "staff-sync-in-progress")

    controls.complete_sync(harbour_company)
    page.get_by_role("button", name="Refresh from Codat").click()
    expect(page.get_by_role("status")).to_contain_text("Refreshed from Codat.")
    expect(syncs.get_by_role("row").nth(1)).to_contain_text("Success")
    requests = page.get_by_role("region", name="Syncs requested from here")
    expect(requests.get_by_role("row").nth(1)).to_contain_text("Accepted by Codat")
    expect(requests.get_by_role("row").nth(1)).to_contain_text("Sam Okafor")
    assert axe_at_both_widths(page) == []
    screenshot(page, "staff-sync-success")


def test_sync_a_date_range_with_a_mistake_first(page, base):
    merchant, company_id = shop("Harbour Café", lambda c: controls.push_sync(c, status_code=5130))
    staff_log_in(page, base)
    page.goto(f"{base}/staff/merchants/{merchant.pk}/")
    page.get_by_role("link", name="Sync a date range").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sync a date range for Harbour Café")
    assert axe_at_both_widths(page) == []

    london = timezone.now().astimezone(ZoneInfo("Europe/London"))
    yesterday = (london - timedelta(hours=2)).date() - timedelta(days=1)  # the sandbox's days start at 02:00
    page.get_by_label("First day").fill(str(yesterday))
    page.get_by_label("Last day").fill(str(yesterday - timedelta(days=2)))
    with page.expect_response(re.compile(r"/sync/range/$")) as answer:
        page.get_by_role("button", name="Request sync for these days").click()
    assert answer.value.status == 400
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["The last day must be the same as the first day or after it."])
    expect(page.get_by_label("Last day")).to_have_attribute("aria-invalid", "true")
    assert faults.calls("request-sync-for-date-range") == 0
    assert axe_at_both_widths(page) == []
    screenshot(page, "staff-sync-range-error")

    page.get_by_label("First day").fill(str(yesterday - timedelta(days=2)))
    page.get_by_label("Last day").fill(str(yesterday))
    page.get_by_role("button", name="Request sync for these days").click()
    page.wait_for_url(f"{base}/staff/merchants/{merchant.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Codat accepted a sync of")
    assert faults.calls("request-sync-for-date-range") == 1
    (requested,) = controls.describe(company_id)["requestedSyncs"]
    assert requested["kind"] == "historic"


def test_a_deauthorized_merchant_says_what_must_happen_first(page, base):
    merchant, _ = shop("Corner Deli", lambda c: controls.set_connection_status(c, status="Deauthorized", platform_key="gbol"))
    staff_log_in(page, base)
    page.goto(f"{base}/staff/merchants/{merchant.pk}/")
    expect(page.get_by_text("Merchant must reconnect Xero.")).to_be_visible()
    expect(page.get_by_role("link", name="Sync now")).to_have_count(0)
    expect(page.get_by_role("link", name="Sync a date range")).to_have_count(0)
    assert axe_at_both_widths(page) == []
    screenshot(page, "staff-sync-blocked")
