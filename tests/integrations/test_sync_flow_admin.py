"""Operators change the Sync Flow's texts and visible accounts in the admin; every change is recorded.

The pages read Codat (the sandbox, through the counting client) live; Codat's refusals show next
to what they refuse and keep what was typed; Codat being down is a message, never a 500.
"""

import json
import re

import pytest
from django.contrib.auth.models import Permission

from codat_sandbox import sync_flow_settings as sandbox_state
from codat_sandbox.sync_flow_data import ACCOUNT_KEYS, REQUIRED_ACCOUNT_KEYS
from integrations.codat import use_client
from integrations.models import SyncFlowChange
from tests.conftest import sandbox_client

pytestmark = pytest.mark.django_db

TEXTS = "/admin/integrations/syncflowtext/"
ACCOUNTS = "/admin/integrations/syncflowvisibleaccounts/"
CHANGES = "/admin/integrations/syncflowchange/"
NEXT = "configure-misc-nextButton"
TITLE = "configure-setupSidebar-title"
DESCRIPTION = "configure-content-sales-accounts-description"
OPTIONAL = "payments-accounts-cash"


def staff_user(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def operator(client, django_user_model, counting):
    client.force_login(staff_user(django_user_model, "operator", "change_sync_flow_settings"))
    return client


def forget(counting):
    counting.paths.clear()
    counting.requests.clear()


def sent(counting, method):
    return [request for request in counting.requests if request.method == method]


def text_form(response, edits=None):
    """The POST a browser would send from the texts page, with ``edits``: {key: (text, mode)}."""
    formset = response.context["formset"]
    data = {
        "texts-TOTAL_FORMS": str(len(formset.forms)),
        "texts-INITIAL_FORMS": str(len(formset.forms)),
        "texts-MIN_NUM_FORMS": "0",
        "texts-MAX_NUM_FORMS": "500",
    }
    for number, form in enumerate(formset.forms):
        initial = form.initial
        text, mode = (edits or {}).get(initial["key"], (initial["text"], "text"))
        data.update(
            {
                f"texts-{number}-key": initial["key"],
                f"texts-{number}-original": initial["original"],
                f"texts-{number}-required": str(initial["required"]),
                f"texts-{number}-text": text,
                f"texts-{number}-mode": mode,
            }
        )
    return data


def row(html, key):
    """The table row of one text key."""
    start = html.index(f"<code>{key}</code>")
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


# --- texts -------------------------------------------------------------------------------------------


def test_the_texts_page_reads_codat_live_and_shows_each_key(operator, counting):
    response = operator.get(TEXTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert counting.count("/sync/commerce/config/ui/text") == 1
    assert dict(counting.requests[0].url.params) == {"locale": "en-us"}
    assert "<h1>Sync Flow texts</h1>" in html and "Read live from Codat at" in html
    next_row = row(html, NEXT)
    assert 'value="Next"' in next_row and "Required" in next_row and "Default" in next_row
    assert "Required" not in row(html, DESCRIPTION)
    for label in ("Use this text", "Reset to default", "Show nothing"):
        assert label in next_row
    assert 'aria-current="page">English (US) (en-us)' in html
    operator.get(TEXTS)
    assert counting.count("/sync/commerce/config/ui/text") == 2  # never cached


def test_saving_sends_only_the_changed_key_and_records_it(operator, counting):
    page = operator.get(TEXTS)
    forget(counting)
    response = operator.post(TEXTS, text_form(page, {NEXT: ("Continue", "text")}), follow=True)
    html = response.content.decode()
    (patch,) = sent(counting, "PATCH")
    assert dict(patch.url.params) == {"locale": "en-us"}
    assert json.loads(patch.content) == {NEXT: {"text": "Continue"}}
    assert "Saved 1 change(s) to the English (US) texts." in html
    assert "Customised" in row(html, NEXT) and 'value="Continue"' in row(html, NEXT)
    change = SyncFlowChange.objects.get()
    assert (change.username, change.setting, change.locale, change.key, change.action) == ("operator", "text", "en-us", NEXT, "set")
    assert (change.before, change.after) == ("Next", "Continue")
    assert "“Next” → “Continue”" in html
    assert sandbox_state.texts("en-us")[NEXT] == "Continue"
    assert sandbox_state.texts("fr-fr")[NEXT] == "Suivant"


def test_reset_sends_null_and_show_nothing_sends_empty(operator, counting):
    sandbox_state.texts_apply("en-us", {NEXT: "Continue"})
    page = operator.get(TEXTS)
    forget(counting)
    edits = {NEXT: ("Continue", "default"), DESCRIPTION: ("ignored when showing nothing", "nothing")}
    html = operator.post(TEXTS, text_form(page, edits), follow=True).content.decode()
    (patch,) = sent(counting, "PATCH")
    assert json.loads(patch.content) == {NEXT: {"text": None}, DESCRIPTION: {"text": ""}}
    assert sandbox_state.texts("en-us")[NEXT] == "Next" and sandbox_state.texts("en-us")[DESCRIPTION] == ""
    assert "Default" in row(html, NEXT) and "Shows nothing" in row(html, DESCRIPTION)
    nothing, reset = SyncFlowChange.objects.order_by("key")
    assert (reset.key, reset.action, reset.before, reset.after) == (NEXT, "reset", "Continue", "Next")
    assert (nothing.key, nothing.action, nothing.before, nothing.after) == (DESCRIPTION, "show_nothing", sandbox_state.default_text("en-us", DESCRIPTION), "")
    assert "(nothing shown)" in html


def test_the_french_texts_are_their_own(operator, counting):
    page = operator.get(f"{TEXTS}?locale=fr-fr")
    assert 'value="Suivant"' in row(page.content.decode(), NEXT)
    operator.post(f"{TEXTS}?locale=fr-fr", text_form(page, {NEXT: ("Continuer", "text")}))
    assert json.loads(sent(counting, "PATCH")[0].content) == {NEXT: {"text": "Continuer"}}
    assert dict(sent(counting, "PATCH")[0].url.params) == {"locale": "fr-fr"}
    assert (sandbox_state.texts("fr-fr")[NEXT], sandbox_state.texts("en-us")[NEXT]) == ("Continuer", "Next")


def test_codats_refusal_shows_next_to_the_key_and_keeps_what_was_typed(operator, counting):
    page = operator.get(TEXTS)
    forget(counting)
    edits = {NEXT: ("", "nothing"), TITLE: ("Link your books", "text")}
    response = operator.post(TEXTS, text_form(page, edits))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Codat refused the change, so nothing was saved." in html
    assert "Codat: This text is required: the Sync Flow cannot show nothing here." in row(html, NEXT)
    assert 'value="Link your books"' in row(html, TITLE)  # nothing typed is lost
    assert re.search(r'value="nothing"[^>]*\bchecked', row(html, NEXT))  # the choice too
    assert len(sent(counting, "PATCH")) == 1
    assert not SyncFlowChange.objects.exists()
    assert sandbox_state.texts("en-us")[TITLE] == "Set up your sales sync"


def test_nothing_changed_sends_nothing(operator, counting):
    page = operator.get(TEXTS)
    response = operator.post(TEXTS, text_form(page), follow=True)
    assert "Nothing to save: no text was changed." in response.content.decode()
    assert sent(counting, "PATCH") == [] and not SyncFlowChange.objects.exists()


def test_codat_down_on_reading_is_a_message_not_a_500(operator, sandbox_faults):
    sandbox_faults.inject("get-config-text-sync-flow", status=503)
    response = operator.get(TEXTS)
    html = response.content.decode()
    assert response.status_code == 503
    assert "Codat is not answering normally right now. Try again in a minute." in html
    assert "HTTP 503" in html and "correlationId" in html
    assert "Basic c2FuZGJveA==" not in html
    assert 'name="texts-TOTAL_FORMS"' not in html


@pytest.mark.parametrize(
    "fault, status, message",
    [
        (dict(status=503), 503, "Codat is not answering normally right now: nothing was saved. Your edits are kept below"),
        (dict(latency_ms=400), 503, "Codat did not answer in time. The change may have been made all the same"),
    ],
    ids=["503", "timeout"],
)
def test_codat_down_on_saving_keeps_the_edits(operator, counting, sandbox_faults, fault, status, message):
    page = operator.get(TEXTS)
    forget(counting)
    sandbox_faults.inject("update-config-text-sync-flow", **fault)
    with use_client(sandbox_client(counting, read_timeout=0.1)):
        response = operator.post(TEXTS, text_form(page, {NEXT: ("Continue", "text")}))
    html = response.content.decode()
    assert response.status_code == status
    assert message in html
    assert 'value="Continue"' in row(html, NEXT)
    assert len(sent(counting, "PATCH")) == 1  # never retried
    assert not SyncFlowChange.objects.exists()


def test_an_unknown_locale_is_a_400_that_offers_the_real_ones(operator, counting):
    response = operator.get(f"{TEXTS}?locale=de-de")
    html = response.content.decode()
    assert response.status_code == 400
    assert "There are no Sync Flow texts for &#x27;de-de&#x27;: choose en-us or fr-fr." in html
    assert f'href="{TEXTS}?locale=fr-fr"' in html
    assert counting.total == 0


def test_a_tampered_form_is_a_400_and_sends_nothing(operator, counting):
    page = operator.get(TEXTS)
    forget(counting)
    data = text_form(page, {NEXT: ("Continue", "text")})
    data["texts-0-key"] = "<script>"
    data["texts-1-mode"] = "delete"
    response = operator.post(TEXTS, data)
    assert response.status_code == 400
    assert "nothing was sent to Codat" in response.content.decode()
    assert counting.total == 0


# --- visible accounts -----------------------------------------------------------------------------------


def accounts_form(response, unticked=(), drop_required=False):
    data = {"action": "save", "visible": [key for key in ACCOUNT_KEYS if key not in unticked]}
    if drop_required:  # a forged form: the locked boxes' hidden inputs left out
        data["visible"] = [key for key in data["visible"] if key not in REQUIRED_ACCOUNT_KEYS]
    return data


def test_the_accounts_page_locks_the_required_ones_on(operator, counting):
    response = operator.get(ACCOUNTS)
    html = response.content.decode()
    assert response.status_code == 200
    (read,) = counting.requests
    assert read.url.path == "/sandbox/codat/clients/c0da7c11-e4d0-4b5a-9d1e-5a4db0c0ffee/config/ui/accounts/platform/lqai"
    assert "30 of 30 account types shown: Codat's default." in html
    card = html[html.index('value="payments-accounts-card"') - 40 : html.index("payments-accounts-card</code>")]
    assert "checked disabled" in card and 'aria-describedby="account-16-why"' in card
    assert '<span class="sf-lock" id="account-16-why">Required by Codat: always shown</span>' in html
    assert html.count("Required by Codat: always shown") == len(REQUIRED_ACCOUNT_KEYS)
    cash = html[html.index('value="payments-accounts-cash"') - 40 : html.index("payments-accounts-cash</code>")]
    assert "checked" in cash and "disabled" not in cash


def test_turning_an_optional_one_off_is_sent_and_recorded(operator, counting):
    page = operator.get(ACCOUNTS)
    forget(counting)
    response = operator.post(ACCOUNTS, accounts_form(page, unticked=[OPTIONAL, "payments-accounts-vipps"]), follow=True)
    html = response.content.decode()
    (post,) = sent(counting, "POST")
    body = json.loads(post.content)["visibleAccounts"]
    assert OPTIONAL not in body and "payments-accounts-vipps" not in body and REQUIRED_ACCOUNT_KEYS <= set(body)
    assert OPTIONAL not in sandbox_state.visible_accounts("lqai")
    assert "Saved lqai&#x27;s visible accounts. Hid Cash, Vipps." in html
    assert "28 of 30 account types shown." in html
    change = SyncFlowChange.objects.get()
    assert (change.setting, change.platform_key, change.action, change.username) == ("visible_accounts", "lqai", "set", "operator")
    assert len(change.before) == 30 and len(change.after) == 28


def test_reset_sends_an_empty_object(operator, counting):
    sandbox_state.visible_accounts_set("lqai", [])
    operator.get(ACCOUNTS)
    forget(counting)
    html = operator.post(ACCOUNTS, {"action": "reset"}, follow=True).content.decode()
    (post,) = sent(counting, "POST")
    assert json.loads(post.content) == {}
    assert sandbox_state.visible_accounts("lqai") == list(ACCOUNT_KEYS)
    assert "Reset lqai&#x27;s visible accounts to Codat&#x27;s default" in html
    assert SyncFlowChange.objects.get().action == "reset"
    assert "Reset to Codat&#x27;s default: every account type shown." in html


def test_the_server_refuses_to_turn_a_required_one_off(operator, counting):
    page = operator.get(ACCOUNTS)
    forget(counting)
    response = operator.post(ACCOUNTS, accounts_form(page, unticked=[OPTIONAL], drop_required=True))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Codat requires these account types, so they cannot be hidden: Sales, Refund" in html
    assert counting.total == 0 and not SyncFlowChange.objects.exists()
    cash = html[html.index('value="payments-accounts-cash"') - 40 : html.index("payments-accounts-cash</code>")]
    assert "checked" not in cash  # what was unticked stays unticked


def test_saving_the_same_accounts_sends_nothing(operator, counting):
    page = operator.get(ACCOUNTS)
    forget(counting)
    response = operator.post(ACCOUNTS, accounts_form(page), follow=True)
    assert "Nothing to save: the same account types are already shown." in response.content.decode()
    assert sent(counting, "POST") == [] and not SyncFlowChange.objects.exists()


def test_codats_refusal_of_accounts_keeps_the_boxes_as_left(operator, counting):
    page = operator.get(ACCOUNTS)
    forget(counting)
    data = accounts_form(page, unticked=[OPTIONAL])
    data["visible"].append("payments-accounts-bitcoin")  # well formed, unknown to Codat: Codat judges it
    response = operator.post(ACCOUNTS, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Codat refused the change, so nothing was saved: &#x27;payments-accounts-bitcoin&#x27; is not an account key" in html
    assert len(sent(counting, "POST")) == 1 and not SyncFlowChange.objects.exists()
    cash = html[html.index('value="payments-accounts-cash"') - 40 : html.index("payments-accounts-cash</code>")]
    assert "checked" not in cash
    assert "Not in Codat's docs" in html  # the unknown key is shown back as sent, under Other


def test_codat_down_on_saving_accounts_keeps_the_boxes(operator, counting, sandbox_faults):
    page = operator.get(ACCOUNTS)
    forget(counting)
    sandbox_faults.inject("update-visible-accounts-sync-flow", status=503)
    response = operator.post(ACCOUNTS, accounts_form(page, unticked=[OPTIONAL]))
    html = response.content.decode()
    assert response.status_code == 503
    assert "Codat is not answering normally right now: nothing was saved." in html
    cash = html[html.index('value="payments-accounts-cash"') - 40 : html.index("payments-accounts-cash</code>")]
    assert "checked" not in cash
    assert len(sent(counting, "POST")) == 1 and not SyncFlowChange.objects.exists()
    assert sandbox_state.visible_accounts("lqai") == list(ACCOUNT_KEYS)


@pytest.mark.parametrize("value, heading", [("", "CODAT_CLIENT_ID is not set"), ("acme", "CODAT_CLIENT_ID is not a Codat client id")])
def test_without_a_client_id_the_page_explains_what_is_missing(operator, counting, settings, value, heading):
    settings.CODAT_CLIENT_ID = value
    response = operator.get(ACCOUNTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert heading in html
    assert "GET /clients/{clientId}/config/ui/accounts/platform/{platformKey}" in html
    assert "Codat Portal" in html and "GET /profile/syncSettings" in html
    assert counting.total == 0
    assert operator.post(ACCOUNTS, {"action": "reset"}).status_code == 200 and counting.total == 0


def test_an_accounting_connector_chooses_among_the_catalogues_commerce_platforms(operator, warm_cache, settings):
    settings.CODAT_CONNECTOR_TYPE = "accounting"
    settings.CODAT_CONNECTOR_KEY = "gbol"
    html = operator.get(f"{ACCOUNTS}?platform=fqly").content.decode()
    assert '<option value="fqly" selected>Clover (fqly)</option>' in html
    assert '<option value="gbol"' not in html  # accounting platforms have no visible accounts
    assert warm_cache.requests[-1].url.path.endswith("/platform/fqly")
    assert operator.get(f"{ACCOUNTS}?platform=gbol").status_code == 400


def test_codat_down_on_the_accounts_page_is_a_message(operator, sandbox_faults):
    sandbox_faults.inject("get-visible-accounts", status=500)
    response = operator.get(ACCOUNTS)
    assert response.status_code == 503
    assert "Codat is not answering normally right now." in response.content.decode()


def test_a_wrong_client_id_says_which_setting_to_check(operator, settings):
    settings.CODAT_CLIENT_ID = "8a210b68-6988-11ed-a1eb-0242ac120002"
    response = operator.get(ACCOUNTS)
    assert response.status_code == 503
    assert "check CODAT_CLIENT_ID" in response.content.decode()


# --- who may -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TEXTS, ACCOUNTS])
def test_staff_without_the_permission_get_a_403(client, django_user_model, counting, url):
    client.force_login(staff_user(django_user_model, "viewer", "view_integration", "view_syncflowchange"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "reset"}).status_code == 403
    assert counting.total == 0
    assert "Sync Flow texts" not in client.get("/admin/").content.decode()


def test_the_index_links_the_pages_for_operators(operator):
    html = operator.get("/admin/").content.decode()
    assert f'<a href="{TEXTS}">Sync Flow texts</a>' in html
    assert f'<a href="{ACCOUNTS}">Sync Flow visible accounts</a>' in html
    assert f'<a href="{CHANGES}">Sync Flow changes</a>' in html


def test_merchants_are_sent_to_log_in(merchant_client):
    assert merchant_client.get(TEXTS).status_code == 302


def test_the_record_is_read_only_in_the_admin(operator, counting):
    page = operator.get(TEXTS)
    operator.post(TEXTS, text_form(page, {NEXT: ("Continue", "text")}))
    change = SyncFlowChange.objects.get()
    html = operator.get(CHANGES).content.decode()
    assert "operator" in html and "“Next”" in html and "“Continue”" in html
    assert operator.get(f"{CHANGES}add/").status_code == 403
    assert operator.post(f"{CHANGES}{change.pk}/delete/", {"post": "yes"}).status_code == 403
    operator.post(f"{CHANGES}{change.pk}/change/", {"after": '"Hacked"'})
    change.refresh_from_db()
    assert change.after == "Continue"
