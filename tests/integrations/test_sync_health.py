"""Sync health behind the staff pages: the syncs each snapshot keeps, when a sync may be
requested, which days a range covers, and the request itself, recorded whatever Codat answers."""

import importlib
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone

from codat_sandbox import controls
from integrations.codat import CodatServerError, CompanySyncStatus, Configuration, Connection, SyncSchedule
from integrations.models import ConnectionSnapshot, SyncRequest
from integrations.services.companies import company_bind
from integrations.services.connections import connection_refresh, snapshot_syncs
from integrations.services.standing import Standing, State
from integrations.services.sync_requests import (
    DateRangeError,
    SyncAlreadyRequested,
    SyncNotOffered,
    SyncRequestFailed,
    sync_offer,
    sync_range,
    sync_request_send,
)
from tests.conftest import sandbox_client
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

UTC = timezone.utc


def bind(merchant, *, link=True) -> str:
    """The merchant's company, its connections readied by a Sync Flow start, and linked (or not)."""
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 10)
    sandbox_client().get_sync_flow_url(commerce_key="lqai", accounting_key="gbol", merchant_identifier=company_id)
    if link:
        controls.link(company_id, "gbol", tenant_name="Bean & Leaf Trading Ltd")
    return company_id


@pytest.fixture
def linked(merchant, counting):
    company_id = bind(merchant)
    connection_refresh(merchant.pk, True)
    counting.paths.clear()
    counting.requests.clear()
    return company_id


# --- the snapshot keeps the last syncs ---------------------------------------------------------


def test_a_refresh_keeps_the_last_30_syncs_newest_first_and_the_latests_code_and_time(merchant, linked):
    for n in range(31):
        controls.push_sync(linked, status_code=2000, error_message=f"run {n}")
    latest = controls.push_sync(linked, status_code=5130, error_message="Data write error", sync_exception_message="Xero 503")
    assert connection_refresh(merchant.pk, True)
    snapshot = ConnectionSnapshot.objects.get(pk=merchant.pk)
    syncs = snapshot_syncs(snapshot)
    assert len(syncs) == 30
    assert (syncs[0].sync_id, syncs[0].status_code, syncs[0].exception_message) == (str(latest.sync_id), 5130, "Xero 503")
    assert [s.error_message for s in syncs[1:3]] == ["run 30", "run 29"]
    assert (snapshot.last_sync_code, snapshot.last_sync_at) == (5130, latest.sync_utc)
    assert snapshot.state == State.LAST_SYNC_FAILED


def test_a_running_sync_makes_the_snapshot_due_sooner(merchant, linked, settings):
    settings.CODAT_CONNECTION_TTL, settings.CODAT_CONNECTION_SYNCING_TTL = 600, 45
    controls.push_sync(linked, status_code=1000)
    connection_refresh(merchant.pk, True)
    snapshot = ConnectionSnapshot.objects.get(pk=merchant.pk)
    assert snapshot.state == State.SYNCING
    assert snapshot.expires_at - snapshot.fetched_at == timedelta(seconds=45)
    controls.complete_sync(linked)
    connection_refresh(merchant.pk, True)
    snapshot = ConnectionSnapshot.objects.get(pk=merchant.pk)
    assert snapshot.expires_at - snapshot.fetched_at == timedelta(seconds=600)


def test_codat_failing_on_list_syncs_keeps_the_previous_snapshot(merchant, linked, sandbox_faults):
    controls.push_sync(linked, status_code=2000)
    connection_refresh(merchant.pk, True)
    controls.push_sync(linked, status_code=4000)
    sandbox_faults.inject("list-syncs", status=500)
    with pytest.raises(CodatServerError):
        connection_refresh(merchant.pk, True)
    snapshot = ConnectionSnapshot.objects.get(pk=merchant.pk)
    assert [s.status_code for s in snapshot_syncs(snapshot)] == [2000] and snapshot.last_sync_code == 2000
    assert snapshot.error.startswith("Codat list-syncs failed with HTTP 500")


