"""A merchant's page follows Codat: a disconnect made outside the portal shows up by itself."""

import os
import re

import pytest
from playwright.sync_api import expect

from codat_sandbox import faults
from integrations.models import CompanyBinding, WebhookEvent
from tests.browser import axe_violations, log_in, screenshot
from tests.factories import STAFF_PASSWORD, make_staff
from tests.multiprocess.test_webhooks_and_worker import task_worker
from tests.servers import shared_env

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def base(live_server, warm_live_cache, merchant_and_user, settings):
    settings.CODAT_SANDBOX_WEBHOOK_DELIVERY = True  # the sandbox posts to this live server
    # With a shared cache the worker must use this process's: its writes drop the cached logins and
    # staff list the live server reads, as every process of a deployment shares one Redis.
    same_cache = {"CACHE_URL": os.environ["CACHE_URL"],
                  "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]} if settings.SHARED_CACHE else {}
    with task_worker(shared_env(**same_cache)):
        yield live_server.url
    faults.reset()


def test_a_disconnect_in_codat_reaches_the_open_page_and_staff(page, browser, base):
    log_in(page, base)
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")):
        page.get_by_role("button", name="Link your Xero account", exact=True).click()
    page.wait_for_url(re.compile(r"/sandbox/sync-flow/.*/start"))
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    headline = page.locator("h2.connection__headline")
    expect(headline).to_have_text(re.compile("^Connected to .* on Xero$"))

    # The merchant de-authorises in Xero: Codat changes the connection and sends its webhook.
    company_id = CompanyBinding.objects.get().company_id
    changed = page.request.post(
        f"{base}/sandbox/control/companies/{company_id}/connection-status",
        headers={"Authorization": "Basic c2FuZGJveA=="},
        data={"status": "Deauthorized", "platformKey": "gbol"},
    )
    assert changed.status == 200
    expect(headline).to_have_text("Disconnected from Xero", timeout=20_000)  # nobody touched the page
    disconnected = WebhookEvent.objects.filter(event_type="connection.disconnected")
    for _ in range(50):  # the snapshot changes a moment before the event is marked processed
        if disconnected.filter(state="processed").exists():
            break
        page.wait_for_timeout(100)
    assert "merchant alerted (0 email(s))" in disconnected.get().detail  # bean has no email address
    expect(page.get_by_role("button", name="Reconnect Xero")).to_be_visible()
    assert axe_violations(page) == []

    page.goto(f"{base}/")
    expect(page.get_by_role("region", name="Connection problem")).to_contain_text("Xero stopped working")
    assert axe_violations(page) == []
    screenshot(page, "connection-alert-banner")

    make_staff()
    staff = browser.new_context().new_page()
    staff.goto(f"{base}/accounts/login/")
    staff.get_by_label("Username").fill("sam")
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    staff.wait_for_url(f"{base}/staff/")
    staff.get_by_label("Needs attention only").check()
    staff.get_by_role("button", name="Show merchants").click()
    expect(staff.get_by_role("row", name=re.compile("Bean & Leaf"))).to_contain_text("Disconnected")
    staff.context.close()
