"""Starting a link: mint a single-use Sync Flow URL and send the merchant to it while it is fresh.

A code lives CODAT_SYNC_FLOW_CODE_TTL seconds from issue. We count its age
from the moment the request that minted it was sent, and redirect only while
at least ARRIVAL_MARGIN of the TTL remains for the browser to get there;
otherwise we mint exactly once more. The URL is never stored, cached,
rendered or logged: it exists only in the redirect of the request that asked.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from ..codat import (
    CodatAPIError,
    CodatClient,
    CodatConnectionError,
    CodatError,
    CodatRateLimitedError,
    CodatResponseError,
    CodatServerError,
    CodatTimeoutError,
    get_codat_client,
)
from merchants.models import Merchant

from ..models import LinkAttempt
from . import side_writes
from .companies import company_bind
from .connection_changes import reconnect_failed, reconnect_started
from .connections import connection_standing
from .standing import Standing
from .offering import NotOffered, Offer, offer_for

logger = logging.getLogger(__name__)

# A third of the TTL kept back for the redirect: 10 s of Codat's 30, 1 s of a 3 s test TTL.
ARRIVAL_MARGIN = 1 / 3
# An attempt still pending this long after CODAT_HANDOFF_TIMEOUT lost its worker (killed by
# gunicorn's timeout, a deploy, the OOM killer): nothing will ever finish it.
ABANDONED_AFTER = timedelta(seconds=60)
Reason = LinkAttempt.Reason
Outcome = LinkAttempt.Outcome


@dataclass
class StartedLink:
    url: str = field(repr=False)  # carries the one-time code
    attempt: LinkAttempt


class LinkFailed(Exception):
    """Codat could not give us a usable URL; ``attempt.failure_reason`` says why."""

    def __init__(self, attempt: LinkAttempt, *, retry_after: float | None = None):
        super().__init__(attempt.get_failure_reason_display())
        self.attempt = attempt
        self.retry_after = retry_after


class _HandoffSlots:
    """At most CODAT_HANDOFF_CONCURRENCY hand-offs of this process wait on Codat at once.

    When Codat is slow every hand-off holds its thread for up to CODAT_HANDOFF_TIMEOUT; without
    a cap they would take every thread and /healthz would stop answering. Past the cap a start
    fails at once (the 503 page) instead of queueing behind the others.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._size: int | None = None
        self._semaphore: threading.BoundedSemaphore | None = None

    def _current(self) -> threading.BoundedSemaphore:
        size = max(1, settings.CODAT_HANDOFF_CONCURRENCY)
        with self._lock:
            if self._size != size:  # read at call time, so tests and settings changes take effect
                self._semaphore, self._size = threading.BoundedSemaphore(size), size
            return self._semaphore

    @contextmanager
    def hold(self):
        """A slot for the block; SlotsFull at once if there is none."""
        semaphore = self._current()
        if not semaphore.acquire(blocking=False):
            raise SlotsFull
        try:
            yield
        finally:
            semaphore.release()


class SlotsFull(Exception):
    pass


handoff_slots = _HandoffSlots()
# What the browser is told to wait when every slot is busy: a hand-off ends within seconds.
BUSY_RETRY_AFTER = 5


def link_start(
    *,
    merchant: Merchant,
    user,
    platform_key: str,
    return_url: str,
    request_host: str,
    assisted: bool = False,
    codat: CodatClient | None = None,
) -> StartedLink:
    """Raises NotOffered (bad selection, or another platform while one is connected: nothing
    minted) or LinkFailed (Codat trouble, or any unexpected error, which leaves the attempt failed
    as "unexpected" with its traceback logged)."""
    offer = offer_for(platform_key)
    standing = connection_standing(merchant)
    _refuse_a_second_platform(standing, offer)
    attempt = LinkAttempt(
        merchant=merchant,
        user=user,
        assisted=assisted,
        platform_key=offer.key,
        platform_name=offer.name,
        started_at=timezone.now(),
    )
    # Recorded while Codat mints, on a connection of its own; the attempt is only read or
    # written again once recorded (a failed INSERT raises here: no outcome without its attempt).
    recording = side_writes.submit(_record, attempt, standing=standing)
    minted = _mint_guarded(merchant=merchant, offer=offer, return_url=return_url,
                           request_host=request_host, codat=codat or get_codat_client())
    recording.result()
    if isinstance(minted, _NotMinted):
        raise _failed(attempt, minted) from minted.codat_error
    attempt.mints = minted.mints
    _finish(attempt, outcome=Outcome.REDIRECTED if minted.mints == 1 else Outcome.REDIRECTED_AFTER_REMINT)
    return StartedLink(url=minted.url, attempt=attempt)


