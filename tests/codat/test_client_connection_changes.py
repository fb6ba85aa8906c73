"""update-connection and delete-connection: what the client sends, what it answers, and that it never retries."""

import json

import pytest

from codat_sandbox import controls
from integrations.codat import (
    CodatBadRequestError,
    CodatNotFoundError,
    CodatRateLimitedError,
    CodatServerError,
    CodatTimeoutError,
    Connection,
)
from tests.conftest import CountingTransport, sandbox_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(db):
    client = sandbox_client()
    company = client.create_company(name="Bean & Leaf")
    client.get_sync_flow_url(commerce_key="lqai", accounting_key="gbol", merchant_identifier=company.id)
    controls.link(company.id, "gbol")
    xero = next(c for c in client.list_connections(company.id) if c.integration_key == "gbol")
    return company.id, xero.id


def test_update_connection_patches_exactly_the_status_and_answers_the_connection(linked):
    company_id, connection_id = linked
    transport = CountingTransport()
    connection = sandbox_client(transport).update_connection(company_id, connection_id, status="Unlinked")
    (sent,) = transport.requests
    assert (sent.method, sent.url.path) == ("PATCH", f"/sandbox/codat/companies/{company_id}/connections/{connection_id}")
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.content) == {"status": "Unlinked"}
    assert isinstance(connection, Connection)
    assert (connection.id, connection.status, connection.integration_key) == (connection_id, "Unlinked", "gbol")


def test_delete_connection_sends_a_delete_and_answers_nothing(linked):
    company_id, connection_id = linked
    transport = CountingTransport()
    assert sandbox_client(transport).delete_connection(company_id, connection_id) is None
    (sent,) = transport.requests
    assert (sent.method, sent.url.path, sent.content) == (
        "DELETE", f"/sandbox/codat/companies/{company_id}/connections/{connection_id}", b""
    )
    assert [c.integration_key for c in sandbox_client().list_connections(company_id)] == ["lqai"]


def test_ids_are_quoted_into_one_path_segment_each(linked):
    company_id, _ = linked
    transport = CountingTransport()
    with pytest.raises(CodatNotFoundError):
        sandbox_client(transport).delete_connection(company_id, "../../companies")
    assert transport.requests[0].url.raw_path.decode().endswith("/connections/..%2F..%2Fcompanies")


@pytest.mark.parametrize(
    "fault, error",
    [
        (dict(status=503), CodatServerError),
        (dict(status=500), CodatServerError),
        (dict(status=429), CodatRateLimitedError),
        (dict(status=429, retry_after="1"), CodatRateLimitedError),
        (dict(latency_ms=500), CodatTimeoutError),
    ],
    ids=["503", "500", "429", "429-retry-after", "timeout"],
)
@pytest.mark.parametrize("operation", ["update-connection", "delete-connection"])
def test_never_retried(linked, sandbox_faults, operation, fault, error):
    """A PATCH or DELETE whose answer was lost may have taken effect: one request, whatever happens."""
    company_id, connection_id = linked
    sandbox_faults.inject(operation, **fault)
    transport = CountingTransport()
    waits = []
    client = sandbox_client(transport, read_timeout=0.1, sleep=waits.append)
    with pytest.raises(error):
        if operation == "update-connection":
            client.update_connection(company_id, connection_id, status="Unlinked")
        else:
            client.delete_connection(company_id, connection_id)
    assert transport.total == 1 and waits == []
    assert sandbox_faults.calls(operation) == 1


def test_a_refused_change_is_a_bad_request_with_codats_reason(linked):
    company_id, connection_id = linked
    controls.set_connection_status(company_id, status="Deauthorized", connection_id=connection_id)
    with pytest.raises(CodatBadRequestError) as caught:
        sandbox_client().update_connection(company_id, connection_id, status="Unlinked")
    assert caught.value.error.startswith("Only Linked data connections can be unlinked")
    assert caught.value.correlation_id in str(caught.value)
