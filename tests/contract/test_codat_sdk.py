"""Codat's own Python SDK, pointed at the sandbox served over HTTP, parses every answer."""

import base64

import httpx
import pytest
from codat_sync_for_commerce import CodatSyncCommerce
from codat_sync_for_commerce.models import errors, shared

from codat_sandbox import controls

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The generated SDK's own serializer reads model_fields off instances (pydantic 2.11 deprecation).
    pytest.mark.filterwarnings("ignore:Accessing the 'model_fields' attribute on the instance:DeprecationWarning"),
]


@pytest.fixture
def sdk(live_server):
    return CodatSyncCommerce(
        security=shared.Security(auth_header="Basic " + base64.b64encode(b"sandbox").decode()),
        server_url=f"{live_server.url}/sandbox/codat",
        retry_config=None,
        timeout_ms=5000,
    )


def test_sdk_lists_integrations(sdk):
    listed = sdk.integrations.list(request={"page": 1, "page_size": 100})
    assert listed.total_results == 14
    keys = {integration.key for integration in listed.results}
    assert {"gbol", "qhyg", "lqai", "tgff"} <= keys
    xero = next(i for i in listed.results if i.key == "gbol")
    assert xero.name == "Xero" and xero.enabled and xero.source_type == shared.SourceType.ACCOUNTING
    assert xero.datatype_features and xero.datatype_features[0].supported_features[0].feature_type == "Get"
    assert listed.links.current.href == "/config/integrations?page=1&pageSize=100"


def test_sdk_pages_and_filters(sdk):
    page = sdk.integrations.list(request={"page": 2, "page_size": 3, "query": "sourceType=Accounting"})
    assert page.page_number == 2 and page.total_results == 7
    assert [i.key for i in page.results] == ["pdvj", "tgff", "qhyg"]
    assert page.links.next is not None and page.links.previous is not None


def test_sdk_gets_xero_branding(sdk, live_server):
    branding = sdk.integrations.get_branding(request={"platform_key": "gbol"})
    assert branding.logo.full.image.alt == "xero full icon"
    assert branding.source_id == "8a156a5a-39cb-4f9d-856e-76ef9b9a9607"
    image = httpx.get(branding.logo.full.image.src)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_sdk_mints_a_sync_flow_url_that_opens(sdk, live_server):
    minted = sdk.connections.get_sync_flow_url(
        request={"commerce_key": "lqai", "accounting_key": "gbol", "merchant_identifier": "Bean & Leaf, Ltd. #42"}
    )
    assert minted.url.startswith(f"{live_server.url}/sandbox/sync-flow/")
    assert httpx.get(minted.url).status_code == 200


def test_sdk_parses_codats_error_body(sdk):
    with pytest.raises(errors.ErrorMessage) as caught:
        sdk.integrations.get_branding(request={"platform_key": "zzzz"})
    assert caught.value.data.status_code == 404
    assert len(caught.value.data.correlation_id) == 32


# --- after the hand-off: companies, connections, configuration, syncs -------------------------


@pytest.fixture
def company(sdk, live_server):
    """A company made and linked as the portal and the merchant would, with a history of syncs."""
    made = sdk.advanced_controls.create_company(
        request={"name": "Bean & Leaf", "description": "merchant 42", "tags": {"merchant": "42"}}
    )
    sdk.connections.get_sync_flow_url(request={"commerce_key": "lqai", "accounting_key": "gbol", "merchant_identifier": made.id})
    controls.cancel(made.id, "gbol")
    controls.link(made.id, "gbol", tenant_name="Bean and Leaf Trading Ltd")
    controls.push_sync(made.id, status_code=2000)
    controls.push_sync(made.id, status_code=4000, error_message="Check your settings", sync_exception_message="MapError")
    return made


def test_sdk_creates_a_company(sdk, live_server):
    made = sdk.advanced_controls.create_company(request={"name": "Bean & Leaf", "tags": {"merchant": "42"}})
    assert made.name == "Bean & Leaf" and made.tags == {"merchant": "42"}
    assert made.redirect.startswith(f"{live_server.url}/sandbox/link/company/")
    assert made.products == [] and made.created


def test_sdk_parses_a_refused_company_name(sdk):
    with pytest.raises(errors.ErrorMessage) as caught:
        sdk.advanced_controls.create_company(request={"name": "Bean <b>"})
    assert caught.value.data.status_code == 400
    assert caught.value.data.validation.errors[0].item_id == "name"


def test_sdk_lists_companies_page_by_page(sdk, company):
    sdk.advanced_controls.create_company(request={"name": "Second"})
    first = sdk.advanced_controls.list_companies(request={"page": 1, "page_size": 1})
    assert first.total_results == 2 and [c.id for c in first.results] == [company.id]
    assert first.links.next.href == "/companies?page=2&pageSize=1"
    assert sdk.advanced_controls.list_companies(request={"page": 2, "page_size": 1}).results[0].name == "Second"


