"""The sandbox's Sync Flow settings: texts per locale, visible accounts per commerce platform.

Stored per the spec, with defaults; ``null`` restores a default, ``""`` shows nothing; bad
keys and values are Codat's 400; the stand-in Sync Flow shows what is stored, in the locale
its URL asks for.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from codat_sandbox import controls
from codat_sandbox.sync_flow_data import ACCOUNT_KEYS, REQUIRED_ACCOUNT_KEYS, TEXT_KEYS
from tests.sandbox.conftest import AUTH, call, start

pytestmark = pytest.mark.django_db

TEXT = "/sync/commerce/config/ui/text"
NEXT = "configure-misc-nextButton"
DESCRIPTION = "configure-content-sales-accounts-description"
CLIENT = settings.CODAT_SANDBOX_CLIENT_ID
OPTIONAL = "payments-accounts-cash"


def texts(locale="en-us"):
    response, body = call(TEXT, {"locale": locale})
    assert response.status == 200, body
    return body


def patch(body, locale="en-us"):
    return call(TEXT, {"locale": locale}, method="PATCH", body=body)


def accounts_path(platform="lqai", client=CLIENT):
    return f"/clients/{client}/config/ui/accounts/platform/{platform}"


def visible(platform="lqai"):
    response, body = call(accounts_path(platform))
    assert response.status == 200, body
    return body["visibleAccounts"]


def update_accounts(body, platform="lqai"):
    return call(f"/sync/commerce/config/ui/accounts/platform/{platform}", method="POST", body=body)


# --- texts -----------------------------------------------------------------------------------


def test_texts_have_defaults_per_locale_in_the_specs_shape(db):
    english, french = texts("en-us"), texts("fr-fr")
    assert list(english) == list(french) == list(TEXT_KEYS)
    assert english[NEXT] == {"text": "Next", "required": True}
    assert french[NEXT] == {"text": "Suivant", "required": True}
    assert english["configure-content-sales-description"] == {"text": "", "required": False}


@pytest.mark.parametrize("query", [{}, {"locale": "de-de"}, {"locale": "EN-US"}])
def test_a_missing_or_unknown_locale_is_a_400(db, query):
    response, body = call(TEXT, query)
    assert response.status == 400
    assert body["validation"]["errors"][0]["itemId"] == "locale"
    assert "en-us, fr-fr" in body["error"]


def test_set_then_reset_with_null_in_one_locale_only(db):
    response, body = patch({NEXT: {"text": "Continue"}})
    assert response.status == 200
    assert body[NEXT] == {"text": "Continue", "required": True}  # the answer is the whole locale
    assert len(body) == len(TEXT_KEYS)
    assert texts()[NEXT]["text"] == "Continue"
    assert texts("fr-fr")[NEXT]["text"] == "Suivant"

    response, body = patch({NEXT: {"text": None}})
    assert response.status == 200 and body[NEXT]["text"] == "Next"
    assert controls.sync_flow_settings_changed() == {"texts": {}, "visibleAccounts": {}}


def test_empty_text_shows_nothing(db):
    assert patch({DESCRIPTION: {"text": ""}})[0].status == 200
    assert texts()[DESCRIPTION]["text"] == ""
    assert controls.sync_flow_settings_changed()["texts"] == {"en-us": {DESCRIPTION: ""}}


def test_the_docs_flat_form_is_read_too(db):
    assert patch({NEXT: "Continue", DESCRIPTION: ""})[0].status == 200
    assert (texts()[NEXT]["text"], texts()[DESCRIPTION]["text"]) == ("Continue", "")
    assert patch({NEXT: None})[0].status == 200
    assert texts()[NEXT]["text"] == "Next"


@pytest.mark.parametrize(
    "body, item, message",
    [
        ({"configure-misc-finishButton": {"text": "Done"}}, "configure-misc-finishButton", "is not a text key"),
        ({NEXT: {"text": ""}}, NEXT, "This text is required"),
        ({NEXT: {"text": 42}}, NEXT, "must be a string"),
        ({NEXT: {"required": False}}, NEXT, 'Give the new text as {"text": ...}'),
        ({NEXT: {"text": "x" * 501}}, NEXT, "at most 500 are allowed"),
        ([NEXT], "body", "must be a JSON object"),
    ],
)
def test_bad_keys_and_values_are_400_and_change_nothing(db, body, item, message):
    if isinstance(body, dict):
        body = {DESCRIPTION: {"text": "Changed"}, **body}  # all or nothing: the good key is not applied
    response, answer = patch(body)
    assert response.status == 400
    errors = answer["validation"]["errors"]
    assert [(e["itemId"], e["validatorName"]) for e in errors] == [(item, "LocalizationInfo")]
    assert message in errors[0]["message"] and message in answer["error"]
    assert texts()[DESCRIPTION]["text"] == "Configure accounts mapping from {commerce} to {accounting}."


def test_a_body_that_is_not_json_is_400(db):
    from codat_sandbox import api

    response = api.handle(
        api.SandboxRequest("PATCH", f"/sandbox/codat{TEXT}", {"locale": "en-us"}, AUTH, "http://portal.test", b"{")
    )
    assert response.status == 400 and b"not valid JSON" in response.body


# --- visible accounts ----------------------------------------------------------------------


def test_every_account_is_visible_by_default(db):
    assert visible() == list(ACCOUNT_KEYS)
    assert len(ACCOUNT_KEYS) == 30 and len(REQUIRED_ACCOUNT_KEYS) == 9


def test_a_list_shows_those_and_the_required_ones_per_platform(db):
    response, body = update_accounts({"visibleAccounts": ["payments-accounts-vipps", "fees-accounts-loan"]})
    assert response.status == 200
    expected = [key for key in ACCOUNT_KEYS if key in REQUIRED_ACCOUNT_KEYS | {"payments-accounts-vipps", "fees-accounts-loan"}]
    assert body["visibleAccounts"] == visible() == expected
    assert visible("fqly") == list(ACCOUNT_KEYS)  # another commerce platform keeps its own


def test_an_empty_list_shows_only_the_required_ones_and_an_empty_object_resets(db):
    update_accounts({"visibleAccounts": []})
    assert set(visible()) == REQUIRED_ACCOUNT_KEYS
    response, body = update_accounts({})
    assert response.status == 200 and body["visibleAccounts"] == list(ACCOUNT_KEYS)
    update_accounts({"visibleAccounts": []})
    update_accounts({"visibleAccounts": None})  # the spec's nullable property: the default too
    assert visible() == list(ACCOUNT_KEYS)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"visibleAccounts": ["payments-accounts-bitcoin"]}, "is not an account key"),
        ({"visibleAccounts": "payments-accounts-cash"}, "must be an array"),
        ({"visibleAccounts": [1]}, "must be an array"),
        ({"hidden": []}, "Unknown field(s): hidden"),
        (["payments-accounts-cash"], "must be a JSON object"),
    ],
)
def test_bad_accounts_are_400_and_change_nothing(db, body, message):
    update_accounts({"visibleAccounts": []})
    response, answer = update_accounts(body)
    assert response.status == 400
    assert message in answer["error"]
    assert answer["validation"]["errors"][0]["validatorName"] == "VisibleAccounts"
    assert set(visible()) == REQUIRED_ACCOUNT_KEYS


@pytest.mark.parametrize(
    "path, error",
    [
        (accounts_path(client="8a210b68-6988-11ed-a1eb-0242ac120002"), "No client was found"),
        (accounts_path(client="not-a-uuid"), "No client was found"),
        (accounts_path(platform="gbol"), "No commerce integration was found with key gbol"),  # accounting
        (accounts_path(platform="zzzz"), "No commerce integration was found with key zzzz"),
    ],
)
def test_unknown_client_or_platform_is_404(db, path, error):
    response, body = call(path)
    assert response.status == 404 and error in body["error"]


def test_updating_an_accounting_platform_is_404(db):
    response, body = update_accounts({}, platform="gbol")
    assert response.status == 404


def test_the_docs_read_path_is_not_the_specs(db):
    response, body = call("/sync/commerce/config/ui/accounts/platform/lqai")
    assert response.status == 405 and response.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    "method, path, query",
    [
        ("GET", TEXT, {"locale": "en-us"}),
        ("PATCH", TEXT, {"locale": "en-us"}),
        ("GET", accounts_path(), None),
        ("POST", "/sync/commerce/config/ui/accounts/platform/lqai", None),
    ],
)
def test_every_operation_needs_the_key(db, method, path, query):
    response, _ = call(path, query, headers={}, method=method, body={})
    assert response.status == 401
    assert texts()[NEXT]["text"] == "Next" and visible() == list(ACCOUNT_KEYS)


# --- controls ----------------------------------------------------------------------------------


def test_controls_list_and_reset_what_changed(client, db):
    patch({NEXT: {"text": "Continue"}}, locale="fr-fr")
    update_accounts({"visibleAccounts": []})
    auth = {"HTTP_AUTHORIZATION": AUTH["authorization"]}
    listed = client.get("/sandbox/control/sync-flow-settings", **auth).json()
    assert listed == {"texts": {"fr-fr": {NEXT: "Continue"}}, "visibleAccounts": {"lqai": [k for k in ACCOUNT_KEYS if k in REQUIRED_ACCOUNT_KEYS]}}
    assert client.delete("/sandbox/control/sync-flow-settings").status_code == 401
    assert client.delete("/sandbox/control/sync-flow-settings", **auth).status_code == 204
    assert texts("fr-fr")[NEXT]["text"] == "Suivant" and visible() == list(ACCOUNT_KEYS)


# --- the stand-in Sync Flow shows them -------------------------------------------------------------


def nav_buttons(html, text):
    return len(re.findall(rf'class="nav-button" href="#stage-\w+">{text}</a>', html))


def open_flow(client, locale=None):
    url = urlsplit(start())
    query = url.query + (f"&locale={locale}" if locale else "")
    response = client.get(f"{url.path}?{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_stand_in_shows_default_texts_and_every_account(client, db):
    html = open_flow(client)
    assert '<html lang="en">' in html
    assert "<h1>Set up your sales sync</h1>" in html
    assert "<li>Connect to Sandbox POS</li>" in html and "<li>Connect to Xero</li>" in html
    assert nav_buttons(html, "Next") == 3
    assert ">Previous</a>" in html
    assert "<li>Cash</li>" in html and "<li>Vipps</li>" in html
    assert "Configure accounts mapping from Sandbox POS to Xero." in html
    assert re.search(r'<button type="submit" name="action" value="finish">Finish</button>', html)


def test_the_stand_in_shows_what_was_set_in_the_locale_asked_for(client, db):
    patch({NEXT: {"text": "Continue"}, "configure-setupSidebar-title": {"text": "Link your books"}, DESCRIPTION: {"text": ""}})
    update_accounts({"visibleAccounts": ["payments-accounts-vipps"]})
    html = open_flow(client)
    assert "<h1>Link your books</h1>" in html
    assert nav_buttons(html, "Continue") == 3 and ">Next</a>" not in html
    assert "Configure accounts mapping" not in html
    assert "<li>Cash</li>" not in html and "<li>Vipps</li>" in html
    assert "<li>Card<span" in html  # required: always shown

    french = open_flow(client, "fr-fr")
    assert '<html lang="fr">' in french
    assert 'value="finish" lang="en">Finish</button>' in french  # the stand-in's own words stay English
    assert "<h1>Configurez la synchronisation de vos ventes</h1>" in french
    assert nav_buttons(french, "Suivant") == 3
    assert "<li>Espèces</li>" not in french and "<li>Vipps</li>" in french  # accounts are per platform, not locale


def test_the_settings_page_stays_english(client, db):
    company = call("/companies", method="POST", body={"name": "Linked"})[1]
    controls.link(company["id"], "gbol")
    url = urlsplit(start(merchant_identifier=company["id"]))
    html = client.get(f"{url.path}?{url.query}&locale=fr-fr").content.decode()
    assert '<html lang="en">' in html and "<h1>Sync settings</h1>" in html


def test_an_unknown_locale_falls_back_to_english(client, db):
    assert "<h1>Set up your sales sync</h1>" in open_flow(client, "xx-yy")
