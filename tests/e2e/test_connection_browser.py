"""“Your connection” in a real browser: the truth from Codat before, during and after linking."""

import re

import pytest
from playwright.sync_api import expect

from codat_sandbox import controls, faults
from integrations.models import CompanyBinding, ConnectionSnapshot
from staff.selectors import merchant_get
from tests.browser import axe_violations, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def base(live_server, warm_live_cache, merchant_and_user):
    yield live_server.url
    faults.reset()


def headline(page):
    return page.locator("h2.connection__headline")


def axe_at_both_widths(page) -> list[str]:
    found = []
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        found += axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    return found


def start_link(page, name="Xero"):
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name=f"Link your {name} account", exact=True).click()
    page.wait_for_url(re.compile(r"/sandbox/sync-flow/.*/start"))
    page.wait_for_load_state()
    assert arrival.value.status == 200


def company_id():
    return CompanyBinding.objects.get().company_id


def test_not_connected_then_finish_on_codat_then_connected(page, base):
    log_in(page, base)
    page.goto(f"{base}/connection/")
    expect(headline(page)).to_have_text("Not connected")
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-not-connected")

    start_link(page)
    assert f"merchantIdentifier={company_id()}" in page.url
    controls.set_tenant_name(company_id(), "Bean & Leaf Trading Ltd")
    assert axe_violations(page) == []  # the stand-in Sync Flow too
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    expect(headline(page)).to_have_text("Connected to Bean & Leaf Trading Ltd on Xero")
    expect(page.locator(".connection__platform")).to_have_text("Xero")
    expect(page.get_by_role("link", name="Your connection")).to_be_visible()
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-connected")

    # Change settings goes back into the Sync Flow with a fresh code, for the same company.
    first = company_id()
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name="Change settings").click()
    assert arrival.value.status == 200
    expect(page.get_by_role("heading", name="Sync settings")).to_be_visible()
    assert axe_violations(page) == []
    assert f"merchantIdentifier={first}" in page.url
    assert len(controls.companies()) == 1


def test_cancel_on_codat_says_not_finished(page, base):
    log_in(page, base)
    start_link(page)
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(f"{base}/connection/")
    expect(headline(page)).to_have_text("Connection not finished")
    expect(page.get_by_role("button", name="Continue setup")).to_be_visible()
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-not-finished")


def test_the_return_page_from_history_does_not_make_a_merchant_linked(page, base):
    log_in(page, base)
    page.goto(f"{base}/link/return/")  # never started: nothing to ask Codat
    page.wait_for_url(f"{base}/connection/")
    expect(headline(page)).to_have_text("Not connected")
    assert not CompanyBinding.objects.exists()

    start_link(page)
    page.go_back()
    page.goto(f"{base}/link/return/")  # opened from history, without finishing
    page.wait_for_url(f"{base}/connection/")
    expect(headline(page)).to_have_text("Connection not finished")
    merchant = CompanyBinding.objects.get().merchant
    assert merchant_get(merchant_id=merchant.pk).status == "not_finished"


def test_a_failed_sync_needs_attention_and_review_settings_opens_a_fresh_code(page, base):
    log_in(page, base)
    start_link(page)
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    controls.push_sync(company_id(), status_code=4000, error_message="Choose an account for card fees.")
    page.goto(f"{base}/link/return/")  # what the merchant sees after Codat reads the new state
    expect(headline(page)).to_have_text("Needs attention")
    expect(page.get_by_text("Choose an account for card fees.")).to_be_visible()
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-needs-attention")
    mints = faults.calls("get-sync-flow-url")
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name="Review settings").click()
    assert arrival.value.status == 200
    assert faults.calls("get-sync-flow-url") == mints + 1


def test_deauthorized_offers_reconnect(page, base):
    log_in(page, base)
    start_link(page)
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    controls.set_connection_status(company_id(), status="Deauthorized", platform_key="gbol")
    page.goto(f"{base}/link/return/")
    expect(headline(page)).to_have_text("Disconnected from Xero")
    expect(page.get_by_role("button", name="Reconnect Xero")).to_be_visible()
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-disconnected")
    page.get_by_role("button", name="Reconnect Xero").click()
    page.wait_for_url(re.compile(r"/sandbox/sync-flow/.*/start"))
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    expect(headline(page)).to_have_text(re.compile("^Connected to .* on Xero$"))
    accounting = [c for c in controls.describe(company_id())["connections"] if c["sourceType"] == "Accounting"]
    assert [(c["integrationKey"], c["status"]) for c in accounting] == [("gbol", "Linked")]  # the same connection


def test_codat_down_still_shows_the_page_with_its_age(page, base):
    log_in(page, base)
    start_link(page)
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    faults.inject("list-connections", status=503)
    response = page.goto(f"{base}/link/return/")
    assert response.status == 200
    expect(headline(page)).to_have_text(re.compile("^Connected to"))
    expect(page.get_by_text(re.compile("We couldn’t reach Codat just now: this is what it said"))).to_be_visible()
    assert ConnectionSnapshot.objects.get().error


def test_two_concurrent_first_clicks_make_one_company(browser, base, merchant_and_user):
    faults.inject("create-company", latency_ms=400)
    contexts = [browser.new_context() for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    for tab in pages:
        log_in(tab, base)
    # Both clicks go out before either answer (Codat takes 400 ms to create a company).
    for tab in pages:
        tab.get_by_role("button", name="Link your Xero account", exact=True).click(no_wait_after=True)
    for tab in pages:
        tab.wait_for_url(re.compile(r"/sandbox/sync-flow/.*/start"))
    for context in contexts:
        context.close()
    assert len(controls.companies()) == 1
    assert CompanyBinding.objects.get().company_id == controls.companies()[0]["id"]
