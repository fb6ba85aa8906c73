"""Always a way onward, in a real browser: forgot password (by email, through a real SMTP server),
the lock-out page, the designed 404 and the sandbox's expired Sync Flow link."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import WIDTHS, axe_violations, screenshot
from tests.factories import make_merchant
from tests.webhook_helpers import run_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "lantern-Orchard-tuesday-58"


@pytest.fixture
def base(live_server, transactional_db):
    make_merchant(name="Pat’s Pantry", username="pat", email="pat@shop.example")
    return live_server.url


def no_axe_violations_at_both_widths(page):
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], width


def test_forgot_password_by_email_then_log_in(page, base, smtp):
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    no_axe_violations_at_both_widths(page)
    screenshot(page, "password-reset")

    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter your email address.")
    no_axe_violations_at_both_widths(page)
    page.get_by_label("Your email address").fill("pat@shop.example")
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    no_axe_violations_at_both_widths(page)
    screenshot(page, "password-reset-sent")

    run_tasks()  # the worker sends it
    [(recipients, message)] = smtp.messages
    assert recipients == ["pat@shop.example"]
    link = re.search(rf"{re.escape(base)}/accounts/password-reset/\S+/", message).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert "set-password" in page.url  # the token left the address bar (Django keeps it in the session)
    no_axe_violations_at_both_widths(page)
    screenshot(page, "password-reset-choose")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type it again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password has been changed")
    no_axe_violations_at_both_widths(page)
    page.get_by_role("link", name="Go to log in").click()
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")

    # the link again: dead, and the page offers a new one
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This reset link no longer works")
    expect(page.get_by_role("link", name="Email me a new reset link")).to_be_visible()
    no_axe_violations_at_both_widths(page)


def test_locked_out_says_how_long_and_leads_back(page, base, settings):
    page.goto(f"{base}/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("Username").fill("pat")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed log-in attempts")
    expect(page.get_by_text("paused for 15 minutes")).to_be_visible()
    no_axe_violations_at_both_widths(page)
    screenshot(page, "locked-out")
    page.get_by_role("link", name="Reset your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.go_back()
    page.get_by_role("link", name="Back to log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_unknown_urls_show_the_designed_404_in_sandbox_mode(page, base, settings):
    settings.DEBUG = True  # as `make run` has it
    response = page.goto(f"{base}/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We can’t find that page")
    no_axe_violations_at_both_widths(page)
    screenshot(page, "not-found")
    page.get_by_role("link", name="Go to the start").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_the_sandbox_expired_page_leads_back_to_the_portal(page, base):
    response = page.goto(f"{base}/sandbox/sync-flow/{uuid.uuid4()}/pos/gbol/start?otp=123456")
    assert response.status == 401
    no_axe_violations_at_both_widths(page)
    screenshot(page, "sandbox-expired")
    page.get_by_role("link", name="Back to the portal").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/(accounts/login/.*)?$"))
