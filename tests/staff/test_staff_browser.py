"""POS staff in a real browser: onboard, hand over a sign-in link, assist linking; merchants kept out."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from codat_sandbox import faults
from integrations.models import CompanyBinding, ConnectionSnapshot, LinkAttempt
from merchants.models import Merchant, SignInLink
from merchants.services import sign_in_link_issue
from tests.browser import WIDTHS, axe_violations, logged_in, screenshot
from tests.factories import STAFF_PASSWORD, make_merchant, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "quince-harbour-Sunday-83"


@pytest.fixture
def staff(transactional_db):
    return make_staff()


@pytest.fixture
def base(live_server, warm_live_cache, merchant_and_user, staff):
    yield live_server.url
    faults.reset()


def staff_log_in(page, base, username="sam", password=STAFF_PASSWORD):
    """Through the log-in form (the other tests start logged in: see ``logged_in``)."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/staff/")  # staff start in their own area


def open_sync_flow(page, name="Xero"):
    with page.expect_response(re.compile(r"/sandbox/sync-flow/.*/start")) as arrival:
        page.get_by_role("button", name=f"Link your {name} account", exact=True).click()
    return arrival.value.status


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0


def test_reload_and_back_after_onboarding_never_post_again(page, base, staff):
    logged_in(page, base, staff, "/staff/merchants/new/")
    page.get_by_label("Merchant name").fill("Quay Books")
    page.get_by_label("Merchant identifier").fill("POS-9001")
    page.get_by_label("Their first user’s full name").fill("Ada Quay")
    page.get_by_label("Their first user’s email address").fill("ada@quay.example")
    page.get_by_role("button", name="Create merchant and sign-in link").click()
    page.wait_for_url(re.compile(r"/sign-in-link/issued/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand over this sign-in link")
    url = page.get_by_label("One-time sign-in link").input_value()

    reloaded = page.reload()
    assert reloaded.status == 200 and reloaded.request.method == "GET"
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in link has already been shown")
    assert url not in page.content()

    # Back: the onboarding form, fetched by GET; no "Confirm Form Resubmission", nothing posted.
    back = page.go_back()
    assert back.status == 200 and back.request.method == "GET"
    assert page.url == f"{base}/staff/merchants/new/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Onboard a merchant")
    forward = page.go_forward()
    assert forward.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in link has already been shown")
    assert Merchant.objects.filter(identifier="POS-9001").count() == 1
    assert SignInLink.objects.filter(user__email="ada@quay.example").count() == 1

    # The button issues a new one (voiding the first), shown once on the same kind of page.
    page.get_by_role("button", name=re.compile("^Issue a new sign-in link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand over this sign-in link")
    assert page.get_by_label("One-time sign-in link").input_value() != url
    assert SignInLink.objects.filter(user__email="ada@quay.example", voided_at__isnull=False).count() == 1
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == []


def test_onboard_a_merchant_who_signs_in_once_and_reaches_the_sync_flow(page, browser, base):
    staff_log_in(page, base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Merchants")
    page.get_by_role("link", name="Onboard a merchant").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Onboard a merchant")

    # nothing filled in: every problem listed, the summary focused, each entry leading to its field
    with page.expect_response(f"{base}/staff/merchants/new/") as answer:
        page.get_by_role("button", name="Create merchant and sign-in link").click()
    assert answer.value.status == 400
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter the merchant’s name.", "Enter a merchant identifier.", "Enter the person’s name.", "Enter an email address."]
    )
    expect(page.get_by_label("Merchant identifier")).to_have_attribute("aria-invalid", "true")
    assert page.title().startswith("Error: ")
    assert axe_violations(page) == []
    screenshot(page, "staff-onboard-errors")

    page.get_by_label("Merchant name").fill("Harbour Café")
    page.get_by_label("Merchant identifier").fill("POS-7781 / Harbour")
    page.get_by_label("Their first user’s full name").fill("Noor Haddad")
    page.get_by_label("Their first user’s email address").fill("noor@harbour.example")
    with page.expect_response(f"{base}/staff/merchants/new/") as answer:
        page.get_by_role("button", name="Create merchant and sign-in link").click()
    assert answer.value.status == 303  # post/redirect/get: the page below is a GET
    page.wait_for_url(re.compile(r"/staff/merchants/\d+/logins/\d+/sign-in-link/issued/$"))
    assert "token" not in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand over this sign-in link")
    expect(page.get_by_role("status").first).to_contain_text("Harbour Café is set up")
    assert axe_violations(page) == []
    screenshot(page, "staff-link-issued")

    link_field = page.get_by_label("One-time sign-in link")
    url = link_field.input_value()
    assert url.startswith(f"{base}/sign-in/?token=")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url

    # A reload neither re-posts the onboarding ("already exists") nor shows the link again.
    issued_page = page.url
    reloaded = page.reload()
    assert reloaded.status == 200 and page.url == issued_page
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in link has already been shown")
    assert url not in page.content()
    expect(page.get_by_role("button", name=re.compile("^Issue a new sign-in link"))).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-link-already-shown")
    assert Merchant.objects.filter(identifier="POS-7781 / Harbour").count() == 1

    # the merchant, on their own device: no session, no cookies
    merchant_context = browser.new_context(viewport={"width": WIDTHS["phone"], "height": 800})
    try:
        merchant_page = merchant_context.new_page()
        arrival = merchant_page.goto(url)
        assert arrival.status == 200 and merchant_page.url == f"{base}/sign-in/set-password/"
        expect(merchant_page.get_by_role("heading", level=1)).to_have_text("Set your password")
        expect(merchant_page.get_by_label("Your username")).to_have_value("noor@harbour.example")
        assert axe_violations(merchant_page) == []
        screenshot(merchant_page, "sign-in-set-password")

        merchant_page.get_by_label("Choose a password").fill("password")
        merchant_page.get_by_label("Type it again").fill("password")
        merchant_page.get_by_role("button", name="Set password and continue").click()
        expect(merchant_page.get_by_role("alert")).to_contain_text("This password is too common.")
        assert axe_violations(merchant_page) == []
        screenshot(merchant_page, "sign-in-set-password-errors")

        merchant_page.get_by_label("Choose a password").fill(NEW_PASSWORD)
        merchant_page.get_by_label("Type it again").fill(NEW_PASSWORD)
        merchant_page.get_by_role("button", name="Set password and continue").click()
        merchant_page.wait_for_url(f"{base}/")
        expect(merchant_page.get_by_role("heading", level=1)).to_have_text("Connect your accounting software")
        expect(merchant_page.locator(".site-header__user")).to_contain_text("Harbour Café · Noor Haddad")
        assert open_sync_flow(merchant_page) == 200
        expect(merchant_page.get_by_role("heading", name="Set up your sales sync")).to_be_visible()
        harbour = CompanyBinding.objects.get(merchant__identifier__startswith="POS-7781")
        assert f"merchantIdentifier={harbour.company_id}" in merchant_page.url
    finally:
        merchant_context.close()
    attempt = LinkAttempt.objects.get()
    assert attempt.user.username == "noor@harbour.example" and not attempt.assisted

    # the same link again, anywhere: a clear refusal
    again_context = browser.new_context()
    try:
        again = again_context.new_page()
        refused = again.goto(url)
        assert refused.status == 410
        expect(again.get_by_role("heading", level=1)).to_have_text("This sign-in link has already been used")
        expect(again.get_by_text("ask Sandbox POS staff")).to_be_visible()
        assert axe_violations(again) == []
        screenshot(again, "sign-in-refused-used")
    finally:
        again_context.close()

    # the staff page shows where the new merchant stands
    page.goto(f"{base}/staff/?q=harbour")
    row = page.get_by_role("row", name=re.compile("Harbour Café"))
    expect(row).to_contain_text("Not finished")


def test_an_expired_link_is_refused_clearly(page, base, staff):
    merchant, user = make_merchant(username="late@example.com", password=None)
    issued = sign_in_link_issue(user=user, created_by=staff)
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    refused = page.goto(f"{base}/sign-in/?token={issued.token}")
    assert refused.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in link has expired")
    expect(page.get_by_text("ask Sandbox POS staff")).to_be_visible()
    expect(page.get_by_role("link", name="Go to log in")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "sign-in-refused-expired")


def test_assisted_linking_records_the_staff_member(page, base, merchant_and_user, staff):
    merchant, _ = merchant_and_user
    logged_in(page, base, staff, "/staff/")
    page.get_by_role("link", name="Bean & Leaf").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bean & Leaf")
    assert axe_violations(page) == []
    screenshot(page, "staff-merchant-detail")

    page.get_by_role("link", name="Connect on their behalf").click()
    banner = page.get_by_role("region", name="Connecting on a merchant’s behalf")
    expect(banner).to_contain_text("You are connecting on behalf of Bean & Leaf")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect your accounting software")
    assert axe_violations(page) == []
    screenshot(page, "staff-assist-select")

    assert open_sync_flow(page) == 200
    assert f"merchantIdentifier={CompanyBinding.objects.get(merchant=merchant).company_id}" in page.url
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url(f"{base}/staff/merchants/{merchant.pk}/link/return/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Back from Codat")
    expect(page.get_by_text(re.compile("Connected to .* on Xero"))).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-assist-returned")

    attempt = LinkAttempt.objects.get()
    assert (attempt.merchant_id, attempt.user_id, attempt.assisted) == (merchant.pk, staff.pk, True)
    assert attempt.returned_at is not None
    page.get_by_role("link", name="All merchants").click()
    expect(page.get_by_role("row", name=re.compile("Bean & Leaf"))).to_contain_text("Linked")
    page.get_by_role("link", name="Bean & Leaf").click()
    history = page.get_by_role("region", name="Connection attempts")
    expect(history.get_by_role("row").nth(1)).to_contain_text("Sam Okafor")
    expect(history.get_by_role("row").nth(1)).to_contain_text("staff, assisted")
    assert axe_violations(page) == []
    screenshot(page, "staff-merchant-detail-linked")


def test_the_merchant_list_searches_sorts_pages_and_fits_every_width(page, base, staff):
    now = timezone.now()
    for n in range(30):
        shop = Merchant.objects.create(name=f"Shop {n:02d}", identifier=f"shop-{n:02d}")
        if n % 3 != 2:
            ConnectionSnapshot.objects.create(
                merchant=shop, company_id=f"company-{n}", status="linked" if n % 3 == 0 else "needs_attention",
                platform_name="Xero" if n % 3 == 0 else "QuickBooks Online", fetched_at=now,
                expires_at=now + timedelta(hours=1),
            )
    logged_in(page, base, staff, "/staff/")
    expect(page.get_by_text("1–25 of 31 merchants")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "staff-merchants")
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 900})
        assert no_horizontal_overflow(page), width
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})

    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_text("26–31 of 31 merchants")).to_be_visible()

    page.get_by_label("Name or identifier").fill("shop")
    page.get_by_label("Connection status", exact=True).select_option(label="Needs attention")
    page.get_by_role("button", name="Show merchants").click()
    expect(page.get_by_text("10 merchants matching “shop” with status “Needs attention”")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(10)

    page.get_by_role("columnheader", name="Merchant").get_by_role("link").click()  # the sorted column: now Z to A
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Merchant")
    expect(page.locator("tbody tr").first).to_contain_text("Shop 28")
    assert axe_violations(page) == []


def test_staff_pages_fit_every_width(page, base, merchant_and_user, staff):
    merchant, _ = merchant_and_user
    logged_in(page, base, staff, "/staff/")
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 900})
        for path in ["/staff/", "/staff/merchants/new/", f"/staff/merchants/{merchant.pk}/", f"/staff/merchants/{merchant.pk}/link/"]:
            page.goto(f"{base}{path}")
            assert no_horizontal_overflow(page), (width, path)


