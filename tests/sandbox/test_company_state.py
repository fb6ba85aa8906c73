"""Connections, configuration and syncs: what a company's state reads as, and how it gets there."""

import uuid
from urllib.parse import urlsplit

import pytest

from codat_sandbox import controls
from codat_sandbox.models import SandboxCompany
from tests.sandbox.conftest import ORIGIN, call, start

pytestmark = pytest.mark.django_db

UNKNOWN = "8a210b68-6988-11ed-a1eb-0242ac120002"
COMPANY_READS = [
    "/companies/{id}/connections",
    "/config/companies/{id}/sync/commerce",
    "/companies/{id}/sync/commerce/syncs/latest/status",
    "/companies/{id}/sync/commerce/syncs/lastSuccessful/status",
    "/companies/{id}/sync/commerce/syncs/list/status",
]


def _connections(company_id):
    response, body = call(f"/companies/{company_id}/connections")
    assert response.status == 200, body
    return {c["integrationKey"]: c for c in body["results"]}


def _company_of(url):
    return urlsplit(url).path.split("/")[3]


@pytest.mark.parametrize("path", COMPANY_READS)
@pytest.mark.parametrize("company_id", [UNKNOWN, "not-a-uuid", "1"])
def test_unknown_or_malformed_company_is_404_with_codats_body(path, company_id):
    response, body = call(path.format(id=company_id))
    assert response.status == 404
    assert body["statusCode"] == 404 and body["service"] == "ClientsApi"
    assert body["error"] == f"No company was found with ID {company_id}."


def test_a_new_company_has_no_connections_and_an_unconfigured_configuration(company):
    assert _connections(company["id"]) == {}
    configuration = call(f"/config/companies/{company['id']}/sync/commerce")[1]
    assert configuration["companyId"] == company["id"]
    assert (configuration["configured"], configuration["enable"]) == (False, False)
    assert "accountingSoftwareCompanyName" not in configuration  # known only once linked
    schedule = configuration["schedule"]
    assert schedule["selectedFrequency"] == "Daily" and schedule["timeZone"] == "Europe/London"
    assert 0 <= schedule["syncHour"] <= 23 and schedule["startDate"].endswith("Z")


def test_start_with_a_company_id_uses_that_company_and_readies_both_connections(company):
    url = start(merchant_identifier=company["id"])
    assert _company_of(url) == company["id"]
    assert SandboxCompany.objects.count() == 1
    connections = _connections(company["id"])
    assert set(connections) == {"lqai", "gbol"}
    xero = connections["gbol"]
    assert (xero["status"], xero["sourceType"], xero["platformName"]) == ("PendingAuth", "Accounting", "Xero")
    assert xero["sourceId"] == "8a156a5a-39cb-4f9d-856e-76ef9b9a9607"
    assert xero["integrationId"] == "0f20c943-12d0-4800-9f6c-d218f62d494c"
    assert xero["linkUrl"] == f"{ORIGIN}/sandbox/link/companies/{company['id']}/connections/{xero['id']}/start"
    assert xero["dataConnectionErrors"] == [] and "lastSync" not in xero
    assert connections["lqai"]["sourceType"] == "Commerce"


def test_start_with_any_other_identifier_makes_one_company_per_identifier():
    first = _company_of(start(merchant_identifier="merchant-7"))
    assert _company_of(start(merchant_identifier="merchant-7")) == first
    assert _company_of(start(merchant_identifier=UNKNOWN)) != first  # a uuid that is no company's id
    assert SandboxCompany.objects.get(pk=first).merchant_identifier == "merchant-7"


def test_reconnecting_keeps_the_same_connection_ids_whatever_their_status(company):
    start(merchant_identifier=company["id"])
    before = {key: c["id"] for key, c in _connections(company["id"]).items()}
    controls.link(company["id"], "gbol")
    controls.set_connection_status(company["id"], status="Deauthorized", platform_key="gbol")
    start(merchant_identifier=company["id"])
    after = _connections(company["id"])
    assert {key: c["id"] for key, c in after.items()} == before
    assert after["gbol"]["status"] == "Deauthorized"  # a start alone authorises nothing


def test_switching_accounting_platform_adds_a_connection(company):
    start(merchant_identifier=company["id"])
    start(accounting_key="qhyg", merchant_identifier=company["id"])
    assert set(_connections(company["id"])) == {"lqai", "gbol", "qhyg"}


def test_link_links_both_connections_and_configures_the_sync(company):
    start(merchant_identifier=company["id"])
    controls.link(company["id"], "gbol")
    connections = _connections(company["id"])
    assert {key: c["status"] for key, c in connections.items()} == {"lqai": "Linked", "gbol": "Linked"}
    configuration = call(f"/config/companies/{company['id']}/sync/commerce")[1]
    assert (configuration["configured"], configuration["enable"]) == (True, True)
    assert configuration["accountingSoftwareCompanyName"] == "Bean & Leaf"  # default: the company's name


