"""“Your connection”: what Codat says, one headline and one next step, through the full request stack.

Transactional: snapshot refreshes run in worker threads, which must see the test's rows.
"""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from codat_sandbox import controls
from integrations.models import CompanyBinding, ConnectionSnapshot, LinkAttempt
from staff.selectors import merchant_get

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(merchant_client, warm_live_cache, counting):
    """The merchant's browser, with helpers to start a link and come back from Codat."""

    class Page:
        client = merchant_client
        calls = counting

        def start(self, key="gbol") -> str:
            response = merchant_client.post("/link/", {"platform_key": key})
            assert response.status_code == 302, response.content[:300]
            return CompanyBinding.objects.get().company_id

        def come_back(self, query="") -> str:
            response = merchant_client.get(f"/link/return/{query}")
            assert (response.status_code, response["Location"]) == (302, "/connection/")
            return self.html()

        def html(self) -> str:
            response = merchant_client.get("/connection/")
            assert response.status_code == 200
            return unescape(response.content.decode())

    return Page()


def headline(html: str) -> str:
    return re.search(r'<h2 id="standing" class="connection__headline">([^<]+)</h2>', html).group(1)


def action(html: str) -> tuple[str, str, str] | None:
    """(form action, platform key, button label) of the page's one primary action."""
    found = re.search(
        r'<form method="post" action="([^"]+)" class="actions" data-single-submit>.*?'
        r'name="platform_key" value="([^"]*)">\s*<button type="submit" class="button[^"]*">([^<]+)</button>',
        html,
        re.S,
    )
    return found.groups() if found else None


def test_before_linking_not_connected_with_the_picker_and_no_codat_call(page):
    html = page.html()
    assert headline(html) == "Not connected"
    assert "Link your Xero account" in html and action(html) is None
    assert "Your connection</a>" not in html  # the header link appears once there is a company
    assert page.calls.total == 0


def test_finish_on_codat_then_connected_with_tenant_platform_and_next_sync(page):
    company_id = page.start()
    controls.link(company_id, "gbol", tenant_name="Bean & Leaf Trading Ltd")
    html = page.come_back()
    assert headline(html) == "Connected to Bean & Leaf Trading Ltd on Xero"
    assert action(html) == ("/link/", "gbol", "Change settings")
    assert "None yet" in html and "Expected after" in html and "As of" in html
    assert '<a href="/connection/">Your connection</a>' in html
    assert "See where your connection stands" in unescape(page.client.get("/").content.decode())
    assert merchant_get(merchant_id=CompanyBinding.objects.get().merchant_id).status == "linked"


def test_coming_back_without_finishing_proves_nothing(page):
    page.start()
    html = page.come_back("?status=success&linked=true")
    assert headline(html) == "Connection not finished"
    assert action(html) == ("/link/", "gbol", "Continue setup")
    assert LinkAttempt.objects.get().returned_at is not None  # recorded as history only
    assert merchant_get(merchant_id=CompanyBinding.objects.get().merchant_id).status == "not_finished"


def test_cancel_on_codat_says_not_finished_with_codats_reason(page):
    controls.cancel(page.start(), "gbol")
    html = page.come_back()
    assert headline(html) == "Connection not finished"
    assert "Codat says: The user cancelled authorisation." in html


@pytest.mark.parametrize(
    "script, expected_headline, expected_action",
    [
        (lambda c: controls.set_connection_status(c, status="Deauthorized", platform_key="gbol"),
         "Disconnected from Xero", "Reconnect Xero"),
        (lambda c: controls.set_connection_status(c, status="Unlinked", platform_key="gbol"),
         "Disconnected from Xero", "Reconnect Xero"),
        (lambda c: controls.push_sync(c, status_code=4220, error_message="De-authorised"),
         "Disconnected from Xero", "Reconnect Xero"),
        (lambda c: controls.set_configuration(c, configured=False), "Setup not finished", "Finish setup"),
        (lambda c: controls.set_configuration(c, enable=False), "Sync paused", "Turn sync back on"),
        (lambda c: controls.push_sync(c, status_code=1000), "Syncing", "Change settings"),
    ],
)
def test_each_state_has_its_headline_and_action(page, script, expected_headline, expected_action):
    company_id = page.start()
    controls.link(company_id, "gbol")
    script(company_id)
    html = page.come_back()
    assert headline(html) == expected_headline
    assert action(html)[2] == expected_action


def test_a_4000_sync_needs_attention_and_review_settings_opens_a_fresh_code(page):
    company_id = page.start()
    controls.link(company_id, "gbol")
    controls.push_sync(company_id, status_code=4000, error_message="Choose an account for card fees.",
                       sync_exception_message="NullReferenceException in MapFees")
    html = page.come_back()
    assert headline(html) == "Needs attention"
    assert "Choose an account for card fees." in html
    assert "NullReferenceException" not in html  # Codat's internals are for staff, never merchants
    form_action, key, label = action(html)
    assert label == "Review settings"
    mints = page.calls.mints
    response = page.client.post(form_action, {"platform_key": key})
    assert response.status_code == 302 and "otp=" in response["Location"]
    assert page.calls.mints == mints + 1
    sync_flow = page.client.get(urlsplit(response["Location"]).path + "?" + urlsplit(response["Location"]).query)
    assert sync_flow.status_code == 200 and "Save settings" in sync_flow.content.decode()


def test_codat_side_failure_says_codat_retries_with_a_reference(page):
    company_id = page.start()
    controls.link(company_id, "gbol")
    sync = controls.push_sync(company_id, status_code=5130)
    html = page.come_back()
    assert headline(html) == "Last sync failed"
    assert "Codat tries again" in html and str(sync.sync_id) in html


def test_no_sales_in_that_period(page):
    company_id = page.start()
    controls.link(company_id, "gbol")
    controls.push_sync(company_id, status_code=2040, data_pushed=False)
    html = page.come_back()
    assert headline(html).startswith("Connected to")
    assert "(no sales in that period)" in html


def test_a_warm_page_makes_no_codat_call(page):
    controls.link(page.start(), "gbol")
    page.come_back()
    before = page.calls.total
    for _ in range(3):
        assert headline(page.html()).startswith("Connected to")
    assert page.calls.total == before


def test_codat_down_still_answers_with_the_last_snapshot_and_its_age(page, sandbox_faults):
    controls.link(page.start(), "gbol")
    page.come_back()
    ConnectionSnapshot.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    sandbox_faults.inject("list-connections", status=503)
    page.html()  # stale: served, and a background refresh fails
    from integrations.services import refresher

    refresher.wait_idle(timeout=10)
    html = page.html()
    assert headline(html).startswith("Connected to")
    assert "We couldn’t reach Codat just now: this is what it said" in html
    assert ConnectionSnapshot.objects.get().error.startswith("Codat list-connections failed with HTTP 503")


def test_a_never_fetched_snapshot_holds_the_page_only_briefly(page, sandbox_faults, settings):
    settings.CODAT_CONNECTION_COLD_WAIT = 0.3
    page.start()
    sandbox_faults.inject("list-connections", latency_ms=2000)
    html = page.html()
    # The page answered while Codat was still answering: it did not wait for the refresh.
    assert ConnectionSnapshot.objects.get().fetched_at is None
    assert headline(html) == "Not connected"
