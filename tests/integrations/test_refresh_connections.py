"""manage.py refresh_connections: the due snapshots refreshed for cron, paced, with progress, a summary
and a non-zero exit on failures."""

import io
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from codat_sandbox import controls
from integrations.management.commands.refresh_connections import parse_duration
from integrations.models import ConnectionSnapshot
from integrations.services.companies import company_bind
from integrations.services.connections import connection_refresh
from integrations.services.refresh_due import connections_refresh_due
from tests.conftest import sandbox_client
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("refresh_connections", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def shops(counting):
    """Three linked merchants, all refreshed once; their snapshots then age as each test says."""
    made = []
    for name in ("Alder", "Birch", "Cedar"):
        merchant, _ = make_merchant(name=name)
        company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 10)
        sandbox_client().get_sync_flow_url(commerce_key="lqai", accounting_key="gbol", merchant_identifier=company_id)
        controls.link(company_id, "gbol")
        connection_refresh(merchant.pk, True)
        made.append(merchant)
    counting.paths.clear()
    return made


def age(merchant, *, minutes: int, expired: bool):
    now = timezone.now()
    ConnectionSnapshot.objects.filter(pk=merchant.pk).update(
        fetched_at=now - timedelta(minutes=minutes),
        expires_at=now - timedelta(seconds=1) if expired else now + timedelta(minutes=5),
    )


def test_refreshes_only_the_due_snapshots_oldest_first_with_progress_and_a_summary(shops, counting, settings):
    settings.CODAT_CONNECTION_TTL = 600  # keep the refreshed ones fresh for the second run
    alder, birch, cedar = shops
    age(alder, minutes=20, expired=True)
    age(birch, minutes=1, expired=False)
    age(cedar, minutes=40, expired=True)
    controls.push_sync(ConnectionSnapshot.objects.get(pk=cedar.pk).company_id, status_code=5130)
    out, err = run("--per-minute", "6000")
    assert out.splitlines()[:2] == [
        f"[1/2] Cedar (merchant {cedar.pk}): refreshed, last sync failed",
        f"[2/2] Alder (merchant {alder.pk}): refreshed, connected",
    ]
    assert out.strip().endswith("2 due: 2 refreshed, 0 skipped (refreshed elsewhere meanwhile), 0 failed")
    assert err == ""
    assert counting.count("/connections") == 2  # one refresh each, five calls each
    assert counting.total == 10
    out, _ = run()
    assert "0 due: 0 refreshed" in out and counting.total == 10


def test_stale_after_refreshes_by_age_whatever_the_expiry(shops, counting):
    alder, birch, cedar = shops
    age(alder, minutes=90, expired=False)
    age(birch, minutes=30, expired=False)
    age(cedar, minutes=5, expired=True)
    out, _ = run("--stale-after", "1h", "--per-minute", "6000")
    assert f"[1/1] Alder (merchant {alder.pk}): refreshed" in out and "1 due: 1 refreshed" in out
    out, _ = run("--stale-after", "20m", "--per-minute", "6000")
    assert "Birch" in out and "1 due: 1 refreshed" in out


def test_failures_are_reported_and_exit_non_zero(shops, counting, sandbox_faults):
    for shop in shops:
        age(shop, minutes=20, expired=True)
    sandbox_faults.inject("list-connections", status=404, times=1)  # the first one fails, the rest are fine
    with pytest.raises(CommandError, match="3 due: 2 refreshed, 0 skipped .*, 1 failed"):
        run("--per-minute", "6000")


def test_rate_limiting_stops_the_run_and_leaves_the_rest(shops, counting, sandbox_faults):
    for shop in shops:
        age(shop, minutes=20, expired=True)
    sandbox_faults.inject("list-connections", status=429, retry_after="120")  # past the client's cap: no retry
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="3 due: 0 refreshed, 0 skipped .*, 1 failed, 2 left for the next run"):
        call_command("refresh_connections", "--per-minute", "6000", stdout=out, stderr=err)
    assert "FAILED Codat list-connections failed with HTTP 429" in err.getvalue()
    assert "Codat is rate limiting us: stopped" in err.getvalue()
    assert counting.total == 1


def test_a_snapshot_refreshed_elsewhere_meanwhile_is_skipped(shops, counting):
    alder = shops[0]
    age(alder, minutes=20, expired=True)

    def progress(number, total, result):
        progressed.append(result.outcome)

    progressed = []
    # Someone else holds the lease (a page's background refresh): this run leaves it to them.
    ConnectionSnapshot.objects.filter(pk=alder.pk).update(lease_until=timezone.now() + timedelta(seconds=30))
    report = connections_refresh_due(per_minute=6000, progress=progress)
    assert progressed == ["skipped"] and report.ok and counting.total == 0


def test_refreshes_are_paced_to_the_rate_asked_for(shops):
    for shop in shops:
        age(shop, minutes=20, expired=True)
    now = [100.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    report = connections_refresh_due(per_minute=30, sleep=sleep, clock=lambda: now[0])
    # 30 a minute: one every 2 s; refreshes take no (fake) time, so each waits the whole interval
    assert waits == [2.0, 2.0] and report.count("refreshed") == 3


def test_limit_refreshes_the_oldest_only(shops, counting):
    alder, birch, cedar = shops
    age(alder, minutes=20, expired=True)
    age(birch, minutes=50, expired=True)
    age(cedar, minutes=30, expired=True)
    out, _ = run("--limit", "1", "--per-minute", "6000")
    assert "Birch" in out and "1 due: 1 refreshed" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--stale-after", "soon"], "--stale-after: 'soon' is not a duration"),
        (["--stale-after", "0"], "is not a duration"),
        (["--stale-after=-5m"], "is not a duration"),
        (["--per-minute", "0"], "--per-minute must be more than 0"),
        (["--limit", "0"], "--limit must be more than 0"),
    ],
)
def test_bad_arguments_are_clear_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


@pytest.mark.parametrize(
    "text, seconds",
    [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800), ("1.5h", 5400), (" 10M ", 600)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)
