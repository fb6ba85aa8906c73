"""Codat's webhooks over real HTTP: verified, stored once, processed by the real worker, merchants told."""

from datetime import timedelta
from html import unescape

import httpx
import pytest
from django.core import mail

from codat_sandbox import controls
from integrations.models import CompanyBinding, ConnectionSnapshot, WebhookEvent
from integrations.services.companies import company_bind
from tests.webhook_helpers import connection_event, run_tasks, signed

pytestmark = pytest.mark.django_db(transaction=True)

SECOND_SECRET = "whsec_" + "c2Vjb25kLXNlY3JldC1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="


@pytest.fixture
def secrets(settings):
    settings.CODAT_WEBHOOK_SECRETS = [settings.CODAT_SANDBOX_WEBHOOK_SECRET, SECOND_SECRET]
    return settings.CODAT_WEBHOOK_SECRETS


@pytest.fixture
def linked(merchant_and_user, warm_live_cache, counting):
    """Bean & Leaf, linked to Xero in the sandbox, with a fresh snapshot saying so; its company id."""
    import time

    from integrations.services.connections import connection_refresh

    merchant, user = merchant_and_user
    user.email = "owner@bean-and-leaf.example"
    user.save()
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 5)
    controls.link(company_id, "gbol", tenant_name="Bean & Leaf Trading Ltd")
    connection_refresh(merchant.pk, True)
    return company_id


def post(live_server, body, headers):
    return httpx.post(f"{live_server.url}/webhooks/codat/", content=body, headers=headers, timeout=10)


def test_a_disconnect_tells_the_merchant_once_by_email_and_on_their_page(
    live_server, linked, secrets, smtp, merchant_client
):
    controls.set_connection_status(linked, status="Unlinked", platform_key="gbol")  # what Codat now says
    body, headers = signed(connection_event("connection.disconnected", linked), secrets[0])
    response = post(live_server, body, headers)
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    run_tasks()

    event = WebhookEvent.objects.get()
    assert (event.state, event.merchant.identifier) == ("processed", "Bean & Leaf, Ltd. #42")
    page = unescape(merchant_client.get("/connection/").content.decode())
    assert "Disconnected from Xero" in page and "Reconnect Xero" in page
    select = unescape(merchant_client.get("/").content.decode())
    assert "Your connection to Xero stopped working." in select  # the banner on the next visit
    (recipients, email), = smtp.messages
    assert recipients == ["owner@bean-and-leaf.example"]
    assert f"{live_server.url}/connection/" in email
    assert "otp" not in email and "sync-flow" not in email

    again = post(live_server, body, headers)  # Codat's retry: same webhook-id
    assert again.status_code == 200 and again.json()["duplicate"] is True
    run_tasks()
    assert WebhookEvent.objects.count() == 1 and len(smtp.messages) == 1


def test_reconnecting_clears_the_alert(live_server, linked, secrets, merchant_client):
    controls.set_connection_status(linked, status="Deauthorized", platform_key="gbol")
    post(live_server, *signed(connection_event("connection.disconnected", linked), secrets[0]))
    run_tasks()
    assert ConnectionSnapshot.objects.get().alert_at is not None
    assert len(mail.outbox) == 1  # the locmem backend in tests unless an SMTP server is set

    controls.link(linked, "gbol")
    post(live_server, *signed(connection_event("connection.reconnected", linked, status="Linked"), secrets[0]))
    run_tasks()
    assert ConnectionSnapshot.objects.get().alert_at is None
    assert "stopped working" not in merchant_client.get("/").content.decode()


def test_the_payload_is_not_trusted(live_server, linked, secrets):
    """A disconnected event for a connection Codat says is Linked alerts nobody."""
    post(live_server, *signed(connection_event("connection.disconnected", linked), secrets[0]))
    run_tasks()
    event = WebhookEvent.objects.get()
    assert event.state == "processed" and "connected" in event.detail
    assert ConnectionSnapshot.objects.get().alert_at is None and mail.outbox == []


def test_a_deleted_connection_carrying_its_last_status_still_alerts(live_server, linked, secrets):
    controls.set_connection_status(linked, status="Unlinked", platform_key="gbol")
    post(live_server, *signed(connection_event("connection.deleted", linked, status="Linked"), secrets[0]))
    run_tasks()
    assert ConnectionSnapshot.objects.get().alert == "connection.deleted"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body.replace(b"Unlinked", b"Unlinkee"), headers),  # one byte changed
        lambda body, headers: (body, {**headers, "webhook-signature": "v1,AAAA"}),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != "webhook-signature"}),
        lambda body, headers: (body, {**headers, "webhook-signature": "garbage"}),
        lambda body, headers: (b"\xff\xfe" + body, headers),  # not UTF-8
    ],
    ids=["one-byte", "wrong-signature", "no-signature", "malformed-signature", "not-utf8"],
)
def test_anything_not_signed_is_400_and_stored_nowhere(live_server, linked, secrets, caplog, tamper):
    body, headers = tamper(*signed(connection_event("connection.disconnected", linked), secrets[0]))
    response = post(live_server, body, headers)
    assert response.status_code == 400 and response.json() == {"error": "signature verification failed"}
    assert not WebhookEvent.objects.exists()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "codat webhook refused" in logged
    assert secrets[0] not in logged and secrets[0][6:] not in logged and linked not in logged  # no secret, no body