def test_the_migration_fills_the_columns_of_snapshots_refreshed_before_it(merchant, linked):
    from django.apps import apps

    controls.push_sync(linked, status_code=5130)
    connection_refresh(merchant.pk, True)
    expected = ConnectionSnapshot.objects.values_list("last_sync_code", "last_sync_at").get(pk=merchant.pk)
    ConnectionSnapshot.objects.update(last_sync_code=None, last_sync_at=None)
    migration = importlib.import_module("integrations.migrations.0004_sync_health")
    migration.fill_last_sync_columns(apps, None)
    assert ConnectionSnapshot.objects.values_list("last_sync_code", "last_sync_at").get(pk=merchant.pk) == expected


# --- when a sync may be requested ----------------------------------------------------------------

XERO = Connection(id="c1", integration_key="gbol", platform_name="Xero", source_type="Accounting", status="Linked", created=None)
READY = Configuration(enable=True, configured=True)


def sync(code: int) -> CompanySyncStatus:
    return CompanySyncStatus(sync_id="s1", status_code=code, status="")


@pytest.mark.parametrize(
    "standing, allowed, reason",
    [
        (Standing(State.CONNECTED, XERO, READY, sync(2000)), True, ""),
        (Standing(State.LAST_SYNC_FAILED, XERO, READY, sync(5130)), True, ""),
        (Standing(State.NEEDS_ATTENTION, XERO, READY, sync(4000)), True, ""),
        (Standing(State.NOT_CONNECTED), False, "Merchant must connect their accounting software first."),
        (Standing(State.NOT_FINISHED, Connection(**{**XERO.__dict__, "status": "PendingAuth"}), READY), False,
         "Merchant must finish connecting Xero."),
        (Standing(State.DISCONNECTED, Connection(**{**XERO.__dict__, "status": "Deauthorized"}), READY), False,
         "Merchant must reconnect Xero."),
        (Standing(State.DISCONNECTED, Connection(**{**XERO.__dict__, "status": "Unlinked"}), READY), False,
         "Merchant must reconnect Xero."),
        (Standing(State.DISCONNECTED, XERO, READY, sync(4220)), False, "Merchant must reconnect Xero."),
        (Standing(State.SETUP_NOT_FINISHED, XERO, Configuration(enable=True, configured=False)), False,
         "Merchant must finish their sync settings"),
        (Standing(State.PAUSED, XERO, Configuration(enable=False, configured=True)), False,
         "Merchant must turn sync back on"),
        (Standing(State.CONNECTED, XERO, Configuration(enable=None, configured=True)), False,
         "hasn’t said whether"),
        (Standing(State.CONNECTED, XERO, None), False, "hasn’t said whether"),
        (Standing(State.SYNCING, XERO, READY, sync(1000)), False, "A sync is in progress"),
        (Standing(State.SYNCING, XERO, READY, sync(1010)), False, "A sync is in progress"),
    ],
)
def test_a_sync_is_offered_only_when_linked_configured_enabled_and_idle(standing, allowed, reason):
    offer = sync_offer(standing)
    assert offer.allowed is allowed
    assert reason in offer.reason and (offer.reason == "") is allowed


# --- which days a range covers ---------------------------------------------------------------

LONDON = Standing(
    State.CONNECTED, XERO, Configuration(enable=True, configured=True, schedule=SyncSchedule("Daily", None, 0, "Europe/London"))
)
NOW = datetime(2025, 5, 20, 9, 30, tzinfo=UTC)  # 10:30 in London


def test_a_range_is_whole_days_in_the_schedules_zone_from_its_sync_hour():
    found = sync_range(LONDON, first_day=date(2025, 5, 1), last_day=date(2025, 5, 7), now=NOW)
    assert (found.start, found.finish, found.days) == (
        datetime(2025, 4, 30, 23, tzinfo=UTC),
        datetime(2025, 5, 7, 23, tzinfo=UTC),
        7,
    )
    odd_hour = Standing(State.CONNECTED, XERO, Configuration(schedule=SyncSchedule("Daily", None, 2, "Asia/Kolkata")))
    found = sync_range(odd_hour, first_day=date(2025, 5, 19), last_day=date(2025, 5, 19), now=NOW)
    assert (found.start, found.finish) == (datetime(2025, 5, 18, 20, 30, tzinfo=UTC), datetime(2025, 5, 19, 20, 30, tzinfo=UTC))