def test_sdk_lists_connections(sdk, company):
    listed = sdk.connections.list(request={"company_id": company.id, "page": 1, "page_size": 100})
    by_key = {connection.integration_key: connection for connection in listed.results}
    assert set(by_key) == {"lqai", "gbol"}
    xero = by_key["gbol"]
    assert xero.status == shared.DataConnectionStatus.LINKED
    assert xero.source_type == shared.SourceType.ACCOUNTING and xero.platform_name == "Xero"
    (error,) = xero.data_connection_errors
    assert error.status_code == "403" and error.status == shared.ErrorStatus.RESOLVED and error.resolved_on_utc


def test_sdk_gets_the_configuration(sdk, company):
    configuration = sdk.advanced_controls.get_configuration(request={"company_id": company.id})
    assert configuration.enable is True and configuration.configured is True
    assert configuration.accounting_software_company_name == "Bean and Leaf Trading Ltd"
    assert configuration.schedule.selected_frequency == shared.SyncFrequency.DAILY
    assert configuration.schedule.time_zone == "Europe/London"


def test_sdk_reads_latest_last_successful_and_all_syncs(sdk, company):
    latest = sdk.sync.get_latest_sync(request={"company_id": company.id})
    assert (latest.sync_status_code, latest.error_message, latest.data_pushed) == (4000, "Check your settings", False)
    successful = sdk.sync.get_last_successful_sync(request={"company_id": company.id})
    assert (successful.sync_status_code, successful.sync_status, successful.data_pushed) == (2000, "Complete", True)
    listed = sdk.sync.list(request={"company_id": company.id})
    assert [sync.sync_status_code for sync in listed] == [4000, 2000]


def test_sdk_parses_the_404s_for_an_unknown_company_and_no_syncs(sdk, live_server):
    with pytest.raises(errors.ErrorMessage) as caught:
        sdk.connections.list(request={"company_id": "8a210b68-6988-11ed-a1eb-0242ac120002"})
    assert caught.value.data.status_code == 404
    fresh = sdk.advanced_controls.create_company(request={"name": "Fresh"})
    with pytest.raises(errors.ErrorMessage) as caught:
        sdk.sync.get_latest_sync(request={"company_id": fresh.id})
    assert caught.value.data.error == f"No sync has run yet for company {fresh.id}."
    assert sdk.sync.list(request={"company_id": fresh.id}) == []


# --- requesting syncs -------------------------------------------------------------------------


def test_sdk_requests_a_sync_and_parses_the_summary(sdk, company):
    summary = sdk.sync.request(request={"company_id": company.id})  # the SDK sends no body by default
    assert (summary.sync_status_code, summary.sync_status, summary.data_pushed) == (1000, "Started", False)
    assert summary.company_id == company.id and summary.commerce_sync_id
    assert {connection.integration_key for connection in summary.data_connections} == {"lqai", "gbol"}
    assert summary.sync_date_range_utc.finish
    controls.complete_sync(company.id)
    latest = sdk.sync.get_latest_sync(request={"company_id": company.id})
    assert (latest.sync_id, latest.sync_status_code) == (summary.commerce_sync_id, 2000)


def test_sdk_requests_a_sync_up_to_a_time(sdk, company):
    summary = sdk.sync.request(
        request={"company_id": company.id, "sync_to_latest_args": {"sync_to": "2025-05-03T00:00:00Z"}}
    )
    assert summary.sync_date_range_utc.finish.startswith("2025-05-03T00:00:00")


def test_sdk_requests_a_date_range_sync(sdk, company):
    summary = sdk.sync.request_for_date_range(
        request={
            "company_id": company.id,
            "sync_range": {"date_range": {"start": "2025-05-01T00:00:00Z", "finish": "2025-05-08T00:00:00Z"}},
        }
    )
    assert summary.sync_status_code == 1000
    assert summary.sync_date_range_utc.start.startswith("2025-05-01T00:00:00")
    assert summary.sync_date_range_utc.finish.startswith("2025-05-08T00:00:00")
    (requested,) = controls.describe(company.id)["requestedSyncs"]
    assert (requested["kind"], requested["syncId"]) == ("historic", summary.commerce_sync_id)


def test_sdk_parses_a_refused_date_range(sdk, company):
    with pytest.raises(errors.ErrorMessage) as caught:
        sdk.sync.request_for_date_range(
            request={
                "company_id": company.id,
                "sync_range": {"date_range": {"start": "2025-05-08T00:00:00Z", "finish": "2025-05-01T00:00:00Z"}},
            }
        )
    assert caught.value.data.status_code == 400
    assert caught.value.data.validation.errors[0].item_id == "dateRange.finish"


# --- Sync Flow settings: texts and visible accounts --------------------------------------------

NEXT = "configure-misc-nextButton"


def test_sdk_reads_texts_per_locale(sdk):
    english = sdk.sync_flow_settings.get_config_text_sync_flow(request={"locale": shared.Locale.EN_US})
    french = sdk.sync_flow_settings.get_config_text_sync_flow(request={"locale": shared.Locale.FR_FR})
    assert english[NEXT].text == "Next" and english[NEXT].required is True
    assert french[NEXT].text == "Suivant"
    assert english["configure-content-sales-description"].text == ""