def test_a_message_ten_minutes_old_is_refused(live_server, linked, secrets):
    body, headers = signed(connection_event("connection.disconnected", linked), secrets[0], age=timedelta(minutes=10))
    assert post(live_server, body, headers).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_the_second_secret_is_accepted_while_rotating(live_server, linked, secrets):
    assert post(live_server, *signed(connection_event("connection.connected", linked), secrets[1])).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_an_unknown_company_is_accepted_and_ignored(live_server, secrets, db):
    response = post(live_server, *signed(connection_event("connection.disconnected", "0498e921-9b53-4396-a412-4f2f5983b0a2"), secrets[0]))
    assert response.status_code == 200
    run_tasks()
    event = WebhookEvent.objects.get()
    assert event.state == "ignored" and "no merchant is bound" in event.detail


def test_company_deleted_clears_the_binding(live_server, linked, secrets):
    message = {"id": "e", "eventType": "company.deleted", "generatedDate": "2026-11-23T10:00:00Z",
               "payload": {"id": linked, "name": "Bean & Leaf, Ltd. 42"}}
    post(live_server, *signed(message, secrets[0]))
    run_tasks()
    assert not CompanyBinding.objects.exists() and not ConnectionSnapshot.objects.exists()
    assert WebhookEvent.objects.get().detail == "company deleted in Codat: binding cleared"


def test_a_body_over_the_cap_is_413(live_server, secrets, settings, db):
    settings.CODAT_WEBHOOK_MAX_BYTES = 1000
    body, headers = signed({"eventType": "x", "padding": "x" * 2000}, secrets[0])
    assert post(live_server, body, headers).status_code == 413
    assert not WebhookEvent.objects.exists()


def test_get_is_405_and_no_csrf_or_session_is_involved(live_server, db):
    response = httpx.get(f"{live_server.url}/webhooks/codat/")
    assert response.status_code == 405 and "set-cookie" not in response.headers


def test_without_secrets_everything_is_refused(live_server, linked, settings):
    key = settings.CODAT_SANDBOX_WEBHOOK_SECRET
    settings.CODAT_WEBHOOK_SECRETS = []
    assert post(live_server, *signed(connection_event("connection.connected", linked), key)).status_code == 400


def test_the_sandbox_delivers_signed_messages_and_redelivers_with_the_same_id(live_server, linked, secrets, settings):
    settings.CODAT_SANDBOX_WEBHOOK_DELIVERY = True
    key = {"Authorization": "Basic c2FuZGJveA=="}
    control = f"{live_server.url}/sandbox/control"
    changed = httpx.post(f"{control}/companies/{linked}/connection-status", headers=key,
                         json={"status": "Deauthorized", "platformKey": "gbol"}, timeout=10)
    assert changed.status_code == 200
    for _ in range(100):  # delivered from a background thread
        messages = httpx.get(f"{control}/webhooks", headers=key, timeout=10).json()["messages"]
        if messages and messages[-1]["lastStatus"]:
            break
        import time

        time.sleep(0.05)
    message = messages[-1]
    assert (message["eventType"], message["lastStatus"]) == ("connection.disconnected", "200")
    assert message["target"] == f"{live_server.url}/webhooks/codat/"
    assert WebhookEvent.objects.get().webhook_id == message["id"]

    again = httpx.post(f"{control}/webhooks/{message['id']}/redeliver", headers=key, json={}, timeout=10)
    assert again.json() == {"id": message["id"], "status": "200"}
    assert WebhookEvent.objects.count() == 1  # same webhook-id, new signature: one event
    assert httpx.post(f"{control}/webhooks/msg_nope/redeliver", headers=key, json={}, timeout=10).status_code == 404


def test_readyz_reports_the_last_verified_webhook(live_server, linked, secrets, client):
    assert client.get("/readyz").json()["checks"]["codat_webhooks"]["last_verified"] is None
    post(live_server, *signed(connection_event("connection.connected", linked), secrets[0]))
    last = client.get("/readyz").json()["checks"]["codat_webhooks"]["last_verified"]
    assert last == WebhookEvent.objects.get().received_at.isoformat()


def test_codat_down_while_processing_marks_the_event_failed_and_reprocess_recovers(
    live_server, linked, secrets, sandbox_faults, client, django_user_model
):
    from django.contrib.auth.models import Permission

    controls.set_connection_status(linked, status="Unlinked", platform_key="gbol")
    sandbox_faults.inject("list-connections", status=503)
    post(live_server, *signed(connection_event("connection.disconnected", linked), secrets[0]))
    run_tasks()
    event = WebhookEvent.objects.get()
    assert event.state == "failed" and "HTTP 503" in event.detail
    assert ConnectionSnapshot.objects.get().alert_at is None

    sandbox_faults.reset()
    operator = django_user_model.objects.create_user("operator", password="x", is_staff=True)
    operator.user_permissions.set(Permission.objects.filter(codename__in=["view_webhookevent", "reprocess_webhookevent"]))
    client.force_login(operator)
    listing = client.get("/admin/integrations/webhookevent/").content.decode()
    assert "connection.disconnected" in listing and "Failed" in listing
    response = client.post("/admin/integrations/webhookevent/", {"action": "reprocess", "_selected_action": [event.pk]}, follow=True)
    assert "Queued 1 event(s)" in response.content.decode()
    run_tasks()
    event.refresh_from_db()
    assert event.state == "processed" and ConnectionSnapshot.objects.get().alert == "connection.disconnected"


def test_reprocess_needs_its_permission(linked, client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_webhookevent"))
    client.force_login(viewer)
    assert 'value="reprocess"' not in client.get("/admin/integrations/webhookevent/").content.decode()
