"""Refresh the connection snapshots that are due, without a merchant on the page: for cron.

Paced for Codat's rate limits (NOTES.md §1.3): 1,000 × (1 + connected companies) requests a
day, 10 concurrent, 1,000 a minute per IP. Refreshes run one after another, so the sweep holds
one of the 10 concurrent slots; each costs 5 GETs, and at most ``per_minute`` start in a
minute (the default 30 is 150 requests a minute, leaving the rest to the web pages). A 429
that outlasts the client's own retries stops the sweep: what is left waits for the next run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from django.db.models import F
from django.utils import timezone

from ..codat import CodatClient, CodatError, CodatRateLimitedError
from ..models import ConnectionSnapshot
from .connections import connection_refresh
from .freshness import due_filter, stale_filter

REFRESHED, SKIPPED, FAILED = "refreshed", "skipped", "failed"
DEFAULT_PER_MINUTE = 30.0


@dataclass(frozen=True)
class SweepResult:
    merchant_id: int
    name: str
    outcome: str  # REFRESHED, SKIPPED (refreshed by someone else meanwhile) or FAILED
    detail: str = ""  # the new state, or the error


@dataclass
class SweepReport:
    due: int = 0
    results: list[SweepResult] = field(default_factory=list)
    stopped: str = ""  # why the sweep ended early, if it did

    def count(self, outcome: str) -> int:
        return sum(result.outcome == outcome for result in self.results)

    @property
    def not_attempted(self) -> int:
        return self.due - len(self.results)

    @property
    def ok(self) -> bool:
        return not self.count(FAILED) and not self.stopped

    def summary(self) -> str:
        text = (
            f"{self.due} due: {self.count(REFRESHED)} refreshed, {self.count(SKIPPED)} skipped "
            f"(refreshed elsewhere meanwhile), {self.count(FAILED)} failed"
        )
        if self.not_attempted:
            text += f", {self.not_attempted} left for the next run"
        return text


Progress = Callable[[int, int, SweepResult], None]


def connections_refresh_due(
    *,
    stale_after: timedelta | None = None,
    per_minute: float = DEFAULT_PER_MINUTE,
    limit: int | None = None,
    progress: Progress | None = None,
    codat: CodatClient | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SweepReport:
    """Refresh every due snapshot (expired; or, with ``stale_after``, fetched longer ago), oldest first.

    ``sleep`` and ``clock`` are injectable so that tests check the pacing without waiting it out.
    """
    now = timezone.now()
    stale_before = now - stale_after if stale_after is not None else None
    if stale_before is not None:
        due = stale_filter(fetched="fetched_at", error_at="error_at", before=stale_before, now=now)
    else:
        due = due_filter(expires="expires_at", error_at="error_at", now=now)
    rows = (
        ConnectionSnapshot.objects.filter(due)
        .order_by(F("fetched_at").asc(nulls_first=True), "pk")
        .values_list("pk", "merchant__name")
    )
    targets = list(rows[:limit] if limit else rows)
    report = SweepReport(due=len(targets))
    interval = 60.0 / per_minute if per_minute > 0 else 0.0
    next_start = clock()
    for number, (merchant_id, name) in enumerate(targets, start=1):
        wait = next_start - clock()
        if wait > 0:
            sleep(wait)
        next_start = clock() + interval
        try:
            refreshed = connection_refresh(merchant_id, codat=codat, stale_before=stale_before)
        except CodatRateLimitedError as exc:
            result = SweepResult(merchant_id, name, FAILED, str(exc))
            report.stopped = "Codat is rate limiting us: stopped; the rest wait for the next run."
        except CodatError as exc:
            result = SweepResult(merchant_id, name, FAILED, str(exc))
        else:
            if refreshed:
                state = ConnectionSnapshot.objects.values_list("state", flat=True).get(pk=merchant_id)
                result = SweepResult(merchant_id, name, REFRESHED, state)
            else:
                result = SweepResult(merchant_id, name, SKIPPED)
        report.results.append(result)
        if progress is not None:
            progress(number, len(targets), result)
        if report.stopped:
            break
    return report
