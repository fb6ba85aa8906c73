"""request-sync and request-sync-for-date-range in the sandbox: a run in progress that ends when a
control says so or after a scripted delay; date ranges recorded and checked per the spec."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone as django_timezone

from codat_sandbox import api, controls
from codat_sandbox.controls import ControlError
from codat_sandbox.models import SandboxSync
from tests.sandbox.conftest import AUTH as AUTH_HEADERS, ORIGIN, call, start
from tests.sandbox.test_controls import UNKNOWN, post

pytestmark = pytest.mark.django_db

RANGE = {"dateRange": {"start": "2025-05-01T00:00:00Z", "finish": "2025-05-08T00:00:00Z"}}


@pytest.fixture
def linked(company):
    start(merchant_identifier=company["id"])
    controls.link(company["id"], "gbol")
    return company["id"]


def request_sync(company_id, body=None):
    """request-sync; without ``body`` none is sent, as Codat's SDK does."""
    return call(f"/companies/{company_id}/sync/commerce/latest", method="POST", body=body)


def historic(company_id, body):
    return call(f"/meta/companies/{company_id}/sync/commerce/historic", method="POST", body=body)


def _raw(path, raw: bytes):
    """A POST whose body is exactly ``raw``."""
    response = api.handle(
        api.SandboxRequest(method="POST", path=f"/sandbox/codat{path}", query={}, headers=AUTH_HEADERS, origin=ORIGIN, body=raw)
    )
    return response, json.loads(response.body)


def latest(company_id):
    return call(f"/companies/{company_id}/sync/commerce/syncs/latest/status")[1]


def test_request_sync_starts_a_run_in_progress_answered_as_a_sync_summary(linked):
    response, summary = request_sync(linked)
    assert response.status == 200
    assert (summary["syncStatusCode"], summary["syncStatus"], summary["dataPushed"]) == (1000, "Started", False)
    assert summary["companyId"] == linked
    assert {c["integrationKey"] for c in summary["dataConnections"]} == {"lqai", "gbol"}
    # never synced before: from the schedule's start date up to now
    assert summary["syncDateRangeUtc"]["start"].startswith(django_timezone.now().strftime("%Y-%m-%d"))
    run = latest(linked)
    assert (run["syncId"], run["syncStatusCode"]) == (summary["commerceSyncId"], 1000)


def test_no_body_means_up_to_now_as_codats_sdk_sends_it(linked):
    response, summary = _raw(f"/companies/{linked}/sync/commerce/latest", b"")
    assert response.status == 200 and summary["syncStatusCode"] == 1000


def test_a_second_request_starts_from_the_end_of_the_last_successful_one(linked):
    _, first = request_sync(linked, {"syncTo": "2025-05-03T00:00:00Z"})
    controls.complete_sync(linked)
    _, second = request_sync(linked)
    assert second["syncDateRangeUtc"]["start"].startswith("2025-05-03T00:00:00")


def test_complete_sync_ends_it_with_2000_and_marks_when_codat_last_read(linked):
    _, summary = request_sync(linked)
    (ended,) = controls.complete_sync(linked)
    assert (ended.status_code, ended.status, ended.data_pushed) == (2000, "Complete", True)
    run = latest(linked)
    assert (run["syncId"], run["syncStatusCode"]) == (summary["commerceSyncId"], 2000)
    successful = call(f"/companies/{linked}/sync/commerce/syncs/lastSuccessful/status")[1]
    assert successful["syncId"] == summary["commerceSyncId"]
    xero = next(c for c in controls.describe(linked)["connections"] if c["integrationKey"] == "gbol")
    assert xero["lastSync"] == successful["syncUtc"]


def test_a_scripted_code_and_messages_end_the_run(linked):
    controls.script_syncs(linked, status_code=5130, error_message="Data write error", sync_exception_message="Xero 503")
    request_sync(linked)
    assert latest(linked)["syncStatusCode"] == 1000  # no delay scripted: waits for complete_sync
    controls.complete_sync(linked)
    run = latest(linked)
    assert (run["syncStatusCode"], run["errorMessage"], run["syncExceptionMessage"], run["dataPushed"]) == (
        5130, "Data write error", "Xero 503", False,
    )


def test_a_scripted_delay_ends_the_run_on_the_first_read_after_it(linked):
    controls.script_syncs(linked, status_code=2040, complete_after_seconds=60)
    _, summary = request_sync(linked)
    assert latest(linked)["syncStatusCode"] == 1000
    SandboxSync.objects.filter(sync_id=summary["commerceSyncId"]).update(
        complete_at=django_timezone.now() - timedelta(seconds=1)  # the minute has passed
    )
    listed = call(f"/companies/{linked}/sync/commerce/syncs/list/status")[1]
    assert [(s["syncStatusCode"], s["dataPushed"]) for s in listed] == [(2040, False)]


def test_a_zero_delay_ends_at_the_next_read(linked):
    controls.script_syncs(linked, complete_after_seconds=0)
    _, summary = request_sync(linked)
    assert summary["syncStatusCode"] == 1000
    assert latest(linked)["syncStatusCode"] == 2000


def test_a_company_that_cannot_sync_fails_at_once_with_codats_4000(company):
    _, summary = request_sync(company["id"])
    assert summary["syncStatusCode"] == 4000
    assert summary["errorMessage"] == "Company needs to have two valid data connections."
    start(merchant_identifier=company["id"])
    controls.link(company["id"], "gbol")
    controls.set_configuration(company["id"], configured=False)
    assert request_sync(company["id"])[1]["errorMessage"] == "Config contains required accounts without selections."


