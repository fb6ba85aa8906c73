"""Where a merchant's connection stands, from what Codat said: one headline, one next step.

Pure: no database, no Codat. The rules are checked in order and the first that
matches wins. Sync outcomes are classified by the range of their code (1xxx in
progress, 2xxx success, 4xxx the merchant can act, 5xxx Codat's side), never by
a list of codes, because Codat adds codes (its spec's own example, 4200, is not
in its docs' table).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..codat import CompanySyncStatus, Configuration, Connection, ConnectionStatus

# 4040 company deleted, 4220 de-authorised: the merchant must reconnect, not review settings.
RECONNECT_SYNC_CODES = frozenset({4040, 4220})
NO_DATA_PUSHED = 2040


class State(enum.StrEnum):
    NOT_CONNECTED = "not_connected"
    NOT_FINISHED = "not_finished"
    DISCONNECTED = "disconnected"
    SETUP_NOT_FINISHED = "setup_not_finished"
    PAUSED = "paused"
    NEEDS_ATTENTION = "needs_attention"
    SYNCING = "syncing"
    LAST_SYNC_FAILED = "last_sync_failed"
    CONNECTED = "connected"


class SyncOutcome(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUCCESS = "success"
    MERCHANT_ACTION = "merchant_action"
    CODAT_SIDE = "codat_side"
    UNKNOWN = "unknown"


_OUTCOME_BY_THOUSAND = {
    1: SyncOutcome.IN_PROGRESS,
    2: SyncOutcome.SUCCESS,
    4: SyncOutcome.MERCHANT_ACTION,
    5: SyncOutcome.CODAT_SIDE,
}


def sync_outcome(code: int) -> SyncOutcome:
    return _OUTCOME_BY_THOUSAND.get(code // 1000, SyncOutcome.UNKNOWN) if 1000 <= code <= 5999 else SyncOutcome.UNKNOWN


_OUTCOME_LABELS = {
    SyncOutcome.IN_PROGRESS: "In progress",
    SyncOutcome.SUCCESS: "Success",
    SyncOutcome.MERCHANT_ACTION: "Failed (merchant can fix)",
    SyncOutcome.CODAT_SIDE: "Failed (Codat’s side)",
    SyncOutcome.UNKNOWN: "Unknown outcome",
}


def sync_outcome_label(code: int | None) -> str:
    """What a sync's code means, in words staff read: by range, with 2040's "no data" spelled out."""
    if code is None:
        return ""
    if code == NO_DATA_PUSHED:
        return "Success, no data to send"
    return _OUTCOME_LABELS[sync_outcome(code)]


# How staff see each state (ConnectionSnapshot.Status values).
STAFF_STATUS = {
    State.NOT_CONNECTED: "not_finished",  # a company exists, so linking was started
    State.NOT_FINISHED: "not_finished",
    State.DISCONNECTED: "disconnected",
    State.SETUP_NOT_FINISHED: "needs_attention",
    State.PAUSED: "needs_attention",
    State.NEEDS_ATTENTION: "needs_attention",
    State.LAST_SYNC_FAILED: "needs_attention",
    State.SYNCING: "linked",
    State.CONNECTED: "linked",
}


# "Needs attention", as the staff list filters it: disconnected, setup not finished, paused, or
# the latest sync failed (4xxx: the merchant can act; 5xxx: Codat's side).
ATTENTION_STATES = frozenset(
    {State.DISCONNECTED, State.SETUP_NOT_FINISHED, State.PAUSED, State.NEEDS_ATTENTION, State.LAST_SYNC_FAILED}
)
ATTENTION_SYNC_CODES = range(4000, 6000)


@dataclass(frozen=True)
class Standing:
    state: State
    connection: Connection | None = None
    configuration: Configuration | None = None
    latest_sync: CompanySyncStatus | None = None
    last_successful_sync: CompanySyncStatus | None = None

    @property
    def platform_name(self) -> str:
        return self.connection.platform_name if self.connection else ""

    @property
    def platform_key(self) -> str:
        return self.connection.integration_key if self.connection else ""

    @property
    def tenant_name(self) -> str:
        return self.configuration.accounting_software_company_name if self.configuration else ""

    @property
    def staff_status(self) -> str:
        return STAFF_STATUS[self.state]

    @property
    def headline(self) -> str:
        platform = self.platform_name
        return {
            State.NOT_CONNECTED: "Not connected",
            State.NOT_FINISHED: "Connection not finished",
            State.DISCONNECTED: f"Disconnected from {platform}",
            State.SETUP_NOT_FINISHED: "Setup not finished",
            State.PAUSED: "Sync paused",
            State.NEEDS_ATTENTION: "Needs attention",
            State.SYNCING: "Syncing",
            State.LAST_SYNC_FAILED: "Last sync failed",
            State.CONNECTED: (
                f"Connected to {self.tenant_name} on {platform}" if self.tenant_name else f"Connected to {platform}"
            ),
        }[self.state]

    @property
    def action(self) -> str:
        """The one primary next step: re-entering the Sync Flow, where settings live. Empty: pick a platform."""
        platform = self.platform_name
        return {
            State.NOT_CONNECTED: "",
            State.NOT_FINISHED: "Continue setup",
            State.DISCONNECTED: f"Reconnect {platform}",
            State.SETUP_NOT_FINISHED: "Finish setup",
            State.PAUSED: "Turn sync back on",
            State.NEEDS_ATTENTION: "Review settings",
        }.get(self.state, "Change settings")

    @property
    def needs_action(self) -> bool:
        return self.state in (
            State.NOT_FINISHED,
            State.DISCONNECTED,
            State.SETUP_NOT_FINISHED,
            State.PAUSED,
            State.NEEDS_ATTENTION,
        )

    def next_sync_after(self, now: datetime) -> datetime | None:
        """When the next scheduled sync is expected to start (it can start hours later)."""
        schedule = self.configuration.schedule if self.configuration else None
        if schedule is None or schedule.sync_hour is None or schedule.selected_frequency not in ("Daily", "Monthly"):
            return None
        try:
            zone = ZoneInfo(schedule.time_zone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        local_now = now.astimezone(zone)
        candidate = local_now.replace(hour=schedule.sync_hour % 24, minute=0, second=0, microsecond=0)
        if schedule.selected_frequency == "Daily":
            return candidate if candidate > local_now else candidate + timedelta(days=1)
        day = schedule.start_date.day if schedule.start_date else 1
        for months_ahead in range(0, 14):
            year, month = divmod(local_now.month - 1 + months_ahead, 12)
            try:
                monthly = candidate.replace(year=local_now.year + year, month=month + 1, day=day)
            except ValueError:  # no such day this month (e.g. the 31st)
                continue
            if monthly > local_now:
                return monthly
        return None


def accounting_connection(connections: list[Connection], *, source_type: str, connector_key: str) -> Connection | None:
    """The merchant's connection on the side we offer: the linked one, else the newest."""
    candidates = [
        c for c in connections if c.source_type == source_type and c.integration_key != connector_key
    ]
    if not candidates:
        return None
    linked = [c for c in candidates if c.status == ConnectionStatus.LINKED]
    pool = linked or candidates
    return max(pool, key=lambda c: (c.created is not None, c.created or datetime.min))


