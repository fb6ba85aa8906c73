"""Disconnect, reconnect and switch platform in a real browser, for merchants and for staff on their behalf.

What Codat was sent is read two ways: the sandbox's own call log (faults.call_counts(), Call rows)
and the requests the portal's client sent (the counting transport, installed process-wide, so the
live server's requests go through it too).
"""

import json
import re

import pytest
from playwright.sync_api import expect

from codat_sandbox import controls, faults
from codat_sandbox.models import Call
from integrations.models import CompanyBinding, ConnectionChange
from tests.browser import axe_violations, logged_in, screenshot
from tests.factories import MERCHANT_PASSWORD, STAFF_PASSWORD, make_merchant, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def base(live_server, warm_live_cache, merchant_and_user, counting):
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


def company_id():
    return CompanyBinding.objects.get().company_id


def accounting_at_codat():
    return [c for c in controls.describe(company_id())["connections"] if c["sourceType"] == "Accounting"]


def through_sync_flow(page, button_name, base, *, finish=True):
    """Press a button that hands off to the stand-in Sync Flow, then Finish there and come back."""
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name=button_name, exact=True).click()
    assert arrival.value.status == 200
    page.wait_for_load_state()
    if finish:
        page.get_by_role("button", name="Finish").click()
        page.wait_for_url(f"{base}/connection/")


@pytest.fixture
def linked(page, base, merchant_and_user, counting):
    """Bean & Leaf logged in, linked to Xero through the Sync Flow (tenant Bean & Leaf Ltd), on /connection/."""
    logged_in(page, base, merchant_and_user[1], "/")
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")):
        page.get_by_role("button", name="Link your Xero account", exact=True).click()
    controls.set_tenant_name(company_id(), "Bean & Leaf Ltd")
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    expect(headline(page)).to_have_text("Connected to Bean & Leaf Ltd on Xero")
    faults.reset()
    counting.requests.clear()
    counting.paths.clear()
    return counting


def sent(counting, method):
    return [request for request in counting.requests if request.method == method]


def disconnect(page, password=MERCHANT_PASSWORD):
    page.get_by_role("link", name="Disconnect Xero").click()
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Disconnect Xero").click()


