"""The client's four Sync Flow settings operations, against the in-process sandbox."""

import json

import pytest
from django.conf import settings

from codat_sandbox.sync_flow_data import ACCOUNT_KEYS, REQUIRED_ACCOUNT_KEYS
from integrations.codat import (
    REQUIRED_ACCOUNT_KEYS as DOCUMENTED_REQUIRED,
    SYNC_FLOW_ACCOUNTS,
    CodatBadRequestError,
    CodatNotFoundError,
    CodatResponseError,
    CodatServerError,
    CodatTimeoutError,
    Locale,
    Localization,
    LocalizationInfo,
    VisibleAccounts,
)
from tests.conftest import CountingTransport, sandbox_client

pytestmark = pytest.mark.django_db

NEXT = "configure-misc-nextButton"
CLIENT = settings.CODAT_SANDBOX_CLIENT_ID


def test_get_texts_sends_the_locale_and_parses_every_key():
    transport = CountingTransport()
    info = sandbox_client(transport).get_config_text_sync_flow(locale=Locale.FR_FR)
    (sent,) = transport.requests
    assert (sent.method, sent.url.path, dict(sent.url.params)) == ("GET", "/sandbox/codat/sync/commerce/config/ui/text", {"locale": "fr-fr"})
    assert isinstance(info, LocalizationInfo)
    assert info.texts[NEXT] == Localization(text="Suivant", required=True)
    assert info.texts["configure-content-sales-description"] == Localization(text="", required=False)
    assert list(info.texts)[0] == "configure-setupSidebar-title"  # Codat's order is kept


def test_an_unknown_locale_is_refused_before_anything_is_sent():
    transport = CountingTransport()
    with pytest.raises(ValueError):
        sandbox_client(transport).get_config_text_sync_flow(locale="de-de")
    assert transport.total == 0


def test_update_texts_sends_the_specs_shape_and_only_the_keys_given():
    transport = CountingTransport()
    client = sandbox_client(transport)
    client.update_config_text_sync_flow(locale="en-us", texts={NEXT: "Continue"})
    info = client.update_config_text_sync_flow(
        locale="en-us", texts={NEXT: None, "configure-content-sales-accounts-description": ""}
    )
    first, second = transport.requests
    assert (first.method, dict(first.url.params)) == ("PATCH", {"locale": "en-us"})
    assert first.headers["Content-Type"] == "application/json"
    assert json.loads(first.content) == {NEXT: {"text": "Continue"}}
    assert json.loads(second.content) == {NEXT: {"text": None}, "configure-content-sales-accounts-description": {"text": ""}}
    assert info.texts[NEXT].text == "Next"
    assert info.texts["configure-content-sales-accounts-description"].text == ""


def test_a_refused_text_is_a_bad_request_carrying_codats_validation():
    with pytest.raises(CodatBadRequestError) as caught:
        sandbox_client().update_config_text_sync_flow(locale="en-us", texts={NEXT: ""})
    errors = caught.value.body["validation"]["errors"]
    assert errors[0]["itemId"] == NEXT and "required" in errors[0]["message"]
    assert caught.value.status == 400 and caught.value.correlation_id


def test_visible_accounts_read_with_the_client_id_and_update_per_platform():
    transport = CountingTransport()
    client = sandbox_client(transport)
    assert client.get_visible_accounts(client_id=CLIENT, platform_key="lqai") == VisibleAccounts(tuple(ACCOUNT_KEYS))
    answer = client.update_visible_accounts_sync_flow(platform_key="lqai", visible_accounts=["payments-accounts-cash"])
    assert set(answer.visible_accounts) == REQUIRED_ACCOUNT_KEYS | {"payments-accounts-cash"}
    reset = client.update_visible_accounts_sync_flow(platform_key="lqai", visible_accounts=None)
    assert reset.visible_accounts == tuple(ACCOUNT_KEYS)
    read, update, default = transport.requests
    assert (read.method, read.url.path) == ("GET", f"/sandbox/codat/clients/{CLIENT}/config/ui/accounts/platform/lqai")
    assert (update.method, update.url.path) == ("POST", "/sandbox/codat/sync/commerce/config/ui/accounts/platform/lqai")
    assert json.loads(update.content) == {"visibleAccounts": ["payments-accounts-cash"]}
    assert json.loads(default.content) == {}  # Codat's reset: an empty object


