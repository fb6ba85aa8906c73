"""Operators' reports in a real browser: the branding cache and link attempts fit 1280 px and tell the truth."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from integrations.models import Integration
from tests.browser import WIDTHS, axe_violations, logged_in, screenshot
from tests.factories import make_link_attempt
from tests.webhook_helpers import run_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG_ERROR = (
    "Codat get-integration-branding failed with HTTP 503: The Codat API is temporarily offline for maintenance. "
    "Please try again later. (correlationId 0f3c9d2e8b7a4c1d9e6f5a4b3c2d1e0f)"
)


@pytest.fixture
def operator(django_user_model):
    user = django_user_model.objects.create_user("operator", password="operator password 42", is_staff=True)
    codenames = ["view_integration", "refresh_branding", "view_linkattempt"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def base(live_server, warm_live_cache):
    return live_server.url


def fits(page) -> bool:
    """No horizontal scrollbar: neither the page's nor the admin's scrolling results box."""
    return page.evaluate(
        "[document.documentElement, ...document.querySelectorAll('.results')].every(e => e.scrollWidth <= e.clientWidth)"
    )


def tallest_row(page) -> float:
    return page.evaluate("Math.max(...[...document.querySelectorAll('#result_list tbody tr')].map(r => r.getBoundingClientRect().height))")


def test_branding_cache_fits_and_refresh_all_reports_failures_honestly(page, base, operator, merchant, sandbox_faults):
    now = timezone.now()
    Integration.objects.filter(pk__in=["gbol", "qhyg"]).update(branding_error=LONG_ERROR, branding_error_at=now)
    logged_in(page, base, operator, "/admin/")
    expect(page.get_by_role("link", name="Branding cache", exact=True)).to_be_visible()
    page.get_by_role("link", name="Branding cache", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Branding cache")
    expect(page.get_by_text("Fresh (with errors)")).to_have_count(0)
    expect(page.locator("td.field-status", has_text="Serving the copy from")).to_have_count(2)
    assert fits(page), "horizontal scrollbar at 1280 px"
    assert tallest_row(page) < 90  # normal height: a few lines, not a paragraph
    assert axe_violations(page) == []
    screenshot(page, "admin-branding-cache")

    sandbox_faults.inject("get-integration-branding", status=503)
    page.get_by_role("button", name="Refresh all from Codat").click()
    expect(page.get_by_role("status")).to_contain_text("Refresh all: queued")
    expect(page.get_by_role("button", name="Refresh all from Codat")).to_be_disabled()
    assert axe_violations(page) == []
    run_tasks()
    page.reload()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Refresh all finished with failures")
    expect(status).to_contain_text("0 refreshed, 0 kept, 14 failed.")
    expect(page.get_by_text("Refreshed 0")).to_have_count(0)
    assert fits(page)
    assert axe_violations(page) == []
    screenshot(page, "admin-branding-refresh-failed")

    page.get_by_role("link", name="Xero", exact=True).click()  # the entry's page has the whole error
    expect(page.get_by_text("correlationId", exact=False).first).to_be_visible()


def test_link_attempts_list_shows_names_and_correlation_ids_and_fits(page, base, operator, merchant):
    for n in range(3):
        make_link_attempt(merchant, platform_key="pbbf", platform_name="Exact (UK)", outcome="failed",
                          failure_reason="upstream_error", correlation_id=f"5b1c0e7d9a2f4e3b8c6d{n:012d}", mints=1)
    make_link_attempt(merchant, outcome="redirected", mints=1)
    logged_in(page, base, operator, "/admin/integrations/linkattempt/")
    expect(page.locator("td.field-correlation_id", has_text="5b1c0e7d9a2f4e3b8c6d000000000001")).to_be_visible()
    expect(page.locator("#changelist-filter").get_by_role("link", name="Exact (UK)")).to_be_visible()
    assert fits(page), "horizontal scrollbar at 1280 px"
    assert axe_violations(page) == []
    screenshot(page, "admin-link-attempts")
    page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
    assert axe_violations(page) == []