def test_disconnect_with_the_password_unlinks_only_the_accounting_connection(page, base, linked):
    xero = {c["integrationKey"]: c for c in controls.describe(company_id())["connections"]}["gbol"]
    page.get_by_role("link", name="Disconnect Xero").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Disconnect Xero?")
    expect(page.get_by_role("heading", name="What stops")).to_be_visible()
    expect(page.get_by_text("Everything already in your Xero books stays there. Nothing is deleted.")).to_be_visible()
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-disconnect-confirm")

    # A wrong password: the form again, nothing sent to Codat.
    page.get_by_label("Your password").fill("not my password")
    with page.expect_response(f"{base}/connection/disconnect/confirm/") as answer:
        page.get_by_role("button", name="Disconnect Xero").click()
    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("That password isn’t right.")
    expect(page.get_by_label("Your password")).to_have_attribute("aria-invalid", "true")
    assert faults.calls("update-connection") == 0 and sent(linked, "PATCH") == []
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-disconnect-wrong-password")

    page.get_by_label("Your password").fill(MERCHANT_PASSWORD)
    page.get_by_role("button", name="Disconnect Xero").click()
    page.wait_for_url(f"{base}/connection/")
    expect(headline(page)).to_have_text("Disconnected from Xero")
    expect(page.get_by_role("button", name="Reconnect Xero")).to_be_visible()
    expect(page.get_by_role("link", name="Disconnect Xero")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("Xero is disconnected: sales are no longer sent to it.")

    # Exactly one PATCH, with exactly that body, on the accounting connection; the connector's untouched.
    assert faults.call_counts()["update-connection"] == 1
    (call,) = Call.objects.filter(operation="update-connection")
    assert (call.status, call.path) == (200, f"/sandbox/codat/companies/{company_id()}/connections/{xero['id']}")
    (patch,) = sent(linked, "PATCH")
    assert patch.content == b'{"status":"Unlinked"}' and json.loads(patch.content) == {"status": "Unlinked"}
    statuses = {c["integrationKey"]: c["status"] for c in controls.describe(company_id())["connections"]}
    assert statuses == {"gbol": "Unlinked", "lqai": "Linked"}
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-disconnected-by-merchant")

    # Disconnect stays there: its page says it is already disconnected, and offers no form.
    page.get_by_role("link", name="Disconnect Xero").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xero is already disconnected")
    expect(page.get_by_label("Your password")).to_have_count(0)
    assert axe_at_both_widths(page) == []


def test_a_get_on_the_action_is_405_and_changes_nothing(page, base, linked):
    response = page.goto(f"{base}/connection/disconnect/confirm/")
    assert response.status == 405 and response.headers["allow"] == "POST"
    expect(page.get_by_role("heading", level=1)).to_have_text("Nothing has changed")
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-change-405")
    assert page.goto(f"{base}/connection/switch/confirm/").status == 405
    assert linked.total == 0, linked.paths
    assert not ConnectionChange.objects.exists()


def test_reconnect_relinks_the_same_connection_and_a_changed_tenant_is_pointed_out(page, base, linked):
    xero_id = accounting_at_codat()[0]["id"]
    disconnect(page)
    page.wait_for_url(f"{base}/connection/")
    controls.set_tenant_name(company_id(), "Other Ltd")  # the merchant picks another organisation at Xero
    through_sync_flow(page, "Reconnect Xero", base)
    expect(headline(page)).to_have_text("Connected to Other Ltd on Xero")
    assert [(c["id"], c["status"]) for c in accounting_at_codat()] == [(xero_id, "Linked")]  # the same connection
    assert ConnectionChange.objects.filter(action="reconnect", outcome="started").count() == 1

    warning = page.locator(".alert--warning")
    expect(warning).to_contain_text("You connected Other Ltd; before, Bean & Leaf Ltd.")
    expect(warning).to_contain_text("use Change settings (or disconnect, then reconnect) and choose Bean & Leaf Ltd")
    expect(page.get_by_role("button", name="Change settings")).to_be_visible()
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-tenant-changed")
    page.get_by_role("button", name="Other Ltd is right").click()
    page.wait_for_url(f"{base}/connection/")
    expect(page.locator(".alert--warning")).to_have_count(0)


def test_switch_to_quickbooks_deletes_once_then_one_accounting_connection(page, base, linked):
    page.goto(f"{base}/")
    expect(page.get_by_text("Switch from Xero first to use QuickBooks Online.")).to_be_visible()
    expect(page.get_by_role("button", name="Link your QuickBooks Online account")).to_have_count(0)
    assert axe_at_both_widths(page) == []
    screenshot(page, "select-switch-first")

    page.get_by_role("link", name="switch from Xero").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Switch from Xero?")
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-switch-confirm")
    page.get_by_label("Your password").fill(MERCHANT_PASSWORD)
    page.get_by_role("button", name="Remove Xero and choose another").click()
    page.wait_for_url(f"{base}/")
    expect(page.locator(".flash")).to_contain_text("Xero is removed.")
    assert faults.call_counts()["delete-connection"] == 1 and len(sent(linked, "DELETE")) == 1
    assert accounting_at_codat() == []
    assert axe_at_both_widths(page) == []
    screenshot(page, "select-after-switch")

    through_sync_flow(page, "Link your QuickBooks Online account", base)
    expect(headline(page)).to_have_text(re.compile("^Connected to .* on QuickBooks Online$"))
    assert [(c["integrationKey"], c["status"]) for c in accounting_at_codat()] == [("qhyg", "Linked")]
    assert faults.call_counts()["delete-connection"] == 1


def test_a_second_platform_is_refused_without_minting(page, base, linked):
    # A tile from a page opened before the link was made, posted now.
    page.goto(f"{base}/")
    page.evaluate("""() => {
        const button = document.querySelector('.tiles-form button[name=platform_key]');
        button.value = 'qhyg';
        button.form.requestSubmit(button);
    }""")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("We can’t link that platform")
    expect(page.get_by_text(re.compile("You’re connected to Xero. To use QuickBooks Online instead"))).to_be_visible()
    expect(page.get_by_role("link", name="Switch platform")).to_be_visible()
    assert faults.calls("get-sync-flow-url") == 0
    assert axe_at_both_widths(page) == []
    screenshot(page, "link-refused-switch-first")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_double_click_makes_one_call(browser, base, linked, merchant_and_user, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    tab = context.new_page()
    logged_in(tab, base, merchant_and_user[1], "/connection/disconnect/")
    tab.get_by_label("Your password").fill(MERCHANT_PASSWORD)
    faults.inject("update-connection", latency_ms=500)  # the second click lands while the first is at Codat
    tab.get_by_role("button", name="Disconnect Xero").dblclick()
    tab.wait_for_url(f"{base}/connection/")
    expect(tab.locator("h2.connection__headline")).to_have_text("Disconnected from Xero")
    context.close()
    assert faults.calls("update-connection") == 1 and len(sent(linked, "PATCH")) == 1
    assert ConnectionChange.objects.filter(action="disconnect").count() == 1


def test_codat_failing_says_not_disconnected_and_shows_the_real_state(page, base, linked):
    faults.inject("update-connection", status=503)
    page.get_by_role("link", name="Disconnect Xero").click()
    page.get_by_label("Your password").fill(MERCHANT_PASSWORD)
    with page.expect_response(f"{base}/connection/disconnect/confirm/") as answer:
        page.get_by_role("button", name="Disconnect Xero").click()
    assert answer.value.status == 502
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Xero was not disconnected. Please try again.")
    expect(alert).to_contain_text("We asked Codat again, and it says: Connected to Bean & Leaf Ltd on Xero.")
    assert faults.calls("update-connection") == 1
    assert axe_at_both_widths(page) == []
    screenshot(page, "connection-disconnect-failed")


def test_a_merchant_cannot_act_on_another_merchants_connection(browser, base, linked):
    bean = CompanyBinding.objects.get().merchant
    _, other_user = make_merchant(identifier="Corner Shop", name="Corner Shop", username="corner")
    context = browser.new_context()
    tab = context.new_page()
    logged_in(tab, base, other_user, "/connection/disconnect/")
    expect(tab.get_by_role("heading", level=1)).to_have_text("There’s nothing to disconnect")
    assert tab.goto(f"{base}/staff/merchants/{bean.pk}/connection/disconnect/").status == 403
    context.close()
    assert faults.calls("update-connection") == 0
    assert {c["integrationKey"]: c["status"] for c in accounting_at_codat()} == {"gbol": "Linked"}


def test_staff_on_behalf_is_recorded_as_assisted(browser, base, linked):
    bean = CompanyBinding.objects.get().merchant
    staff_user = make_staff()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    logged_in(tab, base, staff_user, f"/staff/merchants/{bean.pk}/")
    expect(tab.get_by_role("heading", name="Their Xero connection")).to_be_visible()
    tab.get_by_role("link", name="Disconnect Xero").click()
    expect(tab.get_by_text("You are acting on behalf of Bean & Leaf")).to_be_visible()
    assert axe_at_both_widths(tab) == []
    screenshot(tab, "staff-disconnect-confirm")
    tab.get_by_label("Your password").fill(STAFF_PASSWORD)
    tab.get_by_role("button", name="Disconnect Xero").click()
    tab.wait_for_url(f"{base}/staff/merchants/{bean.pk}/")
    changes = tab.get_by_role("region", name="Connection changes")
    expect(changes).to_contain_text("Disconnect Xero")
    expect(changes).to_contain_text("staff, assisted")
    expect(tab.get_by_role("button", name="Reconnect Xero")).to_be_visible()
    assert axe_at_both_widths(tab) == []
    screenshot(tab, "staff-merchant-detail-changes")

    with tab.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")):
        tab.get_by_role("button", name="Reconnect Xero").click()
    tab.get_by_role("button", name="Finish").click()
    tab.wait_for_url(f"{base}/staff/merchants/{bean.pk}/link/return/")
    context.close()
    change, reconnect = ConnectionChange.objects.order_by("at", "pk")
    assert (change.action, change.assisted, change.user, change.outcome) == ("disconnect", True, staff_user, "done")
    assert (reconnect.action, reconnect.assisted, reconnect.user) == ("reconnect", True, staff_user)
    assert [c["status"] for c in accounting_at_codat()] == ["Linked"]
    assert faults.calls("update-connection") == 1
