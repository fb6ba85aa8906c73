"""request-sync and request-sync-for-date-range: what the client sends, what it parses, and that it never retries."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from integrations.codat import CodatBadRequestError, CodatRateLimitedError, CodatServerError, CodatTimeoutError, SyncSummary
from codat_sandbox import controls
from tests.conftest import CountingTransport, sandbox_client

pytestmark = pytest.mark.django_db

UTC = timezone.utc


@pytest.fixture
def linked_company_id(db) -> str:
    client = sandbox_client()
    company = client.create_company(name="Bean & Leaf")
    client.get_sync_flow_url(commerce_key="lqai", accounting_key="gbol", merchant_identifier=company.id)
    controls.link(company.id, "gbol")
    return company.id


def test_request_sync_posts_an_empty_args_object_and_answers_the_run_started(linked_company_id):
    transport = CountingTransport()
    summary = sandbox_client(transport).request_sync(linked_company_id)
    (sent,) = transport.requests
    assert (sent.method, sent.url.path) == ("POST", f"/sandbox/codat/companies/{linked_company_id}/sync/commerce/latest")
    assert sent.headers["Content-Type"] == "application/json" and json.loads(sent.content) == {}
    assert isinstance(summary, SyncSummary)
    assert (summary.status_code, summary.status, summary.data_pushed) == (1000, "Started", False)
    assert summary.commerce_sync_id == controls.describe(linked_company_id)["syncs"][0]["syncId"]
    assert summary.range_finish is not None and summary.range_start <= summary.range_finish


def test_request_sync_sends_sync_to_in_utc(linked_company_id):
    transport = CountingTransport()
    summary = sandbox_client(transport).request_sync(
        linked_company_id, sync_to=datetime(2025, 5, 3, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    )
    assert json.loads(transport.requests[0].content) == {"syncTo": "2025-05-03T00:00:00Z"}
    assert summary.range_finish == datetime(2025, 5, 3, tzinfo=UTC)


def test_request_sync_for_date_range_sends_the_specs_sync_range(linked_company_id):
    transport = CountingTransport()
    start, finish = datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 5, 8, tzinfo=UTC)
    summary = sandbox_client(transport).request_sync_for_date_range(linked_company_id, start=start, finish=finish)
    (sent,) = transport.requests
    assert (sent.method, sent.url.path) == (
        "POST",
        f"/sandbox/codat/meta/companies/{linked_company_id}/sync/commerce/historic",
    )
    assert json.loads(sent.content) == {"dateRange": {"start": "2025-05-01T00:00:00Z", "finish": "2025-05-08T00:00:00Z"}}
    assert (summary.range_start, summary.range_finish, summary.status_code) == (start, finish, 1000)


def test_naive_datetimes_are_refused_before_anything_is_sent(linked_company_id):
    transport = CountingTransport()
    with pytest.raises(ValueError):
        sandbox_client(transport).request_sync_for_date_range(
            linked_company_id, start=datetime(2025, 5, 1), finish=datetime(2025, 5, 2)
        )
    assert transport.total == 0


@pytest.mark.parametrize("operation", ["request-sync", "request-sync-for-date-range"])
@pytest.mark.parametrize(
    "fault, error",
    [(dict(status=503), CodatServerError), (dict(status=429, retry_after="1"), CodatRateLimitedError), (dict(latency_ms=300), CodatTimeoutError)],
    ids=["503", "429", "timeout"],
)
def test_the_posts_are_never_retried(sandbox_faults, linked_company_id, operation, fault, error):
    """A POST whose answer was lost may have started a sync: one attempt, whatever happens."""
    sandbox_faults.inject(operation, **fault)
    transport = CountingTransport()
    client = sandbox_client(transport, read_timeout=0.1, max_retries=2)
    with pytest.raises(error):
        if operation == "request-sync":
            client.request_sync(linked_company_id)
        else:
            client.request_sync_for_date_range(
                linked_company_id, start=datetime(2025, 5, 1, tzinfo=UTC), finish=datetime(2025, 5, 2, tzinfo=UTC)
            )
    assert transport.total == 1


def test_a_refused_range_is_a_bad_request_with_codats_reason(linked_company_id):
    with pytest.raises(CodatBadRequestError) as caught:
        sandbox_client().request_sync_for_date_range(
            linked_company_id, start=datetime(2025, 5, 8, tzinfo=UTC), finish=datetime(2025, 5, 1, tzinfo=UTC)
        )
    assert caught.value.status == 400 and "must not be before" in caught.value.error
    assert caught.value.correlation_id


def test_sync_summary_parsing_is_lenient_and_survives_a_json_field():
    assert SyncSummary.from_json({}) == SyncSummary()
    assert SyncSummary.from_json({}).as_sync_status() is None
    summary = SyncSummary.from_json(
        {
            "commerceSyncId": "8d0a044e-b683-4fc9-bd0d-bfb2ca5731b7",
            "syncStatusCode": 1000,
            "syncStatus": "Started",
            "syncUtc": "2025-05-03T10:00:00Z",
            "dataPushed": False,
            "syncDateRangeUtc": {"start": "2025-05-01", "finish": "2025-05-03T00:00:00Z"},
            "dataConnections": None,
        }
    )
    assert summary.range_start == datetime(2025, 5, 1, tzinfo=UTC)
    assert SyncSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary
    run = summary.as_sync_status()
    assert (run.sync_id, run.status_code, run.sync_utc) == (summary.commerce_sync_id, 1000, summary.sync_utc)
