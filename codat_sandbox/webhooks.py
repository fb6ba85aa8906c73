"""The sandbox's webhooks: each connection change is delivered, signed as Codat signs, to the app.

Codat signs with Svix's scheme (headers webhook-id, webhook-timestamp, webhook-signature:
"v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>"); the sandbox signs with
CODAT_SANDBOX_WEBHOOK_SECRET through standardwebhooks, the same library the app verifies
with. Delivery runs in a background thread after the change commits, so a Sync Flow
Finish never waits on it and a single-worker server never waits on itself. The target is
CODAT_SANDBOX_WEBHOOK_URL, else /webhooks/codat/ on the origin the change was made from.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime, timezone

import httpx
from django.conf import settings
from django.db import connections, transaction
from standardwebhooks import Webhook

from .middleware import public_origin
from .models import SandboxConnection, SandboxWebhookMessage
from .wire import codat_datetime, connection_json

logger = logging.getLogger(__name__)

Status = SandboxConnection.Status
RECEIVER_PATH = "/webhooks/codat/"
NOT_LINKED = {Status.UNLINKED, Status.DEAUTHORIZED}


def event_for(previous: str | None, current: str) -> str | None:
    """The Platform event a status change is announced with (Codat-Platform.yaml's webhooks)."""
    if previous is None:
        return "connection.created"
    if previous == current:
        return None
    if current == Status.LINKED:
        return "connection.reconnected" if previous in NOT_LINKED else "connection.connected"
    if current in NOT_LINKED:
        return "connection.disconnected"
    return None


def connection_changed(connection: SandboxConnection, *, previous: str | None) -> None:
    event_type = event_for(previous, connection.status)
    if event_type:
        emit(event_type, connection)


def emit(event_type: str, connection: SandboxConnection) -> SandboxWebhookMessage:
    """Record a ConnectionWebhook message and deliver it once the change has committed."""
    company = connection.company
    origin = public_origin.get() or ""
    message_id = f"msg_{uuid.uuid4().hex}"
    body = {
        "id": str(uuid.uuid4()),
        "eventType": event_type,
        "generatedDate": codat_datetime(datetime.now(timezone.utc)),
        "payload": {
            "referenceCompany": {
                "id": str(company.id),
                "name": company.name,
                "description": company.description,
                "tags": company.tags,
            },
            "connection": connection_json(connection, origin),
        },
    }
    target = settings.CODAT_SANDBOX_WEBHOOK_URL or (f"{origin}{RECEIVER_PATH}" if origin else "")
    message = SandboxWebhookMessage.objects.create(
        id=message_id, event_type=event_type, company=company, body=json.dumps(body), target=target
    )
    if target and settings.CODAT_SANDBOX_WEBHOOK_DELIVERY:
        transaction.on_commit(lambda: _deliver_in_background(message_id))
    return message


def deliver(message_id: str, *, url: str | None = None) -> str:
    """Send (or send again) one message, freshly timestamped and signed; the HTTP status or the failure."""
    message = SandboxWebhookMessage.objects.get(pk=message_id)
    target = url or message.target
    if not target:
        return "no target"
    now = datetime.now(timezone.utc)
    signature = Webhook(settings.CODAT_SANDBOX_WEBHOOK_SECRET).sign(message.id, now, message.body)
    headers = {
        "webhook-id": message.id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": "Svix-Webhooks/1.0 (codat-sandbox)",
    }
    try:
        outcome = str(httpx.post(target, content=message.body.encode(), headers=headers, timeout=15).status_code)
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    SandboxWebhookMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1, last_status=outcome)
    logger.info("sandbox webhook %s %s -> %s", message.event_type, message.id, outcome)
    return outcome


def _deliver_in_background(message_id: str) -> None:
    def run():
        try:
            deliver(message_id)
        except Exception:  # a demo's webhook must never take anything down
            logger.exception("sandbox webhook %s could not be delivered", message_id)
        finally:
            connections.close_all()

    threading.Thread(target=run, name="sandbox-webhook", daemon=True).start()