def test_date_range_requests_are_recorded(linked):
    response, summary = historic(linked, RANGE)
    assert response.status == 200
    assert summary["syncDateRangeUtc"] == {"start": "2025-05-01T00:00:00.0000000Z", "finish": "2025-05-08T00:00:00.0000000Z"}
    (requested,) = controls.describe(linked)["requestedSyncs"]
    assert requested["kind"] == "historic" and requested["syncId"] == summary["commerceSyncId"]
    assert requested["dateRange"] == {"start": "2025-05-01T00:00:00.0000000Z", "finish": "2025-05-08T00:00:00.0000000Z"}


def test_a_bare_date_and_an_offset_are_codat_date_times(linked):
    _, summary = historic(linked, {"dateRange": {"start": "2025-05-01", "finish": "2025-05-02T01:00:00+01:00"}})
    assert summary["syncDateRangeUtc"] == {"start": "2025-05-01T00:00:00.0000000Z", "finish": "2025-05-02T00:00:00.0000000Z"}


@pytest.mark.parametrize(
    "body, item, message",
    [
        ({"start": "2025-05-01", "end": "2025-05-02"}, "dateRange", "dateRange is required"),  # the docs' shape
        ({}, "dateRange", "dateRange is required"),
        ({"dateRange": "2025-05-01/2025-05-02"}, "dateRange", "dateRange is required"),
        ({"dateRange": {"start": "2025-05-01"}}, "dateRange.finish", "dateRange.finish is required"),
        ({"dateRange": {"start": "yesterday", "finish": "2025-05-02"}}, "dateRange.start", "ISO 8601"),
        ({"dateRange": {"start": 20250501, "finish": "2025-05-02"}}, "dateRange.start", "ISO 8601"),
        ({"dateRange": {"start": "2025-05-08", "finish": "2025-05-01"}}, "dateRange.finish", "must not be before"),
        (["2025-05-01", "2025-05-02"], "body", "must be a JSON object"),
    ],
)
def test_bad_date_ranges_are_400_with_the_item_and_record_nothing(linked, body, item, message):
    response, error = historic(linked, body)
    assert response.status == 400 and message in error["error"]
    assert error["validation"]["errors"][0]["itemId"] == item
    assert controls.describe(linked)["requestedSyncs"] == []


@pytest.mark.parametrize("raw", [b"{not json", b'"2025-05-01"'])
def test_bad_request_sync_bodies_are_400(linked, raw):
    response, error = _raw(f"/companies/{linked}/sync/commerce/latest", raw)
    assert response.status == 400 and error["statusCode"] == 400
    assert not SandboxSync.objects.exists()


def test_bad_sync_to_is_400(linked):
    response, error = request_sync(linked, {"syncTo": "tomorrow"})
    assert response.status == 400 and "syncTo" in error["error"]


@pytest.mark.parametrize("path", ["/companies/{id}/sync/commerce/latest", "/meta/companies/{id}/sync/commerce/historic"])
def test_unknown_company_is_404_and_get_is_405(db, path):
    response, error = call(path.format(id=UNKNOWN), method="POST", body=RANGE)
    assert response.status == 404 and "No company was found" in error["error"]
    response, _ = call(path.format(id=UNKNOWN))
    assert response.status == 405 and response.headers["Allow"] == "POST"


# --- the controls ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "control, arguments, status, message",
    [
        (controls.complete_sync, {}, 400, "No sync is in progress"),
        (controls.complete_sync, dict(sync_id=UNKNOWN), 404, "has no sync"),
        (controls.complete_sync, dict(sync_id="nope"), 404, "has no sync"),
        (controls.script_syncs, dict(status_code=1000), 400, "2000-5999"),
        (controls.script_syncs, dict(status_code="2000"), 400, "2000-5999"),
        (controls.script_syncs, dict(complete_after_seconds=-1), 400, "completeAfterSeconds"),
        (controls.script_syncs, dict(complete_after_seconds=True), 400, "completeAfterSeconds"),
        (controls.script_syncs, dict(complete_after_seconds=86400), 400, "completeAfterSeconds"),
        (controls.script_syncs, dict(data_pushed="no"), 400, "dataPushed"),
    ],
)
def test_bad_control_input_is_a_control_error(linked, control, arguments, status, message):
    with pytest.raises(ControlError, match=message) as caught:
        control(linked, **arguments)
    assert caught.value.status == status


def test_a_finished_sync_cannot_be_completed_and_a_run_cannot_end_in_progress(linked):
    sync = controls.push_sync(linked, status_code=2000)
    with pytest.raises(ControlError, match="is not in progress"):
        controls.complete_sync(linked, sync_id=str(sync.sync_id))
    request_sync(linked)
    with pytest.raises(ControlError, match="2000-5999"):
        controls.complete_sync(linked, status_code=1010)
    assert latest(linked)["syncStatusCode"] == 1000


def test_http_sync_script_and_complete_sync(client, linked):
    state = post(client, linked, "sync-script", {"statusCode": 5130, "errorMessage": "Data write error"}).json()
    assert state["syncScript"] == {"statusCode": 5130, "errorMessage": "Data write error", "syncExceptionMessage": ""}
    _, summary = request_sync(linked)
    response = post(client, linked, "complete-sync", {"syncId": summary["commerceSyncId"]})
    assert response.status_code == 200
    assert [(s["syncId"], s["syncStatusCode"]) for s in response.json()["syncs"]] == [(summary["commerceSyncId"], 5130)]
    response = post(client, linked, "complete-sync", {})
    assert response.status_code == 400 and "No sync is in progress" in response.json()["error"]
    response = post(client, linked, "sync-script", {"statusCode": 7000})
    assert response.status_code == 400 and "2000-5999" in response.json()["error"]
    response = post(client, linked, "complete-sync", {"syncId": UNKNOWN})
    assert response.status_code == 404
