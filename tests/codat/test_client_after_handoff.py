"""The client's operations after the hand-off, against the in-process sandbox."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from codat_sandbox import controls
from integrations.codat import (
    CodatBadRequestError,
    CodatNotFoundError,
    CodatResponseError,
    Company,
    CompanySyncStatus,
    Configuration,
    Connection,
    ConnectionStatus,
)
from tests.conftest import CountingTransport, sandbox_client

pytestmark = pytest.mark.django_db


def _recent(moment: datetime | None) -> bool:
    return moment is not None and moment.tzinfo is not None and abs(datetime.now(timezone.utc) - moment) < timedelta(minutes=1)


@pytest.fixture
def linked_company(db) -> Company:
    client = sandbox_client()
    company = client.create_company(name="Bean & Leaf")
    client.get_sync_flow_url(commerce_key="lqai", accounting_key="gbol", merchant_identifier=company.id)
    controls.cancel(company.id, "gbol")
    controls.link(company.id, "gbol", tenant_name="Bean and Leaf Trading Ltd")
    return company


def test_create_company_posts_json_and_answers_a_company():
    transport = CountingTransport()
    company = sandbox_client(transport).create_company(
        name="Bean & Leaf", description="merchant 42", tags={"merchant": "42"}
    )
    (sent,) = transport.requests
    assert (sent.method, sent.url.path) == ("POST", "/sandbox/codat/companies")
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.content) == {"name": "Bean & Leaf", "description": "merchant 42", "tags": {"merchant": "42"}}
    assert isinstance(company, Company)
    assert (company.name, company.description, company.tags) == ("Bean & Leaf", "merchant 42", {"merchant": "42"})
    assert _recent(company.created)


def test_create_company_leaves_out_what_it_was_not_given():
    transport = CountingTransport()
    sandbox_client(transport).create_company(name="Plain")
    assert json.loads(transport.requests[0].content) == {"name": "Plain"}


def test_a_refused_company_name_is_a_bad_request_with_codats_reason():
    with pytest.raises(CodatBadRequestError) as caught:
        sandbox_client().create_company(name="Bean <b>")
    assert caught.value.status == 400
    assert "Company name may contain only" in caught.value.error
    assert caught.value.body["validation"]["errors"][0]["itemId"] == "name"


def test_list_companies_follows_paging_to_the_end():
    client = sandbox_client()
    made = [client.create_company(name=f"Merchant {n}").id for n in range(5)]
    transport = CountingTransport()
    listed = sandbox_client(transport, page_size=2).list_companies()
    assert [company.id for company in listed] == made
    assert [request.url.params["page"] for request in transport.requests] == ["1", "2", "3"]


def test_list_connections_parses_status_errors_and_dates(linked_company):
    transport = CountingTransport()
    connections = sandbox_client(transport, page_size=1).list_connections(linked_company.id)
    assert transport.total == 2
    assert all(isinstance(c, Connection) for c in connections)
    by_key = {c.integration_key: c for c in connections}
    xero = by_key["gbol"]
    assert (xero.platform_name, xero.source_type, xero.status) == ("Xero", "Accounting", ConnectionStatus.LINKED)
    assert xero.status == "Linked" and by_key["lqai"].status == ConnectionStatus.LINKED
    assert _recent(xero.created) and xero.last_sync is None
    (error,) = xero.errors
    assert (error.status_code, error.status_text, error.status) == ("403", "Forbidden", "Resolved")
    assert error.error_message == "The user cancelled authorisation."
    assert _recent(error.errored_on_utc) and _recent(error.resolved_on_utc)


def test_list_connections_quotes_the_company_id_into_one_path_segment():
    transport = CountingTransport()
    with pytest.raises(CodatNotFoundError):
        sandbox_client(transport).list_connections("../../config/integrations")
    assert transport.requests[0].url.raw_path.startswith(b"/sandbox/codat/companies/..%2F..%2Fconfig%2Fintegrations/")


def test_unknown_company_is_not_found():
    with pytest.raises(CodatNotFoundError) as caught:
        sandbox_client().get_configuration("8a210b68-6988-11ed-a1eb-0242ac120002")
    assert caught.value.error == "No company was found with ID 8a210b68-6988-11ed-a1eb-0242ac120002."


def test_configuration_before_and_after_linking(linked_company):
    client = sandbox_client()
    fresh = client.get_configuration(client.create_company(name="Fresh").id)
    assert isinstance(fresh, Configuration)
    assert (fresh.enable, fresh.configured, fresh.accounting_software_company_name) == (False, False, "")
    linked = client.get_configuration(linked_company.id)
    assert (linked.company_id, linked.enable, linked.configured) == (linked_company.id, True, True)
    assert linked.accounting_software_company_name == "Bean and Leaf Trading Ltd"
    schedule = linked.schedule
    assert (schedule.selected_frequency, schedule.time_zone, schedule.sync_hour) == ("Daily", "Europe/London", 2)
    assert schedule.start_date.tzinfo is not None


def test_syncs_latest_last_successful_and_list(linked_company):
    controls.push_sync(linked_company.id, status_code=2000)
    controls.push_sync(linked_company.id, status_code=5080, error_message="Codat error", sync_exception_message="Timeout")
    client = sandbox_client()
    latest = client.get_latest_sync(linked_company.id)
    assert isinstance(latest, CompanySyncStatus)
    assert (latest.status_code, latest.status, latest.error_message, latest.exception_message) == (
        5080,
        "PushError",
        "Codat error",
        "Timeout",
    )
    assert latest.data_pushed is False and _recent(latest.sync_utc) and latest.sync_id
    successful = client.get_last_successful_sync(linked_company.id)
    assert (successful.status_code, successful.data_pushed) == (2000, True)
    assert [sync.status_code for sync in client.list_syncs(linked_company.id)] == [5080, 2000]
    assert client.list_connections(linked_company.id)[0].last_sync == successful.sync_utc


def test_no_sync_yet_is_not_found_and_an_empty_list(linked_company):
    client = sandbox_client()
    with pytest.raises(CodatNotFoundError):
        client.get_latest_sync(linked_company.id)
    with pytest.raises(CodatNotFoundError):
        client.get_last_successful_sync(linked_company.id)
    assert client.list_syncs(linked_company.id) == []


def test_list_syncs_that_is_not_an_array_is_a_response_error(sandbox_faults, linked_company):
    sandbox_faults.inject("list-syncs", status=200, body='{"results": []}', content_type="application/json")
    with pytest.raises(CodatResponseError, match="sync list is not a JSON array"):
        sandbox_client().list_syncs(linked_company.id)


def test_snapshots_of_every_answer_survive_a_json_field(linked_company):
    """What the product stores (``to_json``) rebuilds, through real JSON, into an equal record."""
    controls.push_sync(linked_company.id, status_code=2000)
    client = sandbox_client()
    records = [
        client.list_companies()[0],
        *client.list_connections(linked_company.id),
        client.get_configuration(linked_company.id),
        client.get_latest_sync(linked_company.id),
    ]
    for record in records:
        assert type(record).from_json(json.loads(json.dumps(record.to_json()))) == record