def test_add_another_login_and_email_a_sign_in_link(page, base, staff, merchant_and_user, settings):
    from django.contrib.auth import get_user_model

    from tests.webhook_helpers import run_tasks, smtp_server

    merchant = merchant_and_user[0]
    LinkAttempt.objects.create(  # the list shows the latest attempt's outcome
        merchant=merchant, platform_key="pbbf", platform_name="Exact (UK)", outcome="failed",
        failure_reason="timeout", started_at=timezone.now(),
    )
    logged_in(page, base, staff, "/staff/")
    row = page.get_by_role("row", name=re.compile("Bean & Leaf"))
    expect(row).to_contain_text("Failed: Codat timed out")
    expect(row).to_contain_text("Exact (UK)")
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == []
    screenshot(page, "staff-list-last-attempt")

    page.goto(f"{base}/staff/merchants/{merchant.pk}/")
    page.get_by_role("link", name="Add another login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add another login for Bean & Leaf")
    page.get_by_role("button", name="Add login and sign-in link").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the person’s name.")
    for width in (WIDTHS["phone"], WIDTHS["desktop"]):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == []
    screenshot(page, "staff-login-new-errors")
    page.get_by_label("Their full name").fill("Ravi Shah")
    page.get_by_label("Their email address").fill("ravi@bean.example")
    page.get_by_role("button", name="Add login and sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand over this sign-in link")
    assert page.reload().status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in link has already been shown")

    ravi = get_user_model().objects.get(email="ravi@bean.example")
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        page.get_by_role("link", name="Go to Bean & Leaf").click()
        page.get_by_role("button", name="Email a new sign-in link to ravi@bean.example").click()
        expect(page.get_by_role("status").first).to_contain_text("A new sign-in link is on its way to ravi@bean.example")
        for width in (WIDTHS["phone"], WIDTHS["desktop"]):
            page.set_viewport_size({"width": width, "height": 900})
            assert axe_violations(page) == []
        screenshot(page, "staff-merchant-logins")
        run_tasks()
        [(recipients, message)] = inbox.messages
    assert recipients == ["ravi@bean.example"]
    url = re.search(rf"{re.escape(base)}/sign-in/\?token=\S+", message).group(0)
    merchant_page = page.context.browser.new_context().new_page()
    try:
        merchant_page.goto(url)
        expect(merchant_page.get_by_role("heading", level=1)).to_have_text("Set your password")
    finally:
        merchant_page.context.close()
    assert SignInLink.objects.filter(user=ravi, voided_at__isnull=False).count() == 1
