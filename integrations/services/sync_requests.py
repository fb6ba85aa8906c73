"""Syncs requested from Codat on a merchant's behalf: when one may be asked for, which dates a
range covers, and the request itself, recorded whatever Codat answers.

request-sync and request-sync-for-date-range are POSTs: the client never retries them (a
retry after a lost answer would start a second sync), and neither does anything here. A
second submit of the same form is held by the request's one-time token (a unique column),
and two different forms submitted at once by the partial unique index that allows one
request per merchant in flight: whichever insert loses sends nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from merchants.models import Merchant

from ..codat import CodatAPIError, CodatClient, CodatError, ConnectionStatus, get_codat_client
from ..models import ConnectionSnapshot, SyncRequest
from .connections import connection_record_sync, report_of
from .standing import RECONNECT_SYNC_CODES, Standing, SyncOutcome, sync_outcome

logger = logging.getLogger(__name__)

# A request still "sending" after this long belongs to a process that stopped mid-call (the
# client gives up long before): it no longer holds the merchant's one slot.
ABANDONED_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class SyncOffer:
    """Whether a sync may be requested now; if not, what has to happen first, in staff's words."""

    allowed: bool
    reason: str = ""


def sync_offer(standing: Standing) -> SyncOffer:
    """A sync may be requested when the accounting connection is Linked, the merchant's sync is
    configured and enabled (Codat's own readiness rule), and no sync is running.

    Read from the snapshot: a merchant Codat was never asked about has no connection yet."""
    connection = standing.connection
    platform = standing.platform_name or "their accounting software"
    latest = standing.latest_sync
    if connection is None:
        return SyncOffer(False, "Merchant must connect their accounting software first.")
    if connection.status == ConnectionStatus.PENDING_AUTH:
        return SyncOffer(False, f"Merchant must finish connecting {platform}.")
    if connection.status != ConnectionStatus.LINKED or (latest and latest.status_code in RECONNECT_SYNC_CODES):
        return SyncOffer(False, f"Merchant must reconnect {platform}.")
    configuration = standing.configuration
    if configuration is None or configuration.configured is None or configuration.enable is None:
        return SyncOffer(False, "Codat hasn’t said whether the merchant’s sync is set up: refresh from Codat.")
    if not configuration.configured:
        return SyncOffer(False, "Merchant must finish their sync settings in Codat’s Sync Flow.")
    if not configuration.enable:
        return SyncOffer(False, "Merchant must turn sync back on in their sync settings.")
    if latest is not None and sync_outcome(latest.status_code) == SyncOutcome.IN_PROGRESS:
        return SyncOffer(False, "A sync is in progress: wait for it to finish, then refresh from Codat.")
    return SyncOffer(True)


# --- date ranges -------------------------------------------------------------------------------


class DateRangeError(ValueError):
    """A range Codat should not be asked for; ``problems`` maps "start"/"finish" to messages."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class SyncRange:
    first_day: date
    last_day: date
    start: datetime  # aware: the first day's sync hour in the schedule's zone
    finish: datetime  # aware: the sync hour the day after the last day

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def sync_day(standing: Standing) -> tuple[ZoneInfo, int]:
    """Where Codat's sync days begin and end: the schedule's sync hour in its time zone.

    Codat's schedule docs: the sync hour "will mark the start/end of any sync period", in the
    schedule's time zone (Etc/UTC when none is set); the Sync Flow sets it to midnight.
    """
    schedule = standing.configuration.schedule if standing.configuration else None
    try:
        zone = ZoneInfo(schedule.time_zone or "UTC") if schedule else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    hour = schedule.sync_hour if schedule and schedule.sync_hour is not None else 0
    return zone, hour % 24


def sync_range(standing: Standing, *, first_day: date, last_day: date, now: datetime | None = None) -> SyncRange:
    """Whole sync days from ``first_day`` through ``last_day``, or DateRangeError saying why not.

    Refused: a last day before the first; a day that has not ended yet (Codat syncs whole days;
    "Sync now" covers today so far); more than CODAT_SYNC_RANGE_MAX_DAYS days.
    """
    now = now or timezone.now()
    zone, hour = sync_day(standing)
    maximum = settings.CODAT_SYNC_RANGE_MAX_DAYS
    local_now = now.astimezone(zone)
    # The sync day under way now started at the sync hour today, or yesterday before it.
    current_day = local_now.date() if local_now.hour >= hour else local_now.date() - timedelta(days=1)
    problems: dict[str, str] = {}
    if first_day > current_day:
        problems["start"] = "The first day is in the future."
    if last_day < first_day:
        problems["finish"] = "The last day must be the same as the first day or after it."
    elif last_day > current_day:
        problems["finish"] = "The last day is in the future."
    elif last_day == current_day:
        problems["finish"] = (
            f"{last_day.day} {last_day:%B} isn’t over yet in the merchant’s time zone ({zone.key}): choose an "
            "earlier last day, or use Sync now for today so far."
        )
    elif (last_day - first_day).days + 1 > maximum:
        problems["finish"] = (
            f"Codat is asked for at most {maximum} days at a time; this range is "
            f"{(last_day - first_day).days + 1} days. Split it into shorter ranges."
        )
    if problems:
        raise DateRangeError(problems)
    return SyncRange(
        first_day=first_day,
        last_day=last_day,
        start=datetime.combine(first_day, time(hour), zone),
        finish=datetime.combine(last_day + timedelta(days=1), time(hour), zone),
    )


# --- the request -------------------------------------------------------------------------------


class SyncNotOffered(Exception):
    """Nothing was sent: the merchant's connection does not allow a sync now (the reason says why)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SyncAlreadyRequested(Exception):
    """Nothing was sent: this form was submitted already, or another request is in flight."""

    def __init__(self, request: SyncRequest):
        super().__init__(f"sync request {request.pk} already made")
        self.request = request


