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
    with page.expect_response(re.compile(r"/link/failed/\d+/$")) as answer:
        page.get_by_role("button", name="Link your Xero account").click()
    assert answer.value.status == 504
    attempt = LinkAttempt.objects.get()
    page.wait_for_url(f"{base}/link/failed/{attempt.pk}/")  # post/redirect/get
    expect(page.get_by_role("heading", level=1)).to_contain_text("couldn’t open the Xero set-up")
    assert axe_violations(page) == []
    screenshot(page, "error")
    assert mints() == 2

    # A reload shows the same page and mints nothing.
    assert page.reload().status == 504
    expect(page.get_by_role("heading", level=1)).to_contain_text("couldn’t open the Xero set-up")
    assert mints() == 2

    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name="Try again").click()
    assert arrival.value.status == 200
    page.wait_for_url(re.compile(r"/sandbox/sync-flow/.*/start"))
    assert mints() == 3

    # Back from the Sync Flow: the failure page again, by GET (no "Confirm Form Resubmission").
    back = page.go_back()
    assert back is not None and back.request.method == "GET"
    assert page.url == f"{base}/link/failed/{attempt.pk}/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("couldn’t open the Xero set-up")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    assert mints() == 3


@pytest.mark.usefixtures("signed_in")
def test_a_tampered_key_is_refused_without_minting(page, base):
    # Each refusal's status and message: tests/integrations/test_link_flow.py. Here, the page a browser shows.
    page.locator("button[name=platform_key][value=gbol]").evaluate("button => button.value = 'zzzz'")
    with page.expect_response(f"{base}/link/") as answer:
        page.get_by_role("button", name="Link your Xero account").click()
    assert answer.value.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We can’t link that platform")
    assert mints() == 0
    assert axe_violations(page) == []


@pytest.mark.usefixtures("signed_in")
def test_missing_csrf_token_is_403(page, base):
    page.locator("form:has(button[value=gbol]) input[name=csrfmiddlewaretoken]").evaluate("input => input.remove()")
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


@pytest.mark.usefixtures("signed_in")
def test_a_logo_that_stops_resolving_falls_back_to_the_monogram(page, base):
    """Client side: a logo URL that 404s (cache lag, evicted elsewhere) shows the monogram, not a broken image."""
    from integrations.models import Logo

    xero = Logo.objects.get(integration_id="gbol", variant="square").digest
    page.route(f"**/logos/{xero}.*", lambda route: route.fulfill(status=404, body="gone"))
    page.reload()
    tile = page.locator(".tile", has=page.get_by_role("heading", name="Xero", exact=True))
    expect(tile.locator(".monogram")).to_be_visible()
    expect(tile.locator(".monogram")).to_have_text("X")
    expect(tile.locator("img")).to_have_count(0)
    broken = page.evaluate("[...document.images].filter(img => img.complete && img.naturalWidth === 0).length")
    assert broken == 0
    expect(page.locator(".tile img")).to_have_count(6)  # the others keep their logos
    assert axe_violations(page) == []
    screenshot(page, "select-logo-fallback")


@pytest.mark.usefixtures("signed_in")
def test_a_logo_evicted_before_the_page_is_served_is_a_monogram_already(page, base, settings):
    """Server side: the row is gone, so the page is served with the monogram (nothing for the browser to fetch)."""
    from integrations.models import Logo

    settings.SHARED_CACHE = False  # per-process caches, where another process's eviction goes unheard

    Logo.objects.filter(integration_id="gbol").delete()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.reload()
    tile = page.locator(".tile", has=page.get_by_role("heading", name="Xero", exact=True))
    expect(tile.locator(".monogram")).to_be_visible()
    expect(tile.locator("img")).to_have_count(0)
    assert all("/logos/" not in url or page.request.get(url).status == 200 for url in requested)


WAIT_STATUS = "document.querySelector('button[value=gbol]').closest('.tile').querySelector('[role=status][data-link-wait]')"


