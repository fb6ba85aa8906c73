"""Codat's webhooks: verified, stored once, then processed in the background.

Like Stripe's and Svix's own receivers: verify the raw body with the vendor's
library (standardwebhooks: Svix's scheme, which Codat uses), store before
processing, deduplicate on the message id, answer 2xx fast, and re-read state
from Codat instead of trusting the payload (a deleted event carries the
connection's *last* status).
"""

from __future__ import annotations

import binascii
import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ..codat import CodatError, parse_datetime
from ..models import CompanyBinding, ConnectionSnapshot, WebhookEvent
from .alerts import alert_clear, alert_raise
from .connection_changes import changed_here
from .connections import connection_refresh, report_of
from .offering import offered_source_type
from .standing import State

logger = logging.getLogger(__name__)

BROKEN = {"connection.disconnected", "connection.deleted", "connection.failed"}
MENDED = {"connection.connected", "connection.reconnected"}
# Standings in which the accounting connection is not working.
NOT_WORKING = {State.DISCONNECTED, State.NOT_FINISHED, State.NOT_CONNECTED}
# A refresh another worker holds may have read Codat before this event: wait for it, then read again.
LEASE_WAIT_SECONDS = 35


class WebhookRefused(Exception):
    """Not a message Codat signed (or not within the 5-minute tolerance): answered 400, stored nowhere."""


def webhook_verify(body: bytes, headers) -> dict:
    """The message, if one of CODAT_WEBHOOK_SECRETS signed this raw body (constant-time compare)."""
    if not settings.CODAT_WEBHOOK_SECRETS:
        raise WebhookRefused("no webhook secret is configured")
    reason = "no signature matched"
    for secret in settings.CODAT_WEBHOOK_SECRETS:
        try:
            message = Webhook(secret).verify(body, dict(headers))
        except WebhookVerificationError as exc:
            reason = str(exc)
            continue
        except (ValueError, binascii.Error, UnicodeDecodeError):  # malformed headers or body
            raise WebhookRefused("malformed signature headers or body") from None
        if not isinstance(message, dict) or not isinstance(message.get("eventType"), str):
            raise WebhookRefused("signed, but not a Codat event")
        return message
    raise WebhookRefused(reason)


def webhook_receive(*, webhook_id: str, message: dict, origin: str) -> tuple[WebhookEvent, bool]:
    """Store a verified message once and queue its processing; (the event, whether it was new)."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                webhook_id=webhook_id[:200],
                event_type=message["eventType"][:64],
                company_id=_company_id(message)[:64],
                generated_at=parse_datetime(message.get("generatedDate")),
                received_at=timezone.now(),
                body=message,
                origin=origin[:200],
            )
    except IntegrityError:  # Codat's retry of a message we already have
        return WebhookEvent.objects.get(webhook_id=webhook_id[:200]), False
    webhook_enqueue(event)
    return event, True


def webhook_enqueue(event: WebhookEvent) -> None:
    from ..tasks import process_webhook_event  # tasks import this module

    transaction.on_commit(lambda: process_webhook_event.enqueue(event.pk))


def webhook_reprocess(events) -> int:
    """Queue events again (the admin's "Reprocess"); they are re-read from Codat, never replayed blindly."""
    count = 0
    for event in events:
        WebhookEvent.objects.filter(pk=event.pk).update(state=WebhookEvent.State.RECEIVED, detail="")
        webhook_enqueue(event)
        count += 1
    return count


def webhook_process(event_id: int) -> str:
    """What an event means for its merchant: re-read from Codat, then alert or clear the alert.

    Whatever goes wrong, the event says so (state failed, and why) and can be reprocessed.
    """
    event = WebhookEvent.objects.get(pk=event_id)
    try:
        return _process(event)
    except Exception as exc:
        _finish(event, WebhookEvent.State.FAILED, f"{type(exc).__name__}: {exc}")
        raise


def _process(event: WebhookEvent) -> str:
    binding = CompanyBinding.objects.select_related("merchant").filter(company_id=event.company_id).first()
    if not event.company_id or binding is None:
        return _finish(event, WebhookEvent.State.IGNORED, f"no merchant is bound to company {event.company_id!r}")
    merchant = binding.merchant
    WebhookEvent.objects.filter(pk=event.pk).update(merchant=merchant)
    if event.event_type == "company.deleted":
        with transaction.atomic():
            ConnectionSnapshot.objects.filter(merchant=merchant).delete()
            binding.delete()
        return _finish(event, WebhookEvent.State.PROCESSED, "company deleted in Codat: binding cleared")
    try:
        _refresh_after(event, merchant.pk)
    except CodatError as exc:
        raise CodatError(f"could not re-read the company from Codat: {exc}", operation=exc.operation) from None
    snapshot = ConnectionSnapshot.objects.get(merchant=merchant)
    standing = report_of(snapshot).standing
    if not _is_accounting(event):
        return _finish(event, WebhookEvent.State.PROCESSED, f"snapshot refreshed: {standing.state}")
    if event.event_type in BROKEN and standing.state in NOT_WORKING:
        made = changed_here(merchant=merchant, connection_id=_connection_id(event), standing=standing)
        if made is not None:  # the merchant (or staff for them) asked for it: nothing broke
            detail = f"{standing.state}; {made.get_action_display().lower()} made in the portal (change {made.pk}): no alert"
            return _finish(event, WebhookEvent.State.PROCESSED, detail)
        sent = alert_raise(snapshot=snapshot, merchant=merchant, event=event, standing=standing)
        return _finish(event, WebhookEvent.State.PROCESSED, f"{standing.state}; merchant alerted ({sent} email(s))")
    if event.event_type in MENDED and standing.state not in NOT_WORKING:
        alert_clear(snapshot)
        return _finish(event, WebhookEvent.State.PROCESSED, f"{standing.state}; alert cleared")
    return _finish(event, WebhookEvent.State.PROCESSED, f"snapshot refreshed: {standing.state}")


def last_verified_at() -> datetime | None:
    return WebhookEvent.objects.order_by("-received_at").values_list("received_at", flat=True).first()


def _refresh_after(event: WebhookEvent, merchant_id: int) -> None:
    """Read Codat after this event: a refresh already in flight may have read before it."""
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while not connection_refresh(merchant_id, force=True):
        if time.monotonic() >= deadline:
            raise CodatError("another refresh held the snapshot for too long", operation="list-connections")
        time.sleep(0.2)


def _is_accounting(event: WebhookEvent) -> bool:
    connection = (event.body.get("payload") or {}).get("connection") or {}
    return (
        connection.get("sourceType") == offered_source_type()
        and connection.get("integrationKey") != settings.CODAT_CONNECTOR_KEY
    )


def _connection_id(event: WebhookEvent) -> str:
    connection = (event.body.get("payload") or {}).get("connection") or {}
    connection_id = connection.get("id") if isinstance(connection, dict) else ""
    return connection_id if isinstance(connection_id, str) else ""


def _company_id(message: dict) -> str:
    payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
    reference = payload.get("referenceCompany") if isinstance(payload.get("referenceCompany"), dict) else {}
    company_id = reference.get("id") or (payload.get("id") if message["eventType"].startswith("company.") else "")
    return company_id if isinstance(company_id, str) else ""


def _finish(event: WebhookEvent, state: str, detail: str) -> str:
    WebhookEvent.objects.filter(pk=event.pk).update(state=state, detail=detail[:2000], processed_at=timezone.now())
    logger.info("webhook %s (%s) %s: %s", event.pk, event.event_type, state, detail)
    return detail