class SyncRequestFailed(Exception):
    """Sent, and Codat refused it or did not answer; recorded on ``request``."""

    def __init__(self, request: SyncRequest, error: CodatError):
        super().__init__(str(error))
        self.request = request
        self.error = error


def sync_request_send(
    *,
    merchant: Merchant,
    user,
    token: uuid.UUID,
    date_range: SyncRange | None = None,
    codat: CodatClient | None = None,
) -> SyncRequest:
    """Ask Codat for a sync now (``date_range`` None) or for a date range, at most once per token.

    Checks the snapshot first (no Codat call): SyncNotOffered if the connection does not allow
    it. Records the request before sending it, and Codat's answer or the error after.
    """
    already = SyncRequest.objects.filter(merchant=merchant, token=token).first()
    if already is not None:  # this form was sent before: whatever happened then, not again
        raise SyncAlreadyRequested(already)
    snapshot = ConnectionSnapshot.objects.filter(merchant=merchant).first()
    if snapshot is None:
        raise SyncNotOffered("Merchant must connect their accounting software first.")
    offer = sync_offer(report_of(snapshot).standing)
    if not offer.allowed:
        raise SyncNotOffered(offer.reason)
    request = _record(merchant=merchant, user=user, token=token, company_id=snapshot.company_id, date_range=date_range)
    codat = codat or get_codat_client()
    try:
        if date_range is None:
            summary = codat.request_sync(snapshot.company_id)
        else:
            summary = codat.request_sync_for_date_range(
                snapshot.company_id, start=date_range.start, finish=date_range.finish
            )
    except CodatAPIError as exc:
        _answered(
            request,
            SyncRequest.Outcome.FAILED,
            http_status=exc.status,
            correlation_id=exc.correlation_id,
            error=str(exc),
            answer=exc.body if isinstance(exc.body, dict) else None,
        )
        raise SyncRequestFailed(request, exc) from None
    except CodatError as exc:
        # No answer: the POST may or may not have reached Codat. Never sent again by itself.
        _answered(request, SyncRequest.Outcome.FAILED, error=f"{exc}. Codat may or may not have started a sync.")
        raise SyncRequestFailed(request, exc) from None
    except BaseException:
        _answered(request, SyncRequest.Outcome.FAILED, error="Interrupted before Codat answered.")
        raise
    _answered(
        request,
        SyncRequest.Outcome.ACCEPTED,
        http_status=200,
        sync_id=summary.commerce_sync_id,
        sync_status_code=summary.status_code if summary.status_code is not None and 0 <= summary.status_code < 32768 else None,
        answer=summary.to_json(),
    )
    logger.info(
        "sync requested for merchant %s (%s): Codat sync %s, code %s",
        merchant.pk,
        request.kind,
        summary.commerce_sync_id,
        summary.status_code,
    )
    run = summary.as_sync_status()
    if run is not None:
        connection_record_sync(merchant.pk, run)
    return request


def _record(*, merchant, user, token, company_id, date_range) -> SyncRequest:
    now = timezone.now()
    SyncRequest.objects.filter(
        merchant=merchant, outcome=SyncRequest.Outcome.SENDING, requested_at__lt=now - ABANDONED_AFTER
    ).update(
        outcome=SyncRequest.Outcome.FAILED,
        answered_at=now,
        error="No answer was recorded (the request was interrupted); Codat may or may not have started a sync.",
    )
    try:
        with transaction.atomic():
            return SyncRequest.objects.create(
                token=token,
                merchant=merchant,
                company_id=company_id,
                requested_by=user,
                kind=SyncRequest.Kind.LATEST if date_range is None else SyncRequest.Kind.DATE_RANGE,
                range_start=date_range.start if date_range else None,
                range_finish=date_range.finish if date_range else None,
                requested_at=now,
            )
    except IntegrityError:
        existing = (
            SyncRequest.objects.filter(merchant=merchant, token=token).first()
            or SyncRequest.objects.filter(merchant=merchant, outcome=SyncRequest.Outcome.SENDING).first()
        )
        if existing is None:  # a token from some other merchant's form
            raise SyncNotOffered("This form has already been used: open it again from the merchant’s page.") from None
        raise SyncAlreadyRequested(existing) from None


def _answered(request: SyncRequest, outcome: str, **fields) -> None:
    fields = {"outcome": outcome, "answered_at": timezone.now(), **fields}
    for name, value in fields.items():
        setattr(request, name, value)
    SyncRequest.objects.filter(pk=request.pk).update(**fields)