def test_no_schedule_means_utc_midnight():
    found = sync_range(Standing(State.CONNECTED, XERO, READY), first_day=date(2025, 5, 19), last_day=date(2025, 5, 19), now=NOW)
    assert (found.start, found.finish) == (datetime(2025, 5, 19, tzinfo=UTC), datetime(2025, 5, 20, tzinfo=UTC))


@pytest.mark.parametrize(
    "first, last, problems",
    [
        (date(2025, 5, 7), date(2025, 5, 1), {"finish": "The last day must be the same as the first day or after it."}),
        (date(2025, 5, 18), date(2025, 5, 20), {"finish": "20 May isn’t over yet in the merchant’s time zone (Europe/London)"}),
        (date(2025, 5, 18), date(2025, 5, 21), {"finish": "The last day is in the future."}),
        (date(2025, 5, 21), date(2025, 5, 22), {"start": "The first day is in the future.", "finish": "The last day is in the future."}),
        (date(2025, 4, 1), date(2025, 5, 2), {"finish": "at most 31 days at a time; this range is 32 days"}),
        (date(2025, 5, 22), date(2025, 5, 1), {"start": "The first day is in the future.", "finish": "must be the same"}),
    ],
)
def test_ranges_codat_should_not_be_asked_for(first, last, problems):
    with pytest.raises(DateRangeError) as caught:
        sync_range(LONDON, first_day=first, last_day=last, now=NOW)
    assert set(caught.value.problems) == set(problems)
    for field, message in problems.items():
        assert message in caught.value.problems[field]


def test_31_days_ending_yesterday_is_the_longest_range(settings):
    assert sync_range(LONDON, first_day=date(2025, 4, 19), last_day=date(2025, 5, 19), now=NOW).days == 31
    settings.CODAT_SYNC_RANGE_MAX_DAYS = 7
    with pytest.raises(DateRangeError, match="at most 7 days"):
        sync_range(LONDON, first_day=date(2025, 5, 12), last_day=date(2025, 5, 19), now=NOW)


def test_before_the_sync_hour_the_previous_day_is_still_running():
    two_am = Standing(State.CONNECTED, XERO, Configuration(schedule=SyncSchedule("Daily", None, 2, "UTC")))
    at_one = datetime(2025, 5, 20, 1, 0, tzinfo=UTC)  # 19 May's sync day runs until 02:00 on the 20th
    with pytest.raises(DateRangeError, match="19 May isn’t over yet"):
        sync_range(two_am, first_day=date(2025, 5, 19), last_day=date(2025, 5, 19), now=at_one)
    assert sync_range(two_am, first_day=date(2025, 5, 18), last_day=date(2025, 5, 18), now=at_one).days == 1


# --- the request ------------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return make_staff()


def test_sync_now_is_recorded_with_codats_answer_and_shows_in_progress_at_once(merchant, linked, counting, staff):
    sent = sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4())
    assert counting.count("/sync/commerce/latest") == 1 and counting.total == 1
    sent.refresh_from_db()
    assert (sent.outcome, sent.kind, sent.http_status, sent.sync_status_code) == ("accepted", "latest", 200, 1000)
    assert (sent.requested_by, sent.company_id, sent.answered_at is not None) == (staff, linked, True)
    assert sent.sync_id == controls.describe(linked)["syncs"][0]["syncId"]
    assert sent.answer["syncStatusCode"] == 1000 and sent.error == ""
    snapshot = ConnectionSnapshot.objects.get(pk=merchant.pk)
    assert (snapshot.state, snapshot.last_sync_code) == (State.SYNCING, 1000)
    assert snapshot_syncs(snapshot)[0].sync_id == sent.sync_id


