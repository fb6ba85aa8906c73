"""Webhooks across processes: two instances share the dedup; the worker is a process of its own.

Runs on SQLite in `make test` and on PostgreSQL + Redis in `make test-postgres`.
"""

import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest
from django.conf import settings

from codat_sandbox import controls
from integrations.models import ConnectionSnapshot, WebhookEvent
from integrations.services.companies import company_bind
from integrations.services.connections import connection_refresh
from tests.factories import make_merchant
from tests.servers import ROOT, gunicorn, shared_env
from tests.webhook_helpers import connection_event, signed

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@contextmanager
def task_worker(env):
    """`manage.py db_worker`, as production runs it: a process of its own."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_two_instances_share_the_dedup_and_the_worker_process_runs_the_task(counting):
    merchant, _ = make_merchant(identifier="Bean & Leaf", email="owner@example.com")
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 5)
    controls.link(company_id, "gbol")
    connection_refresh(merchant.pk, True)
    controls.set_connection_status(company_id, status="Unlinked", platform_key="gbol")
    body, headers = signed(connection_event("connection.disconnected", company_id), settings.CODAT_SANDBOX_WEBHOOK_SECRET)

    env = shared_env(CODAT_SANDBOX_WEBHOOK_DELIVERY="false")
    with gunicorn(env) as first, gunicorn(env) as second:
        answers = [
            httpx.post(f"{url}/webhooks/codat/", content=body, headers=headers, timeout=30).json()
            for url in (first, second, first)
        ]
    assert [answer["duplicate"] for answer in answers] == [False, True, True]
    assert WebhookEvent.objects.get().state == "received"  # stored; the web processes did not process it

    with task_worker(env):
        for _ in range(150):
            if WebhookEvent.objects.get().state != "received":
                break
            time.sleep(0.1)
    event = WebhookEvent.objects.get()
    assert event.state == "processed", event.detail
    snapshot = ConnectionSnapshot.objects.get()
    assert (snapshot.state, snapshot.alert) == ("disconnected", "connection.disconnected")
