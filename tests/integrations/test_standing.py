"""Where a connection stands: the rules in order, first match wins; sync codes by range. No database."""

from datetime import datetime, timezone

import pytest

from integrations.codat import CompanySyncStatus, Configuration, Connection, SyncSchedule
from integrations.services.standing import State, SyncOutcome, accounting_connection, standing, sync_outcome

T = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def conn(status="Linked", key="gbol", name="Xero", source="Accounting", created=T):
    return Connection(
        id=f"{key}-{status}", integration_key=key, platform_name=name, source_type=source, status=status, created=created
    )


POS = conn(key="lqai", name="Sandbox POS", source="Commerce")
READY = Configuration(accounting_software_company_name="Bean & Leaf Ltd", enable=True, configured=True)


def sync(code, message=""):
    return CompanySyncStatus(sync_id=f"s-{code}", status_code=code, status="x", error_message=message, sync_utc=T)


def state_of(connections=(POS, conn()), configuration=READY, latest=None, last_ok=None) -> State:
    return standing(
        connections=list(connections),
        configuration=configuration,
        latest_sync=latest,
        last_successful_sync=last_ok,
        source_type="Accounting",
        connector_key="lqai",
    ).state


@pytest.mark.parametrize(
    "case, expected",
    [
        (dict(connections=[]), State.NOT_CONNECTED),
        (dict(connections=[POS]), State.NOT_CONNECTED),  # only our own connector's connection
        (dict(connections=[POS, conn("PendingAuth")]), State.NOT_FINISHED),
        (dict(connections=[POS, conn("Unlinked")]), State.DISCONNECTED),
        (dict(connections=[POS, conn("Deauthorized")]), State.DISCONNECTED),
        (dict(latest=sync(4040)), State.DISCONNECTED),
        (dict(latest=sync(4220)), State.DISCONNECTED),
        (dict(configuration=Configuration(enable=True, configured=False)), State.SETUP_NOT_FINISHED),
        (dict(configuration=Configuration(enable=False, configured=True)), State.PAUSED),
        (dict(latest=sync(4000, "Map your sales account")), State.NEEDS_ATTENTION),
        (dict(latest=sync(4260)), State.NEEDS_ATTENTION),
        (dict(latest=sync(4999)), State.NEEDS_ATTENTION),  # a code no table lists: its range decides
        (dict(latest=sync(1000)), State.SYNCING),
        (dict(latest=sync(1010)), State.SYNCING),
        (dict(latest=sync(5130)), State.LAST_SYNC_FAILED),
        (dict(latest=sync(2000), last_ok=sync(2000)), State.CONNECTED),
        (dict(latest=sync(2040), last_ok=sync(2040)), State.CONNECTED),
        (dict(), State.CONNECTED),  # linked and set up, no sync yet
        (dict(configuration=None), State.CONNECTED),  # unknown configuration is not "not configured"
        (dict(configuration=Configuration(enable=None, configured=None)), State.CONNECTED),
    ],
)
def test_each_rule(case, expected):
    assert state_of(**case) == expected


def test_earlier_rules_win():
    # Pending beats a failing sync; disconnected beats paused; not configured beats paused.
    assert state_of(connections=[POS, conn("PendingAuth")], latest=sync(4000)) == State.NOT_FINISHED
    assert state_of(connections=[POS, conn("Unlinked")], configuration=Configuration(enable=False)) == State.DISCONNECTED
    assert state_of(configuration=Configuration(enable=False, configured=False)) == State.SETUP_NOT_FINISHED
    assert state_of(configuration=Configuration(enable=False, configured=True), latest=sync(4000)) == State.PAUSED


@pytest.mark.parametrize(
    "code, outcome",
    [(1000, "in_progress"), (2040, "success"), (4200, "merchant_action"), (5000, "codat_side"), (3000, "unknown"),
     (999, "unknown"), (6000, "unknown")],
)
def test_sync_codes_are_classified_by_range(code, outcome):
    assert sync_outcome(code) == SyncOutcome(outcome)


def test_the_linked_accounting_connection_is_chosen_over_older_or_pending_ones():
    old = conn("Unlinked", key="qhyg", name="QuickBooks Online", created=datetime(2025, 1, 1, tzinfo=timezone.utc))
    pending = conn("PendingAuth", key="fbrh", name="FreeAgent", created=datetime(2026, 11, 22, tzinfo=timezone.utc))
    linked = conn("Linked", created=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert accounting_connection([POS, old, pending, linked], source_type="Accounting", connector_key="lqai") is linked
    assert accounting_connection([POS, old, pending], source_type="Accounting", connector_key="lqai") is pending


def test_headlines_and_actions_name_the_platform_and_tenant():
    found = standing(connections=[POS, conn("Deauthorized")], configuration=READY, latest_sync=None,
                     last_successful_sync=None, source_type="Accounting", connector_key="lqai")
    assert (found.headline, found.action, found.needs_action) == ("Disconnected from Xero", "Reconnect Xero", True)
    found = standing(connections=[POS, conn()], configuration=READY, latest_sync=None, last_successful_sync=None,
                     source_type="Accounting", connector_key="lqai")
    assert (found.headline, found.action, found.needs_action) == (
        "Connected to Bean & Leaf Ltd on Xero", "Change settings", False
    )
    assert (found.platform_key, found.staff_status) == ("gbol", "linked")


@pytest.mark.parametrize(
    "schedule, now, expected",
    [
        # 02:00 London (GMT in November) is still ahead today, then tomorrow once it has passed
        (SyncSchedule("Daily", None, 2, "Europe/London"), datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc),
         datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)),
        (SyncSchedule("Daily", None, 2, "Europe/London"), datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc),
         datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)),
        # British Summer Time: 02:00 local is 01:00 UTC
        (SyncSchedule("Daily", None, 2, "Europe/London"), datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc),
         datetime(2026, 7, 2, 1, 0, tzinfo=timezone.utc)),
        # Monthly on the 31st skips the months without one
        (SyncSchedule("Monthly", datetime(2026, 1, 31, tzinfo=timezone.utc), 3, "UTC"),
         datetime(2026, 11, 5, tzinfo=timezone.utc), datetime(2026, 12, 31, 3, 0, tzinfo=timezone.utc)),
        (SyncSchedule("Daily", None, None, "UTC"), T, None),
        (SyncSchedule("Daily", None, 4, "Not/AZone"), datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc),
         datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)),
    ],
)
def test_next_sync_follows_the_schedule_in_its_time_zone(schedule, now, expected):
    found = standing(connections=[POS, conn()], configuration=Configuration(enable=True, configured=True, schedule=schedule),
                     latest_sync=None, last_successful_sync=None, source_type="Accounting", connector_key="lqai")
    assert found.next_sync_after(now) == expected
