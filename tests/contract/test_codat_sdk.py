"""Codat's own Python SDK, pointed at the sandbox served over HTTP, parses every answer."""

import base64

import httpx
import pytest
from codat_sync_for_commerce import CodatSyncCommerce
from codat_sync_for_commerce.models import errors, shared

pytestmark = pytest.mark.django_db(transaction=True)


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