def _record(attempt: LinkAttempt, *, standing: Standing | None) -> None:
    """The attempt's writes before its outcome: the merchant's abandoned attempts closed, the
    attempt inserted (pending: a worker killed from here on leaves it to be closed as abandoned),
    and a reconnect noted when it is one."""
    link_attempts_close_abandoned(merchant=attempt.merchant)
    attempt.save(force_insert=True)
    reconnect_started(merchant=attempt.merchant, user=attempt.user, assisted=attempt.assisted,
                      attempt=attempt, standing=standing)


@dataclass(frozen=True)
class _Minted:
    url: str = field(repr=False)  # carries the one-time code
    mints: int


@dataclass(frozen=True)
class _NotMinted:
    """Why no usable URL: written to the attempt once it is recorded."""

    reason: str
    mints: int = 0
    codat_error: CodatError | None = None
    unexpected: Exception | None = None  # a bug: logged with its traceback
    retry_after: float | None = None


def _mint_guarded(*, merchant, offer, return_url, request_host, codat) -> _Minted | _NotMinted:
    """The mint within this process's slot cap; never raises."""
    try:
        with handoff_slots.hold():
            return _mint(merchant=merchant, offer=offer, return_url=return_url, request_host=request_host,
                         codat=codat)
    except SlotsFull:
        return _NotMinted(Reason.BUSY, retry_after=BUSY_RETRY_AFTER)
    except Exception as exc:
        # A bug or an answer nobody foresaw: the merchant gets the error page, the attempt an
        # outcome, and we the traceback.
        return _NotMinted(Reason.UNEXPECTED, unexpected=exc)


def _mint(*, merchant, offer, return_url, request_host, codat) -> _Minted | _NotMinted:
    commerce_key, accounting_key = _start_keys(offer.key)
    usable_age = settings.CODAT_SYNC_FLOW_CODE_TTL * (1 - ARRIVAL_MARGIN)
    deadline = time.monotonic() + settings.CODAT_HANDOFF_TIMEOUT
    try:
        company_id = company_bind(merchant=merchant, deadline=deadline, codat=codat)
    except CodatError as exc:
        return _not_minted(exc, mints=0)
    for mint in (1, 2):
        try:
            minted = codat.get_sync_flow_url(
                commerce_key=commerce_key,
                accounting_key=accounting_key,
                merchant_identifier=company_id,  # Codat's company for this merchant, never the request's choice
                redirect_url=return_url,
                deadline=deadline,
            )
        except CodatError as exc:
            return _not_minted(exc, mints=mint)
        age = time.monotonic() - minted.requested_at
        if age <= usable_age:
            if not _parsable(minted.url):
                return _NotMinted(Reason.BAD_RESPONSE, mints=mint)
            if not _trusted_host(minted.url, request_host):
                return _NotMinted(Reason.UNTRUSTED_HOST, mints=mint)
            return _Minted(url=minted.url, mints=mint)
        logger.info("link start for merchant %s: code %.2fs old on arrival, over %.2fs", merchant.pk, age, usable_age)
    return _NotMinted(Reason.STALE_CODE, mints=2)


