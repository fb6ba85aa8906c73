"""The selection page's hierarchy in a real browser: the filter box, tiles that fit a phone, and
axe-core on every state (tests/integrations/test_selection_page.py has the markup)."""

import re

import pytest
from playwright.sync_api import expect

from codat_sandbox import faults
from tests.browser import SCREENSHOTS, WIDTHS, axe_violations, logged_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": WIDTHS["phone"], "height": 844}  # an iPhone 12-15's viewport
ALL = [
    "Exact (NL)", "Exact (UK)", "FreeAgent", "MYOB", "QuickBooks Online", "Xero",
    "Sage Business Cloud Accounting",
]


@pytest.fixture
def base(live_server, warm_live_cache, merchant_and_user):
    yield live_server.url
    faults.reset()


@pytest.fixture
def signed_in(page, base, merchant_and_user):
    logged_in(page, base, merchant_and_user[1])


def visible_tiles(page) -> list[str]:
    return page.locator(".tile:visible .tile__name").all_inner_texts()


def no_axe_violations_at_both_widths(page):
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], width


@pytest.mark.usefixtures("signed_in")
def test_typing_filters_the_tiles_and_says_what_is_left(page, base):
    search = page.get_by_role("searchbox", name="Find your accounting software")
    status = page.locator("[data-tile-filter-status]")
    expect(search).to_be_visible()
    assert visible_tiles(page) == ALL
    no_axe_violations_at_both_widths(page)
    screenshot(page, "select-hierarchy")

    search.press_sequentially("XE")  # case-insensitive; "Exact" has no "xe"
    expect(status).to_have_text("1 platform shown: Xero.")
    expect(status).to_have_attribute("role", "status")
    assert visible_tiles(page) == ["Xero"]
    no_axe_violations_at_both_widths(page)
    screenshot(page, "select-filtered")

    search.fill("exact")
    expect(status).to_have_text("2 platforms shown: Exact (NL), Exact (UK).")

    search.fill("Wave")
    expect(status).to_have_text("No platform matches “Wave”. My accounting software isn’t listed?")
    assert visible_tiles(page) == []
    no_axe_violations_at_both_widths(page)
    screenshot(page, "select-no-match")
    status.get_by_role("link", name="My accounting software isn’t listed?").click()
    expect(page).to_have_url(re.compile("#not-listed$"))
    expect(page.get_by_role("heading", name="My accounting software isn’t listed")).to_be_in_viewport()

    search.fill("")
    expect(status).to_have_text("All 7 platforms shown.")
    assert visible_tiles(page) == ALL


@pytest.mark.usefixtures("signed_in")
def test_a_filtered_tile_still_links(page, base):
    page.get_by_role("searchbox", name="Find your accounting software").fill("xero")
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name="Link your Xero account", exact=True).click()
    assert arrival.value.status == 200
    # The response arrives before the navigation commits: wait for it, or Back races the navigation.
    page.wait_for_url(re.compile(r"/sandbox/sync-flow/.*/start"))
    page.wait_for_load_state()
    # Back: the box still says "xero", and the list still agrees with it.
    page.go_back()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("button", name="Link your Xero account")).to_be_enabled()
    value = page.get_by_role("searchbox", name="Find your accounting software").input_value()
    assert visible_tiles(page) == (["Xero"] if value == "xero" else ALL)


@pytest.mark.usefixtures("signed_in")
def test_on_a_phone_the_first_four_platforms_fit_without_scrolling(page, base):
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("window.scrollY") == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "select-phone-first-screen-390.png"))  # what a phone shows at first
    buttons = page.locator(".tile .tile__action button")
    for index in range(4):
        box = buttons.nth(index).bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], (index, box)
        assert box["height"] >= 44  # still a comfortable touch target
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways


def test_without_javascript_every_tile_is_listed_and_no_dead_box(browser, base, merchant_and_user):
    context = browser.new_context(java_script_enabled=False, viewport={"width": WIDTHS["desktop"], "height": 900})
    try:
        page = context.new_page()
        logged_in(page, base, merchant_and_user[1])
        expect(page.get_by_role("heading", level=1)).to_have_text("Connect your accounting software")
        expect(page.get_by_role("searchbox")).to_be_hidden()
        assert visible_tiles(page) == ALL
    finally:
        context.close()


@pytest.mark.usefixtures("signed_in")
def test_with_a_connection_the_same_order_says_switch_first_and_passes_axe(page, base):
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")):
        page.get_by_role("button", name="Link your Xero account", exact=True).click()
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/connection/")
    page.goto(f"{base}/")
    expect(page.locator(".notice")).to_contain_text("Your accounting software connection is to Xero.")
    assert visible_tiles(page) == ALL
    expect(page.locator(".tile", has_text="FreeAgent")).to_contain_text("Switch from Xero first to use FreeAgent.")
    no_axe_violations_at_both_widths(page)
    screenshot(page, "select-connected")