@pytest.mark.usefixtures("signed_in")
def test_a_slow_codat_is_announced_while_the_page_waits(page, base):
    """A real slow Codat: while the POST is pending, the page says so in its live region.

    Playwright waits for a pending navigation before it reads the page, so the page records what
    its live region said (and how many tiles were inert) in sessionStorage, which outlives the
    navigation to the (same-origin) stand-in Sync Flow."""
    faults.inject("get-sync-flow-url", latency_ms=3_000, times=1)
    assert page.evaluate(f"{WAIT_STATUS}.textContent") == ""  # the live region is there before anything happens
    page.evaluate(f"""() => {{
        const status = {WAIT_STATUS};
        new MutationObserver(() => sessionStorage.setItem('announced', JSON.stringify({{
            text: status.textContent,
            inert: document.querySelectorAll('.tile[inert]').length,
            tiles: document.querySelectorAll('.tile').length,
            navigating: location.pathname,
        }}))).observe(status, {{childList: true, characterData: true, subtree: true}});
    }}""")
    assert open_sync_flow(page, base) == 200
    announced = page.evaluate("JSON.parse(sessionStorage.getItem('announced'))")
    assert "Opening the Xero set-up at Codat. This can take a few seconds" in announced["text"]
    assert announced["navigating"] == "/" and announced["inert"] == announced["tiles"] - 1


@pytest.mark.usefixtures("signed_in")
def test_the_wait_keeps_other_tiles_inert_offers_a_way_out_and_passes_axe(page, base):
    """The same wait, held in place (the form's submission is cancelled after portal.js has seen it),
    so that every state can be looked at, checked with axe-core and used with the real mouse."""
    page.evaluate("window.addEventListener('submit', event => event.preventDefault())")
    page.get_by_role("button", name="Link your Xero account").click()
    status = page.locator(".tile", has=page.get_by_role("heading", name="Xero", exact=True)).get_by_role("status")
    expect(status).to_contain_text("Opening the Xero set-up at Codat. This can take a few seconds; please keep this page open.")
    expect(page.locator(".tile[aria-busy=true]")).to_contain_text("Xero")
    expect(page.locator(".tile[inert]")).to_have_count(page.locator(".tile").count() - 1)
    assert not page.evaluate("[...document.querySelectorAll('.tile[inert] button')].some(b => { b.focus(); return document.activeElement === b; })")
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == []
    screenshot(page, "select-waiting")

    stop = page.get_by_role("button", name="Stop waiting")
    expect(stop).to_be_visible(timeout=10_000)  # offered after a few seconds
    expect(status).to_contain_text("Codat is taking longer than usual.")
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == []
    screenshot(page, "select-waiting-way-out")
    stop.click()
    expect(status).to_have_text("Stopped. Nothing was changed: choose a platform to try again.")
    expect(page.locator(".tile[inert]")).to_have_count(0)
    expect(page.get_by_role("button", name="Link your Xero account")).to_be_enabled()
    assert mints() == 0


def test_a_cold_page_shows_its_tiles_at_once_and_each_logo_as_it_arrives(page, live_server, transactional_db, merchant_and_user):
    """Nothing cached but the catalogue: the page is served without waiting for branding; each tile's
    logo comes from /logos/for/<key>/ once the fetch the page started brings it (issue 17)."""
    from integrations.services import refresher
    from integrations.services.catalogue import catalogue_refresh

    catalogue_refresh(force=True)
    faults.inject("get-integration-branding", latency_ms=300)
    logo_answers = []
    page.on("response", lambda r: "/logos/for/" in r.url and logo_answers.append(r.status))
    logged_in(page, live_server.url, merchant_and_user[1])
    expect(page.get_by_role("button", name="Link your Xero account")).to_be_visible()
    page.wait_for_function(
        "[...document.querySelectorAll('.tile img')].length === 7 &&"
        " [...document.querySelectorAll('.tile img')].every(img => img.complete && img.naturalWidth > 0)"
    )
    assert sorted(logo_answers) == [200] * 7
    expect(page.locator(".tile .monogram:visible")).to_have_count(0)
    assert axe_violations(page) == []
    refresher.wait_idle(timeout=5)
    faults.reset()