def standing(
    *,
    connections: list[Connection],
    configuration: Configuration | None,
    latest_sync: CompanySyncStatus | None,
    last_successful_sync: CompanySyncStatus | None,
    source_type: str,
    connector_key: str,
) -> Standing:
    connection = accounting_connection(connections, source_type=source_type, connector_key=connector_key)
    found = dict(
        connection=connection,
        configuration=configuration,
        latest_sync=latest_sync,
        last_successful_sync=last_successful_sync,
    )
    if connection is None:
        return Standing(State.NOT_CONNECTED, **found)
    latest = sync_outcome(latest_sync.status_code) if latest_sync else None
    if connection.status == ConnectionStatus.PENDING_AUTH:
        state = State.NOT_FINISHED
    elif connection.status in (ConnectionStatus.UNLINKED, ConnectionStatus.DEAUTHORIZED) or (
        latest_sync is not None and latest_sync.status_code in RECONNECT_SYNC_CODES
    ):
        state = State.DISCONNECTED
    elif configuration is not None and configuration.configured is False:
        state = State.SETUP_NOT_FINISHED
    elif configuration is not None and configuration.enable is False:
        state = State.PAUSED
    elif latest == SyncOutcome.MERCHANT_ACTION:
        state = State.NEEDS_ATTENTION
    elif latest == SyncOutcome.IN_PROGRESS:
        state = State.SYNCING
    elif latest == SyncOutcome.CODAT_SIDE:
        state = State.LAST_SYNC_FAILED
    else:
        state = State.CONNECTED
    return Standing(state, **found)
