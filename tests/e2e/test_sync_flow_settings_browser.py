"""An operator changes the Sync Flow's texts and visible accounts in a real browser, and sees the effect.

The app, its admin and the sandbox run in one live server; the process-wide Codat client counts
what reaches the sandbox, so the test can say what was sent as well as what Codat now has.
"""

import base64
import re

import httpx
import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from codat_sandbox import faults
from codat_sandbox.sync_flow_data import ACCOUNT_KEYS, REQUIRED_ACCOUNT_KEYS
from tests.browser import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUTH = {"Authorization": "Basic " + base64.b64encode(b"sandbox").decode()}
NEXT = "configure-misc-nextButton"
PASSWORD = "operator password 42"


@pytest.fixture
def base(live_server, counting, django_user_model):
    operator = django_user_model.objects.create_user("operator", password=PASSWORD, is_staff=True)
    operator.user_permissions.set(Permission.objects.filter(codename="change_sync_flow_settings"))
    django_user_model.objects.create_user("viewer", password=PASSWORD, is_staff=True).user_permissions.set(
        Permission.objects.filter(codename__in=["view_integration", "view_syncflowchange"])
    )
    yield live_server.url
    faults.reset()


def admin_log_in(page, base, username="operator"):
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def sandbox_texts(base, locale):
    answer = httpx.get(f"{base}/sandbox/codat/sync/commerce/config/ui/text", params={"locale": locale}, headers=AUTH)
    assert answer.status_code == 200
    return answer.json()


def sandbox_visible(base, client_id="c0da7c11-e4d0-4b5a-9d1e-5a4db0c0ffee"):
    answer = httpx.get(f"{base}/sandbox/codat/clients/{client_id}/config/ui/accounts/platform/lqai", headers=AUTH)
    assert answer.status_code == 200
    return answer.json()["visibleAccounts"]


def open_sync_flow(page, base, locale=None):
    """The stand-in Sync Flow, minted as the portal mints it, in ``locale``."""
    minted = httpx.get(
        f"{base}/sandbox/codat/config/sync/commerce/lqai/gbol/start",
        params={"merchantIdentifier": "Bean & Leaf"},
        headers=AUTH,
    )
    assert minted.status_code == 200
    url = minted.json()["url"] + (f"&locale={locale}" if locale else "")
    assert page.goto(url).status == 200


def text_row(page, key):
    return page.locator("tr", has=page.locator("code", has_text=re.compile(f"^{re.escape(key)}$")))


def test_operator_changes_the_next_button_sees_it_in_the_sync_flow_and_resets_it(page, base, counting):
    admin_log_in(page, base)
    page.get_by_role("link", name="Sync Flow texts").click()
    expect(page.get_by_role("heading", name="Sync Flow texts", level=1)).to_be_visible()
    expect(text_row(page, NEXT).locator(".sf-status")).to_have_text("Default")
    assert axe_violations(page) == []
    screenshot(page, "sync-flow-texts")

    page.get_by_label(f"Text for {NEXT}", exact=True).fill("Continue")
    page.get_by_role("button", name="Save changes to the English (US) texts").first.click()
    expect(page.get_by_text("Saved 1 change(s) to the English (US) texts.")).to_be_visible()
    expect(text_row(page, NEXT).locator(".sf-status")).to_have_text("Customised")
    expect(page.locator(".sf-changes")).to_contain_text("“Next” → “Continue”")
    (patch,) = [r for r in counting.requests if r.method == "PATCH"]
    assert patch.content == b'{"configure-misc-nextButton":{"text":"Continue"}}'

    # Codat (the sandbox) has it; French is untouched; the stand-in Sync Flow shows it at once.
    assert sandbox_texts(base, "en-us")[NEXT] == {"text": "Continue", "required": True}
    assert sandbox_texts(base, "fr-fr")[NEXT]["text"] == "Suivant"
    open_sync_flow(page, base)
    expect(page.get_by_role("link", name="Continue").first).to_be_visible()
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    expect(page.get_by_role("button", name="Finish")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "sync-flow-stand-in-continue")
    open_sync_flow(page, base, "fr-fr")
    expect(page.get_by_role("heading", name="Configurez la synchronisation de vos ventes")).to_be_visible()
    expect(page.get_by_role("link", name="Suivant").first).to_be_visible()

    # Reset: back to Codat's default.
    page.goto(f"{base}/admin/integrations/syncflowtext/")
    text_row(page, NEXT).get_by_label("Reset to default").check()
    page.get_by_role("button", name="Save changes to the English (US) texts").first.click()
    expect(page.get_by_text("Saved 1 change(s)")).to_be_visible()
    expect(text_row(page, NEXT).locator(".sf-status")).to_have_text("Default")
    assert [r.content for r in counting.requests if r.method == "PATCH"][-1] == b'{"configure-misc-nextButton":{"text":null}}'
    assert sandbox_texts(base, "en-us")[NEXT]["text"] == "Next"
    open_sync_flow(page, base)
    expect(page.get_by_role("link", name="Next").first).to_be_visible()