def test_the_client_id_is_quoted_into_one_path_segment():
    transport = CountingTransport()
    with pytest.raises(CodatNotFoundError):
        sandbox_client(transport).get_visible_accounts(client_id="../../companies", platform_key="lqai")
    assert transport.requests[0].url.raw_path == b"/sandbox/codat/clients/..%2F..%2Fcompanies/config/ui/accounts/platform/lqai"


UPDATES = {
    "update-config-text-sync-flow": lambda client: client.update_config_text_sync_flow(locale="en-us", texts={NEXT: "Continue"}),
    "update-visible-accounts-sync-flow": lambda client: client.update_visible_accounts_sync_flow(platform_key="lqai", visible_accounts=[]),
}


@pytest.mark.parametrize("operation", UPDATES)
def test_updates_are_never_retried_on_a_server_error(sandbox_faults, operation):
    sandbox_faults.inject(operation, status=503)
    transport = CountingTransport()
    with pytest.raises(CodatServerError):
        UPDATES[operation](sandbox_client(transport, max_retries=2))
    assert transport.total == 1


@pytest.mark.parametrize("operation", UPDATES)
def test_updates_are_never_retried_on_a_timeout_whose_change_may_have_happened(sandbox_faults, operation):
    sandbox_faults.inject(operation, latency_ms=500)
    transport = CountingTransport()
    with pytest.raises(CodatTimeoutError):
        UPDATES[operation](sandbox_client(transport, max_retries=2, read_timeout=0.05))
    assert transport.total == 1
    # The answer was lost, the change was not: why an update is never sent twice on its own.
    client = sandbox_client()
    if operation == "update-config-text-sync-flow":
        assert client.get_config_text_sync_flow(locale="en-us").texts[NEXT].text == "Continue"
    else:
        assert set(client.get_visible_accounts(client_id=CLIENT, platform_key="lqai").visible_accounts) == REQUIRED_ACCOUNT_KEYS


@pytest.mark.parametrize(
    "operation, call",
    [
        ("get-config-text-sync-flow", lambda client: client.get_config_text_sync_flow(locale="en-us")),
        ("get-visible-accounts", lambda client: client.get_visible_accounts(client_id=CLIENT, platform_key="lqai")),
    ],
)
def test_the_reads_are_retried_like_every_get(sandbox_faults, operation, call):
    sandbox_faults.inject(operation, status=503, times=1)
    transport = CountingTransport()
    call(sandbox_client(transport, max_retries=2))
    assert transport.total == 2


@pytest.mark.parametrize(
    "body",
    ['["Next"]', '{"configure-misc-nextButton": {"text": 42}}', '{"configure-misc-nextButton": 42}'],
)
def test_texts_that_break_the_shape_are_a_response_error(sandbox_faults, body):
    sandbox_faults.inject("get-config-text-sync-flow", status=200, body=body, content_type="application/json")
    with pytest.raises(CodatResponseError):
        sandbox_client().get_config_text_sync_flow(locale="en-us")


@pytest.mark.parametrize("body", ['{"visibleAccounts": "all"}', '{"visibleAccounts": [1]}', "[]"])
def test_visible_accounts_that_break_the_shape_are_a_response_error(sandbox_faults, body):
    sandbox_faults.inject("get-visible-accounts", status=200, body=body, content_type="application/json")
    with pytest.raises(CodatResponseError):
        sandbox_client().get_visible_accounts(client_id=CLIENT, platform_key="lqai")


def test_the_docs_flat_texts_and_null_accounts_parse():
    flat = LocalizationInfo.from_json({NEXT: "Next", "configure-content-sales-description": None})
    assert flat.texts == {NEXT: Localization("Next"), "configure-content-sales-description": Localization(None)}
    assert VisibleAccounts.from_json({"visibleAccounts": None}).visible_accounts is None
    assert VisibleAccounts.from_json({}).visible_accounts is None


def test_the_documented_accounts_match_the_sandboxs():
    """Two readings of Codat's docs, kept apart (the emulator is Codat's side): they must agree."""
    assert [account.key for account in SYNC_FLOW_ACCOUNTS] == list(ACCOUNT_KEYS)
    assert DOCUMENTED_REQUIRED == REQUIRED_ACCOUNT_KEYS