def test_link_reports_the_scripted_tenant_name(company):
    controls.set_tenant_name(company["id"], "Bean and Leaf Trading Ltd")
    controls.link(company["id"], "gbol")
    configuration = call(f"/config/companies/{company['id']}/sync/commerce")[1]
    assert configuration["accountingSoftwareCompanyName"] == "Bean and Leaf Trading Ltd"
    controls.link(company["id"], "gbol", tenant_name="Given Ltd")
    assert call(f"/config/companies/{company['id']}/sync/commerce")[1]["accountingSoftwareCompanyName"] == "Given Ltd"


def test_link_without_a_start_links_the_partner_commerce_connector(company):
    controls.link(company["id"], "qhyg")
    assert {k: c["status"] for k, c in _connections(company["id"]).items()} == {"lqai": "Linked", "qhyg": "Linked"}


def test_cancel_leaves_the_connection_pending_with_an_error_that_link_resolves(company):
    start(merchant_identifier=company["id"])
    controls.cancel(company["id"], "gbol")
    xero = _connections(company["id"])["gbol"]
    assert xero["status"] == "PendingAuth"
    (error,) = xero["dataConnectionErrors"]
    assert (error["statusCode"], error["statusText"], error["status"]) == ("403", "Forbidden", "Active")
    assert error["errorMessage"] == "The user cancelled authorisation."
    assert error["erroredOnUtc"].endswith("Z")
    controls.link(company["id"], "gbol")
    (error,) = _connections(company["id"])["gbol"]["dataConnectionErrors"]
    assert error["status"] == "Resolved" and error["resolvedOnUtc"].endswith("Z")


def test_list_connections_pages(company):
    for key in ("gbol", "qhyg", "fbrh"):
        controls.set_connection_status(company["id"], status="Unlinked", platform_key=key)
    page = call(f"/companies/{company['id']}/connections", {"page": "2", "pageSize": "2"})[1]
    assert [c["integrationKey"] for c in page["results"]] == ["fbrh"]
    assert page["totalResults"] == 3
    assert page["_links"]["self"] == {"href": f"/companies/{company['id']}/connections"}
    assert page["_links"]["previous"] == {"href": f"/companies/{company['id']}/connections?page=1&pageSize=2"}
    assert "next" not in page["_links"]


def test_no_syncs_yet_is_404_for_the_single_reads_and_empty_for_the_list(company):
    latest = call(f"/companies/{company['id']}/sync/commerce/syncs/latest/status")
    assert latest[0].status == 404 and latest[1]["error"] == f"No sync has run yet for company {company['id']}."
    successful = call(f"/companies/{company['id']}/sync/commerce/syncs/lastSuccessful/status")
    assert successful[0].status == 404
    assert successful[1]["error"] == f"No successful sync has run yet for company {company['id']}."
    assert call(f"/companies/{company['id']}/sync/commerce/syncs/list/status")[1] == []


def test_syncs_latest_last_successful_and_newest_first(company):
    base = f"/companies/{company['id']}/sync/commerce/syncs"
    controls.link(company["id"], "gbol")
    controls.push_sync(company["id"], status_code=2000)
    controls.push_sync(company["id"], status_code=2040)
    controls.push_sync(company["id"], status_code=4260, error_message="Accounting subscription expired")
    latest = call(f"{base}/latest/status")[1]
    assert (latest["syncStatusCode"], latest["syncStatus"], latest["dataPushed"]) == (4260, "PushError", False)
    assert latest["errorMessage"] == "Accounting subscription expired"
    assert latest["companyId"] == company["id"] and uuid.UUID(latest["syncId"])
    successful = call(f"{base}/lastSuccessful/status")[1]
    assert (successful["syncStatusCode"], successful["syncStatus"], successful["dataPushed"]) == (2040, "Complete", False)
    assert [s["syncStatusCode"] for s in call(f"{base}/list/status")[1]] == [4260, 2040, 2000]
    # Codat read data during the successful runs: the linked connections' lastSync moves with them.
    assert _connections(company["id"])["gbol"]["lastSync"] == successful["syncUtc"]


def test_a_sync_still_running_is_latest_but_not_successful(company):
    controls.push_sync(company["id"], status_code=1000)
    base = f"/companies/{company['id']}/sync/commerce/syncs"
    assert call(f"{base}/latest/status")[1]["syncStatus"] == "Started"
    assert call(f"{base}/lastSuccessful/status")[0].status == 404