def link_attempts_close_abandoned(*, merchant: Merchant | None = None) -> int:
    """Attempts left pending past the bound (CODAT_HANDOFF_TIMEOUT + ABANDONED_AFTER) end as failed,
    reason "abandoned". Run for the merchant at each of their link starts, and for everyone by
    ``manage.py close_abandoned_link_attempts``. Returns how many were closed."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.CODAT_HANDOFF_TIMEOUT) - ABANDONED_AFTER
    attempts = LinkAttempt.objects.filter(outcome=LinkAttempt.Outcome.PENDING, started_at__lt=cutoff)
    if merchant is not None:
        attempts = attempts.filter(merchant=merchant)
    closed = attempts.update(outcome=LinkAttempt.Outcome.FAILED, failure_reason=Reason.ABANDONED, finished_at=now)
    if closed:
        logger.warning("%d abandoned link attempt(s) closed out", closed)
    return closed


def link_return(*, merchant: Merchant) -> LinkAttempt | None:
    """Record that the merchant came back from the Sync Flow; their latest redirected attempt."""
    attempt = (
        merchant.link_attempts.filter(
            outcome__in=[
                LinkAttempt.Outcome.REDIRECTED,
                LinkAttempt.Outcome.REDIRECTED_AFTER_REMINT,
            ]
        )
        .order_by("-started_at")
        .first()
    )
    if attempt is not None and attempt.returned_at is None:
        LinkAttempt.objects.filter(pk=attempt.pk).update(returned_at=timezone.now())
    return attempt


def _refuse_a_second_platform(standing: Standing | None, offer: Offer) -> None:
    """One accounting connection at a time: another platform only after Switch deleted this one.

    Codat fails every sync of a company with two (and peers that relinked carelessly created
    duplicates and double-posted). The snapshot says which connection the merchant has, any status.
    """
    current = standing.connection if standing is not None else None
    if current is not None and current.integration_key != offer.key:
        raise NotOffered(
            "switch_first",
            f"You’re connected to {current.platform_name}. To use {offer.name} instead, "
            f"switch from {current.platform_name} first: that removes it, then you can choose {offer.name}.",
        )


def _start_keys(selected: str) -> tuple[str, str]:
    """(commerceKey, accountingKey): our connector is on the side CODAT_CONNECTOR_TYPE names."""
    if settings.CODAT_CONNECTOR_TYPE == "commerce":
        return settings.CODAT_CONNECTOR_KEY, selected
    return selected, settings.CODAT_CONNECTOR_KEY


def _parsable(url: str) -> bool:
    try:
        urlsplit(url).port  # raises ValueError for "http://[::1" or a port out of range
    except ValueError:
        return False
    return True


def _trusted_host(url: str, request_host: str) -> bool:
    parts = urlsplit(url)
    allowed = {host.lower() for host in settings.CODAT_SYNC_FLOW_ALLOWED_HOSTS}
    schemes = {"https"}
    if settings.CODAT_SANDBOX_ENABLED:
        allowed.add(request_host.rsplit(":", 1)[0].strip("[]").lower())
        schemes.add("http")
    host = (parts.hostname or "").lower()
    return parts.scheme in schemes and host in allowed and not parts.username


_FAILURES: list[tuple[type[CodatError], str]] = [
    # Order matters: subclasses before their parents.
    (CodatTimeoutError, Reason.TIMEOUT),
    (CodatConnectionError, Reason.UNREACHABLE),
    (CodatRateLimitedError, Reason.RATE_LIMITED),
    (CodatServerError, Reason.UPSTREAM_ERROR),
    (CodatResponseError, Reason.BAD_RESPONSE),
    (CodatAPIError, Reason.REJECTED),
]


def _not_minted(exc: CodatError, *, mints: int) -> _NotMinted:
    reason = next(r for kind, r in _FAILURES if isinstance(exc, kind))
    return _NotMinted(reason, mints=mints, codat_error=exc, retry_after=getattr(exc, "retry_after", None))


def _failed(attempt: LinkAttempt, failure: _NotMinted) -> LinkFailed:
    if failure.unexpected is not None:
        logger.error("link attempt %s for merchant %s failed unexpectedly", attempt.pk, attempt.merchant_id,
                     exc_info=failure.unexpected)
    exc = failure.codat_error
    attempt.mints = failure.mints
    attempt.failure_reason = failure.reason
    attempt.correlation_id = getattr(exc, "correlation_id", "")[:100]
    _finish(attempt, outcome=Outcome.FAILED)
    reconnect_failed(attempt)
    logger.warning(
        "link attempt %s for merchant %s to %s failed: %s%s",
        attempt.pk,
        attempt.merchant_id,
        attempt.platform_key,
        failure.reason,
        f" ({exc})" if exc else "",
    )
    return LinkFailed(attempt, retry_after=failure.retry_after)


def _finish(attempt: LinkAttempt, *, outcome: str) -> None:
    attempt.outcome = outcome
    attempt.finished_at = timezone.now()
    attempt.save(
        update_fields=["outcome", "finished_at", "failure_reason", "correlation_id", "mints"]
    )
