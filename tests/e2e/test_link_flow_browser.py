"""A merchant links their books in a real browser, against the app served over real HTTP."""

import re

import pytest
from playwright.sync_api import expect

from codat_sandbox import faults
from integrations.models import CompanyBinding, LinkAttempt
from tests.browser import WIDTHS, axe_violations, log_in, logged_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A code is used only while younger than two thirds of its TTL (0.6 s of 0.9 s); a mint
# held 0.7 s is stale on arrival, and a prompt one leaves the browser 0.9 s to get there.
SHORT_CODE_TTL, SLOW_MINT_MS = 0.9, 700


@pytest.fixture
def base(live_server, warm_live_cache, merchant_and_user):
    yield live_server.url
    faults.reset()


@pytest.fixture
def signed_in(page, base, merchant_and_user):
    """The page is at the selection page, logged in as the merchant (the form itself: the first test)."""
    logged_in(page, base, merchant_and_user[1])


def mints() -> int:
    return faults.calls("get-sync-flow-url")


def open_sync_flow(page, base, name="Xero"):
    """Click the Link button; return the HTTP status the Sync Flow answered with."""
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name=f"Link your {name} account", exact=True).click()
    # The response arrives before the navigation commits: wait for it, so the URL and history are settled.
    page.wait_for_url(re.compile(r"/sandbox/sync-flow/.*/start"))
    page.wait_for_load_state()
    return arrival.value.status


def test_log_in_link_xero_finish_and_return(page, base):
    log_in(page, base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect your accounting software")
    assert axe_violations(page) == []
    screenshot(page, "select")

    assert open_sync_flow(page, base) == 200
    expect(page.get_by_role("heading", name="Set up your sales sync")).to_be_visible()
    company_id = CompanyBinding.objects.get().company_id
    assert f"merchantIdentifier={company_id}" in page.url  # the merchant's own Codat company

    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    expect(page.get_by_role("heading", level=2, name=re.compile("^Connected to .* on Xero$"))).to_be_visible()
    attempt = LinkAttempt.objects.get()
    assert attempt.outcome == "redirected" and attempt.returned_at is not None


@pytest.mark.usefixtures("signed_in")
def test_going_back_and_clicking_again_mints_a_new_code_and_the_old_url_is_dead(page, base):
    assert open_sync_flow(page, base) == 200
    first_url = page.url
    page.go_back()
    page.wait_for_url(f"{base}/")
    assert open_sync_flow(page, base) == 200
    second_url = page.url
    assert second_url != first_url
    assert re.search(r"otp=(\d+)", second_url).group(1) != re.search(r"otp=(\d+)", first_url).group(1)
    assert page.request.get(first_url).status == 401
    assert mints() == 2


@pytest.mark.usefixtures("signed_in")
def test_first_code_stale_on_arrival_mints_exactly_twice(page, base, settings):
    settings.CODAT_SYNC_FLOW_CODE_TTL = SHORT_CODE_TTL
    faults.inject("get-sync-flow-url", latency_ms=SLOW_MINT_MS, times=1)
    assert open_sync_flow(page, base) == 200
    assert mints() == 2
    assert LinkAttempt.objects.get().outcome == "redirected_after_remint"


@pytest.mark.usefixtures("signed_in")
def test_every_code_stale_shows_the_error_page_and_try_again_recovers(page, base, settings):
    settings.CODAT_SYNC_FLOW_CODE_TTL = SHORT_CODE_TTL
    faults.inject("get-sync-flow-url", latency_ms=SLOW_MINT_MS, times=2)
    with page.expect_response(f"{base}/link/") as answer:
        page.get_by_role("button", name="Link your Xero account").click()
    assert answer.value.status == 504
    assert page.url == f"{base}/link/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("couldn’t open the Xero set-up")
    assert axe_violations(page) == []
    screenshot(page, "error")
    assert mints() == 2

    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name="Try again").click()
    assert arrival.value.status == 200
    assert mints() == 3


@pytest.mark.usefixtures("signed_in")
def test_a_tampered_key_is_refused_without_minting(page, base):
    # Each refusal's status and message: tests/integrations/test_link_flow.py. Here, the page a browser shows.
    page.locator("input[name=platform_key][value=gbol]").evaluate("input => input.value = 'zzzz'")
    with page.expect_response(f"{base}/link/") as answer:
        page.get_by_role("button", name="Link your Xero account").click()
    assert answer.value.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We can’t link that platform")
    assert mints() == 0
    assert axe_violations(page) == []


@pytest.mark.usefixtures("signed_in")
def test_missing_csrf_token_is_403(page, base):
    page.locator("form:has(input[value=gbol]) input[name=csrfmiddlewaretoken]").evaluate("input => input.remove()")
    with page.expect_response(f"{base}/link/") as answer:
        page.get_by_role("button", name="Link your Xero account").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This page has expired")
    assert mints() == 0


def test_anonymous_visitor_is_asked_to_log_in(page, base):
    page.goto(f"{base}/")
    assert page.url == f"{base}/accounts/login/?next=/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert axe_violations(page) == []
    screenshot(page, "login")


@pytest.mark.usefixtures("signed_in")
def test_double_click_costs_one_code(page, base):
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name="Link your Xero account").dblclick()
    assert arrival.value.status == 200
    page.wait_for_load_state()
    assert mints() == 1


@pytest.mark.usefixtures("signed_in")
def test_keyboard_alone_reaches_the_sync_flow(page, base):
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Link your Xero account":
            break
    else:
        pytest.fail("Tab never reached the Xero button")
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.keyboard.press("Enter")
    assert arrival.value.status == 200


@pytest.mark.usefixtures("signed_in")
def test_selection_page_fits_every_width(page):
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow == 0, width
        box = page.get_by_role("button", name="Link your QuickBooks Online account").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, width
        assert box["height"] >= 44, width  # comfortable touch target
