"""Signing Codat-style webhooks, running the task worker, and a real SMTP server, for tests."""

from __future__ import annotations

import io
import json
import socket
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from aiosmtpd.controller import Controller
from django.core.management import call_command
from standardwebhooks import Webhook


def signed(message: dict, secret: str, *, webhook_id: str | None = None, age: timedelta = timedelta(0)):
    """(body bytes, headers) exactly as Codat (Svix) sends them."""
    body = json.dumps(message)
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    when = datetime.now(timezone.utc) - age
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, when, body),
        "content-type": "application/json",
    }
    return body.encode(), headers


def connection_event(event_type: str, company_id: str, *, status="Unlinked", key="gbol", name="Xero",
                     source="Accounting") -> dict:
    """A ConnectionWebhook, shaped as Codat-Platform.yaml's examples."""
    return {
        "id": str(uuid.uuid4()),
        "eventType": event_type,
        "generatedDate": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "payload": {
            "referenceCompany": {"id": company_id, "name": "Bean & Leaf", "tags": {}},
            "connection": {
                "id": str(uuid.uuid4()), "integrationKey": key, "platformName": name, "sourceType": source,
                "status": status, "created": "2026-11-01T10:00:00Z",
            },
        },
    }


def run_tasks() -> None:
    """The real worker (django-tasks-db's db_worker), in this process, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0, stdout=io.StringIO())


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@contextmanager
def smtp_server():
    """A real SMTP server on a free local port (aiosmtpd); yields (inbox, port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