def test_sdk_sets_shows_nothing_and_resets_texts(sdk):
    changed = sdk.sync_flow_settings.update_config_text_sync_flow(
        request={
            "locale": shared.Locale.EN_US,
            "request_body": {NEXT: {"text": "Continue"}, "configure-content-sales-description": {"text": ""}},
        }
    )
    assert changed[NEXT].text == "Continue"
    assert sdk.sync_flow_settings.get_config_text_sync_flow(request={"locale": "fr-fr"})[NEXT].text == "Suivant"
    # The SDK sends an explicit null for a text set to None: Codat's "restore the default".
    reset = sdk.sync_flow_settings.update_config_text_sync_flow(
        request={"locale": "en-us", "request_body": {NEXT: shared.Localization(text=None)}}
    )
    assert reset[NEXT].text == "Next"


def test_sdk_parses_a_refused_text(sdk):
    with pytest.raises(errors.ErrorMessage) as caught:
        sdk.sync_flow_settings.update_config_text_sync_flow(
            request={"locale": "en-us", "request_body": {NEXT: {"text": ""}}}
        )
    assert caught.value.data.status_code == 400
    assert caught.value.data.validation.errors[0].item_id == NEXT


def test_sdk_reads_and_updates_visible_accounts(sdk, settings):
    read = {"client_id": settings.CODAT_SANDBOX_CLIENT_ID, "platform_key": "lqai"}
    assert "payments-accounts-cash" in sdk.sync_flow_settings.get_visible_accounts(request=read).visible_accounts
    updated = sdk.sync_flow_settings.update_visible_accounts_sync_flow(
        request={"platform_key": "lqai", "visible_accounts": {"visible_accounts": ["payments-accounts-vipps"]}}
    )
    assert "payments-accounts-cash" not in updated.visible_accounts
    assert {"payments-accounts-vipps", "payments-accounts-card"} <= set(updated.visible_accounts)
    assert sdk.sync_flow_settings.get_visible_accounts(request=read).visible_accounts == updated.visible_accounts
    reset = sdk.sync_flow_settings.update_visible_accounts_sync_flow(
        request={"platform_key": "lqai", "visible_accounts": {}}
    )
    assert len(reset.visible_accounts) == 30


def test_sdk_parses_the_404_for_an_unknown_client(sdk):
    with pytest.raises(errors.ErrorMessage) as caught:
        sdk.sync_flow_settings.get_visible_accounts(
            request={"client_id": "8a210b68-6988-11ed-a1eb-0242ac120002", "platform_key": "lqai"}
        )
    assert caught.value.data.status_code == 404 and caught.value.data.service == "ClientsApi"


# --- connection changes: update-connection is in the SDK, delete-connection is not ---------------


def test_sdk_unlinks_a_connection_and_parses_the_answer(sdk, company):
    xero = next(c for c in controls.describe(company.id)["connections"] if c["integrationKey"] == "gbol")
    updated = sdk.connections.update_connection(
        request={"company_id": company.id, "connection_id": xero["id"], "update_connection": {"status": "Unlinked"}}
    )
    assert (updated.id, updated.status) == (xero["id"], shared.DataConnectionStatus.UNLINKED)
    assert updated.integration_key == "gbol" and updated.source_type == shared.SourceType.ACCOUNTING


def test_sdk_parses_the_sandboxs_400_for_a_change_it_does_not_make(sdk, company):
    """The documented deviation: the spec lists no 400, so the SDK sees a generic error, body intact."""
    xero = next(c for c in controls.describe(company.id)["connections"] if c["integrationKey"] == "gbol")
    with pytest.raises(errors.SDKError) as caught:
        sdk.connections.update_connection(
            request={"company_id": company.id, "connection_id": xero["id"], "update_connection": {"status": "Linked"}}
        )
    assert caught.value.status_code == 400
    assert '"statusCode": 400' in caught.value.body


def test_the_sync_for_commerce_sdk_has_no_delete_connection(sdk, company):
    """delete-connection is a Platform API operation: the S4C SDK cannot send it, so the portal's
    client does (tests/contract/test_openapi_connection_changes.py checks it against that spec)."""
    operations = {name for name in dir(sdk.connections) if not name.startswith("_")}
    assert "update_connection" in operations and "delete" not in operations
    assert not any("delete" in name or "unlink" in name for name in operations)
    xero = next(c for c in controls.describe(company.id)["connections"] if c["integrationKey"] == "gbol")
    response = httpx.delete(
        f"{sdk.sdk_configuration.server_url}/companies/{company.id}/connections/{xero['id']}",
        headers={"Authorization": "Basic " + base64.b64encode(b"sandbox").decode()},
    )
    assert (response.status_code, response.content) == (200, b"")
    listed = sdk.connections.list(request={"company_id": company.id, "page": 1, "page_size": 100})
    assert [c.integration_key for c in listed.results] == ["lqai"]