def test_a_date_range_is_sent_as_its_boundaries(merchant, linked, counting, staff):
    days = sync_range(LONDON, first_day=date(2025, 5, 1), last_day=date(2025, 5, 7), now=NOW)
    sent = sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4(), date_range=days)
    assert counting.count("/sync/commerce/historic") == 1
    assert (sent.kind, sent.range_start, sent.range_finish) == ("date_range", days.start, days.finish)
    (requested,) = controls.describe(linked)["requestedSyncs"]
    assert requested["dateRange"] == {"start": "2025-04-30T23:00:00.0000000Z", "finish": "2025-05-07T23:00:00.0000000Z"}


def test_the_same_token_twice_sends_once(merchant, linked, counting, staff):
    token = uuid.uuid4()
    first = sync_request_send(merchant=merchant, user=staff, token=token)
    with pytest.raises(SyncAlreadyRequested) as caught:
        sync_request_send(merchant=merchant, user=staff, token=token)
    assert caught.value.request.pk == first.pk
    assert counting.count("/sync/commerce/latest") == 1 and SyncRequest.objects.count() == 1


def test_a_request_in_flight_holds_the_merchants_slot(merchant, linked, counting, staff):
    in_flight = SyncRequest.objects.create(
        token=uuid.uuid4(), merchant=merchant, company_id=linked, kind="latest", requested_at=django_timezone.now()
    )
    with pytest.raises(SyncAlreadyRequested) as caught:
        sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4())
    assert caught.value.request.pk == in_flight.pk and counting.total == 0


def test_a_request_abandoned_mid_call_no_longer_holds_the_slot(merchant, linked, counting, staff):
    abandoned = SyncRequest.objects.create(
        token=uuid.uuid4(), merchant=merchant, company_id=linked, kind="latest",
        requested_at=django_timezone.now() - timedelta(minutes=6),
    )
    sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4())
    abandoned.refresh_from_db()
    assert abandoned.outcome == "failed" and "may or may not have started" in abandoned.error
    assert counting.count("/sync/commerce/latest") == 1


@pytest.mark.parametrize(
    "script, reason",
    [
        (lambda c: controls.set_connection_status(c, status="Deauthorized", platform_key="gbol"), "Merchant must reconnect Xero."),
        (lambda c: controls.set_configuration(c, enable=False), "Merchant must turn sync back on"),
        (lambda c: controls.push_sync(c, status_code=1000), "A sync is in progress"),
    ],
)
def test_nothing_is_sent_or_recorded_when_a_sync_is_not_offered(merchant, linked, counting, staff, script, reason):
    script(linked)
    connection_refresh(merchant.pk, True)
    counting.paths.clear()
    with pytest.raises(SyncNotOffered, match=reason):
        sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4())
    assert counting.total == 0 and not SyncRequest.objects.exists()


def test_a_merchant_without_a_company_is_not_offered_a_sync(merchant, counting, staff):
    with pytest.raises(SyncNotOffered, match="connect their accounting software first"):
        sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4())
    assert counting.total == 0


def test_codat_refusing_is_recorded_with_its_status_body_and_correlation_id(merchant, linked, counting, staff, sandbox_faults):
    sandbox_faults.inject("request-sync", status=503)
    with pytest.raises(SyncRequestFailed) as caught:
        sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4())
    failed = SyncRequest.objects.get()
    assert caught.value.request.pk == failed.pk
    assert (failed.outcome, failed.http_status) == ("failed", 503)
    assert len(failed.correlation_id) == 32 and failed.correlation_id in failed.error
    assert failed.answer["statusCode"] == 503
    assert counting.count("/sync/commerce/latest") == 1  # never retried
    assert ConnectionSnapshot.objects.get(pk=merchant.pk).state == State.CONNECTED  # nothing pretended


def test_no_answer_is_recorded_as_maybe_started(merchant, linked, staff, sandbox_faults):
    from integrations.codat import use_client

    sandbox_faults.inject("request-sync", latency_ms=300)
    with use_client(sandbox_client(read_timeout=0.1)):
        with pytest.raises(SyncRequestFailed):
            sync_request_send(merchant=merchant, user=staff, token=uuid.uuid4())
    failed = SyncRequest.objects.get()
    assert failed.outcome == "failed" and failed.http_status is None
    assert "Codat may or may not have started a sync" in failed.error