def test_codats_refusal_shows_next_to_the_text_and_keeps_the_typing(page, base):
    admin_log_in(page, base)
    page.goto(f"{base}/admin/integrations/syncflowtext/?locale=fr-fr")
    page.get_by_label("Text for configure-setupSidebar-title", exact=True).fill("Reliez votre comptabilité")
    text_row(page, NEXT).get_by_label("Show nothing").check()
    page.get_by_role("button", name="Save changes to the French texts").first.click()
    expect(page.get_by_role("alert").first).to_contain_text("Codat refused the change, so nothing was saved.")
    expect(text_row(page, NEXT)).to_contain_text("Codat: This text is required")
    expect(page.get_by_label("Text for configure-setupSidebar-title", exact=True)).to_have_value("Reliez votre comptabilité")
    expect(text_row(page, NEXT).get_by_label("Show nothing")).to_be_checked()
    assert axe_violations(page) == []
    screenshot(page, "sync-flow-texts-refused")
    page.get_by_role("alert").get_by_role("link", name=NEXT).click()  # the banner leads to the refused text
    expect(page).to_have_url(re.compile(r"#text-texts-\d+$"))
    assert sandbox_texts(base, "fr-fr")["configure-setupSidebar-title"]["text"] == "Configurez la synchronisation de vos ventes"


def test_operator_hides_an_optional_account_cannot_hide_a_required_one_and_resets(page, base, counting):
    admin_log_in(page, base)
    page.get_by_role("link", name="Sync Flow visible accounts").click()
    expect(page.get_by_text("30 of 30 account types shown: Codat's default.")).to_be_visible()
    card = page.get_by_role("checkbox", name="Card payments-accounts-card")
    expect(card).to_be_checked()
    expect(card).to_be_disabled()
    expect(page.locator("#" + card.get_attribute("aria-describedby"))).to_have_text("Required by Codat: always shown")
    assert axe_violations(page) == []
    screenshot(page, "sync-flow-visible-accounts")

    page.get_by_role("checkbox", name="Cash payments-accounts-cash").uncheck()
    page.get_by_role("button", name="Save visible accounts").click()
    expect(page.get_by_text("Hid Cash.").first).to_be_visible()
    expect(page.get_by_text("29 of 30 account types shown.")).to_be_visible()
    visible = sandbox_visible(base)
    assert "payments-accounts-cash" not in visible and REQUIRED_ACCOUNT_KEYS <= set(visible)
    open_sync_flow(page, base)
    expect(page.locator("#stage-payments")).not_to_contain_text("Cash")
    expect(page.locator("#stage-payments")).to_contain_text("Card")

    page.goto(f"{base}/admin/integrations/syncflowvisibleaccounts/")
    page.get_by_role("button", name="Reset to Codat's default").click()
    expect(page.get_by_text("every account type is shown")).to_be_visible()
    assert [r.content for r in counting.requests if r.method == "POST"][-1] == b"{}"
    assert sandbox_visible(base) == list(ACCOUNT_KEYS)
    assert axe_violations(page) == []
    screenshot(page, "sync-flow-visible-accounts-reset")


def test_without_a_client_id_the_page_explains(page, base, settings):
    settings.CODAT_CLIENT_ID = ""
    admin_log_in(page, base)
    page.goto(f"{base}/admin/integrations/syncflowvisibleaccounts/")
    expect(page.get_by_role("heading", name="CODAT_CLIENT_ID is not set")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "sync-flow-visible-accounts-no-client-id")


def test_staff_without_the_permission_get_a_403(page, base):
    admin_log_in(page, base, "viewer")
    expect(page.get_by_role("link", name="Sync Flow texts")).to_have_count(0)
    for path in ("syncflowtext", "syncflowvisibleaccounts"):
        assert page.goto(f"{base}/admin/integrations/{path}/").status == 403
