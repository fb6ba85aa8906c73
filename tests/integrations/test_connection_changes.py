"""Disconnect, reconnect and switch platform from "Your connection", through the full request stack.

Transactional: each change re-reads the company from Codat in a worker thread, which must see the
test's rows. Codat's side is the in-process sandbox; what it was sent is read from its call log and
from the counting transport's requests.
"""

import json
import logging
import re
import threading
from html import unescape

import pytest

from tests.conftest import start_link
from django.core import mail
from django.test import Client

from codat_sandbox import controls, faults
from codat_sandbox.models import SandboxWebhookMessage
from integrations.models import CompanyBinding, ConnectionChange, ConnectionSnapshot, LinkAttempt, WebhookEvent
from integrations.services.webhooks import webhook_receive
from tests.conftest import sandbox_client
from tests.factories import MERCHANT_PASSWORD, make_merchant
from tests.webhook_helpers import run_tasks

pytestmark = pytest.mark.django_db(transaction=True)

DISCONNECT = "/connection/disconnect/confirm/"
SWITCH = "/connection/switch/confirm/"


def html_of(response) -> str:
    return unescape(response.content.decode())


def headline(html: str) -> str:
    return re.search(r'<h2 id="standing" class="connection__headline">([^<]+)</h2>', html).group(1)


@pytest.fixture
def linked(merchant_client, warm_live_cache, counting):
    """Bean & Leaf linked to Xero as a merchant does it (start, Finish, come back); the counting transport."""
    response = start_link(merchant_client, {"platform_key": "gbol"})
    assert response.status_code == 302
    company_id = CompanyBinding.objects.get().company_id
    controls.set_tenant_name(company_id, "Bean & Leaf Ltd")  # the organisation chosen at Xero, each time
    controls.link(company_id, "gbol")
    assert merchant_client.get("/link/return/").status_code == 302
    counting.company_id = company_id
    counting.requests.clear()
    counting.paths.clear()
    faults.reset()
    return counting


def connections_at_codat(company_id) -> dict:
    return {c["integrationKey"]: c for c in controls.describe(company_id)["connections"]}


def sent(counting, method) -> list:
    return [request for request in counting.requests if request.method == method]


# --- disconnect ------------------------------------------------------------------------------


def test_the_confirmation_page_says_what_stops_and_what_stays_and_asks_for_the_password(merchant_client, linked):
    response = merchant_client.get("/connection/disconnect/")
    html = html_of(response)
    assert response.status_code == 200
    assert "<h1 id=\"change-heading\">Disconnect Xero?</h1>" in html
    assert "Sandbox POS stops sending your sales to Xero (Bean & Leaf Ltd)." in html
    assert "Everything already in your Xero books stays there. Nothing is deleted." in html
    assert f'<form method="post" action="{DISCONNECT}"' in html
    assert 'type="password" name="password" autocomplete="current-password"' in html
    assert sent(linked, "PATCH") == [] and faults.calls("update-connection") == 0


def test_disconnect_with_the_password_unlinks_only_the_accounting_connection_once(merchant_client, merchant_and_user, linked):
    xero = connections_at_codat(linked.company_id)["gbol"]
    response = merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/connection/")
    (patch,) = sent(linked, "PATCH")
    assert patch.url.path == f"/sandbox/codat/companies/{linked.company_id}/connections/{xero['id']}"
    assert json.loads(patch.content) == {"status": "Unlinked"}
    assert faults.call_counts()["update-connection"] == 1
    at_codat = connections_at_codat(linked.company_id)
    assert (at_codat["gbol"]["status"], at_codat["lqai"]["status"]) == ("Unlinked", "Linked")

    html = html_of(merchant_client.get("/connection/"))
    assert headline(html) == "Disconnected from Xero"
    assert ">Reconnect Xero</button>" in html and ">Disconnect Xero</a>" in html
    assert "Xero is disconnected: sales are no longer sent to it." in html
    change = ConnectionChange.objects.get()
    assert (change.action, change.outcome, change.from_status, change.to_status) == ("disconnect", "done", "Linked", "Unlinked")
    assert (change.user, change.assisted, change.connection_id) == (merchant_and_user[1], False, xero["id"])


@pytest.mark.parametrize("password", ["wrong password", "", MERCHANT_PASSWORD.upper()])
def test_a_wrong_or_missing_password_sends_nothing(merchant_client, linked, password):
    response = merchant_client.post(DISCONNECT, {"password": password})
    html = html_of(response)
    assert response.status_code == 400
    assert "There’s a problem" in html
    assert ("Enter your password." if not password else "That password isn’t right.") in html
    assert 'aria-invalid="true"' in html
    assert not password or f'value="{password}"' not in html  # never echoed back
    assert sent(linked, "PATCH") == [] and faults.calls("update-connection") == 0
    assert not ConnectionChange.objects.exists()
    assert connections_at_codat(linked.company_id)["gbol"]["status"] == "Linked"


def test_a_get_on_the_action_is_405_and_changes_nothing(merchant_client, linked):
    for url in (DISCONNECT, SWITCH, "/connection/tenant/keep/"):
        response = merchant_client.get(url)
        assert response.status_code == 405, url
        assert response["Allow"] == "POST"
        assert "Nothing has changed" in html_of(response)
    assert linked.total == 0 and not ConnectionChange.objects.exists()


def test_the_action_needs_the_csrf_token(merchant_and_user, linked):
    client = Client(enforce_csrf_checks=True)
    client.force_login(merchant_and_user[1])
    assert client.post(DISCONNECT, {"password": MERCHANT_PASSWORD}).status_code == 403
    assert client.post(SWITCH, {"password": MERCHANT_PASSWORD}).status_code == 403
    assert linked.total == 0


@pytest.mark.parametrize(
    "fault, status, reason",
    [
        (dict(status=503), 502, "Codat, our accounting connection partner, had a problem."),
        (dict(status=500), 502, "Codat, our accounting connection partner, had a problem."),
        (dict(status=429, retry_after="1"), 503, "Codat is busy and asked us to slow down."),
    ],
    ids=["503", "500", "429"],
)
def test_codat_failing_is_not_disconnected_try_again_and_never_retried(merchant_client, linked, fault, status, reason):
    faults.inject("update-connection", **fault)
    response = merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    html = html_of(response)
    assert response.status_code == status
    assert "Xero was not disconnected. Please try again." in html and reason in html
    # ... then Codat was read again, and the page says what it says now.
    assert "We asked Codat again, and it says: <strong>Connected to Bean & Leaf Ltd on Xero</strong>." in html
    assert faults.calls("update-connection") == 1 and len(sent(linked, "PATCH")) == 1
    assert linked.count("/connections") >= 2  # the PATCH, and the list read again
    change = ConnectionChange.objects.get()
    assert change.outcome == "failed" and len(change.correlation_id) == 32
    assert f"CC-{change.pk}" in html and change.correlation_id in html
    assert 'name="password"' in html  # the form again, to try again


def test_a_lost_answer_is_read_again_and_reported_as_done(merchant_client, linked, settings):
    """A timeout after Codat acted: not retried; reading the company again shows it unlinked."""
    from integrations.codat import use_client
    from tests.conftest import CountingTransport

    transport = CountingTransport()
    faults.inject("update-connection", latency_ms=500, times=1)
    with use_client(sandbox_client(transport, read_timeout=0.2)):
        response = merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/connection/")
    assert len(sent(transport, "PATCH")) == 1
    html = html_of(merchant_client.get("/connection/"))
    assert "Codat was slow to answer, but it now confirms the change." in html
    assert headline(html) == "Disconnected from Xero"
    change = ConnectionChange.objects.get()
    assert (change.outcome, change.to_status) == ("done", "Unlinked") and "timed out" in change.error


def test_a_connection_that_is_not_linked_is_not_sent(merchant_client, linked):
    controls.set_connection_status(linked.company_id, status="Deauthorized", platform_key="gbol")
    merchant_client.get("/link/return/")  # the snapshot learns it
    linked.requests.clear()
    page = html_of(merchant_client.get("/connection/disconnect/"))
    assert "Xero is already disconnected" in page and 'name="password"' not in page
    response = merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/connection/")
    assert "Xero isn’t linked, so there’s nothing to disconnect. Nothing was sent to Codat." in html_of(
        merchant_client.get("/connection/")
    )
    assert sent(linked, "PATCH") == [] and not ConnectionChange.objects.exists()


def test_disconnect_stays_offered_when_the_connection_needs_reconnecting(merchant_client, linked):
    controls.set_connection_status(linked.company_id, status="Deauthorized", platform_key="gbol")
    html = html_of(merchant_client.get("/link/return/", follow=True))
    assert headline(html) == "Disconnected from Xero"
    assert ">Reconnect Xero</button>" in html
    assert '<a class="button button--secondary" href="/connection/disconnect/">Disconnect Xero</a>' in html
    assert '<a class="button button--secondary" href="/connection/switch/">Switch to different accounting software</a>' in html


def test_a_double_submit_makes_one_call(merchant_and_user, linked):
    """Two submissions at once (no JavaScript to stop the second): one PATCH; both end on the page."""
    faults.inject("update-connection", latency_ms=400)
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(merchant_and_user[1])
        clients.append(client)
    answers = []
    threads = [threading.Thread(target=lambda c=c: answers.append(c.post(DISCONNECT, {"password": MERCHANT_PASSWORD}))) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [302, 302]
    assert faults.calls("update-connection") == 1 and len(sent(linked, "PATCH")) == 1
    assert ConnectionChange.objects.count() == 1
    assert ConnectionSnapshot.objects.get().change_lease_until is None


def test_a_deliberate_disconnect_is_not_alerted_as_a_break(merchant_client, merchant_and_user, linked):
    user = merchant_and_user[1]
    user.email = "owner@bean-and-leaf.example"
    user.save()
    SandboxWebhookMessage.objects.all().delete()
    merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    (message,) = SandboxWebhookMessage.objects.all()  # what the sandbox announced
    assert message.event_type == "connection.disconnected"
    event, _ = webhook_receive(webhook_id=message.id, message=json.loads(message.body), origin="http://testserver")
    run_tasks()
    event.refresh_from_db()
    assert event.state == "processed" and "disconnect made in the portal" in event.detail
    assert mail.outbox == [] and ConnectionSnapshot.objects.get().alert_at is None

    # A later break of the same connection, after a reconnect, is news again.
    merchant_client.post("/link/", {"platform_key": "gbol"})
    controls.link(linked.company_id, "gbol")
    merchant_client.get("/link/return/")
    SandboxWebhookMessage.objects.all().delete()
    controls.set_connection_status(linked.company_id, status="Deauthorized", platform_key="gbol")
    (message,) = SandboxWebhookMessage.objects.all()
    webhook_receive(webhook_id=message.id, message=json.loads(message.body), origin="http://testserver")
    run_tasks()
    assert WebhookEvent.objects.get(webhook_id=message.id).detail.startswith("disconnected; merchant alerted (1 email")


def test_passwords_never_reach_the_logs(merchant_client, linked, caplog):
    caplog.set_level(logging.DEBUG)
    merchant_client.post(DISCONNECT, {"password": "wrong-Secret-horse"})
    merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert "wrong-Secret-horse" not in logged and MERCHANT_PASSWORD not in logged


def test_wrong_passwords_are_limited(merchant_client, linked):
    for _ in range(5):
        assert merchant_client.post(DISCONNECT, {"password": "nope"}).status_code == 400
    response = merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "A wrong password was entered several times." in html_of(response)
    assert sent(linked, "PATCH") == []


# --- reconnect ---------------------------------------------------------------------------------


def test_reconnect_relinks_the_same_connection_and_is_recorded_when_it_starts(merchant_client, merchant_and_user, linked):
    xero = connections_at_codat(linked.company_id)["gbol"]
    merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    response = merchant_client.post("/link/", {"platform_key": "gbol"})  # the Reconnect Xero button
    assert response.status_code == 302 and "otp=" in response["Location"]
    reconnect = ConnectionChange.objects.get(action="reconnect")
    attempt = LinkAttempt.objects.order_by("-started_at").first()
    assert (reconnect.outcome, reconnect.from_status, reconnect.to_status) == ("started", "Unlinked", "")
    assert (reconnect.link_attempt, reconnect.connection_id, reconnect.user) == (attempt, xero["id"], merchant_and_user[1])

    controls.link(linked.company_id, "gbol")  # Finish on the stand-in Sync Flow
    html = html_of(merchant_client.get("/link/return/", follow=True))
    assert headline(html) == "Connected to Bean & Leaf Ltd on Xero"
    again = connections_at_codat(linked.company_id)["gbol"]
    assert (again["id"], again["status"]) == (xero["id"], "Linked")
    assert [c["integrationKey"] for c in controls.describe(linked.company_id)["connections"]].count("gbol") == 1


def test_a_reconnect_that_cannot_start_is_recorded_failed(merchant_client, linked):
    merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    faults.inject("get-sync-flow-url", status=503)
    assert start_link(merchant_client, {"platform_key": "gbol"}).status_code == 502
    reconnect = ConnectionChange.objects.get(action="reconnect")
    assert reconnect.outcome == "failed" and reconnect.error.startswith("The Sync Flow could not be opened")


def test_change_settings_while_connected_is_no_reconnect(merchant_client, linked):
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    assert not ConnectionChange.objects.exists()


# --- switch ------------------------------------------------------------------------------------


def test_the_picker_offers_no_second_platform_while_connected(merchant_client, linked):
    html = html_of(merchant_client.get("/"))
    assert "Your accounting software connection is to Xero" in html
    assert '<a href="/connection/switch/">switch from Xero</a> first' in html
    assert "Switch from Xero first to use QuickBooks Online." in html
    assert "Link your QuickBooks Online account" not in html and "Link your Xero account" not in html
    assert 'value="gbol" data-link-name="Xero">Change settings</button>' in html  # Xero's tile: its next step

    response = merchant_client.post("/link/", {"platform_key": "qhyg"})  # a forged or stale tile
    page = html_of(response)
    assert response.status_code == 409
    assert "You’re connected to Xero. To use QuickBooks Online instead, switch from Xero first" in page
    assert '<a class="button" href="/connection/switch/">Switch platform</a>' in page
    assert linked.mints == 0 and LinkAttempt.objects.count() == 1  # the first link only
    assert "qhyg" not in connections_at_codat(linked.company_id)


def test_switch_deletes_the_old_connection_once_then_the_picker_offers_everything(merchant_client, merchant_and_user, linked):
    xero = connections_at_codat(linked.company_id)["gbol"]
    page = html_of(merchant_client.get("/connection/switch/"))
    assert "Switch from Xero?" in page and "This can’t be undone" in page
    assert "Until the new accounting software is set up, sales aren’t sent anywhere." in page

    response = merchant_client.post(SWITCH, {"password": MERCHANT_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/")
    (delete,) = sent(linked, "DELETE")
    assert delete.url.path == f"/sandbox/codat/companies/{linked.company_id}/connections/{xero['id']}"
    assert faults.call_counts()["delete-connection"] == 1
    assert set(connections_at_codat(linked.company_id)) == {"lqai"}
    change = ConnectionChange.objects.get()
    assert (change.action, change.outcome, change.from_status, change.to_status) == ("switch", "done", "Linked", "Deleted")

    picker = html_of(merchant_client.get("/"))
    assert "Xero is removed." in picker
    assert "Link your QuickBooks Online account" in picker and "Switch from" not in picker
    # Abandoning here leaves the merchant "Not connected", which the page handles.
    assert headline(html_of(merchant_client.get("/connection/"))) == "Not connected"

    assert merchant_client.post("/link/", {"platform_key": "qhyg"}).status_code == 302
    controls.link(linked.company_id, "qhyg", tenant_name="Bean & Leaf Ltd")
    html = html_of(merchant_client.get("/link/return/", follow=True))
    assert headline(html) == "Connected to Bean & Leaf Ltd on QuickBooks Online"
    accounting = [c for c in controls.describe(linked.company_id)["connections"] if c["sourceType"] == "Accounting"]
    assert [(c["integrationKey"], c["status"]) for c in accounting] == [("qhyg", "Linked")]
    assert controls.push_sync(linked.company_id, status_code=2000).status_code == 2000  # one accounting connection


def test_a_half_finished_link_can_be_switched_away(merchant_client, warm_live_cache, counting):
    merchant_client.post("/link/", {"platform_key": "gbol"})
    controls.cancel(CompanyBinding.objects.get().company_id, "gbol")
    html = html_of(merchant_client.get("/link/return/", follow=True))
    assert headline(html) == "Connection not finished"
    assert '<a href="/connection/switch/">Use different accounting software</a>' in html
    assert merchant_client.post(SWITCH, {"password": MERCHANT_PASSWORD}).status_code == 302
    assert ConnectionChange.objects.get().from_status == "PendingAuth"
    assert merchant_client.post("/link/", {"platform_key": "qhyg"}).status_code == 302


def test_a_double_submitted_switch_deletes_once(merchant_and_user, linked):
    faults.inject("delete-connection", latency_ms=400)
    answers = []

    def submit():
        client = Client()
        client.force_login(merchant_and_user[1])
        answers.append(client.post(SWITCH, {"password": MERCHANT_PASSWORD}))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((a.status_code, a["Location"]) for a in answers) == [(302, "/"), (302, "/")]
    assert faults.calls("delete-connection") == 1 and ConnectionChange.objects.count() == 1


def test_switch_failing_keeps_the_connection_and_says_so(merchant_client, linked):
    faults.inject("delete-connection", status=503)
    response = merchant_client.post(SWITCH, {"password": MERCHANT_PASSWORD})
    html = html_of(response)
    assert response.status_code == 502
    assert "Xero was not removed. Please try again." in html
    assert faults.calls("delete-connection") == 1
    assert "gbol" in connections_at_codat(linked.company_id)
    assert "Switch from Xero first" in html_of(merchant_client.get("/"))


# --- the identity check --------------------------------------------------------------------------


def test_a_relink_to_another_tenant_is_pointed_out_until_confirmed(merchant_client, linked):
    assert ConnectionSnapshot.objects.get().first_tenant_name == "Bean & Leaf Ltd"
    merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    merchant_client.post("/link/", {"platform_key": "gbol"})
    controls.set_tenant_name(linked.company_id, "Other Ltd")
    controls.link(linked.company_id, "gbol")  # Finish, having picked another organisation at Xero
    html = html_of(merchant_client.get("/link/return/", follow=True))
    assert headline(html) == "Connected to Other Ltd on Xero"
    assert "You connected Other Ltd; before, Bean & Leaf Ltd." in html
    assert "use Change settings (or disconnect, then reconnect) and choose Bean & Leaf Ltd" in html

    response = merchant_client.post("/connection/tenant/keep/")
    assert (response.status_code, response["Location"]) == (302, "/connection/")
    assert "You connected Other Ltd" not in html_of(merchant_client.get("/connection/"))
    assert ConnectionSnapshot.objects.get().first_tenant_name == "Other Ltd"


def test_a_new_platform_after_a_switch_is_remembered_afresh(merchant_client, linked):
    merchant_client.post(SWITCH, {"password": MERCHANT_PASSWORD})
    assert ConnectionSnapshot.objects.get().first_tenant_name == ""
    merchant_client.post("/link/", {"platform_key": "qhyg"})
    controls.link(linked.company_id, "qhyg", tenant_name="Bean & Leaf (QBO)")
    html = html_of(merchant_client.get("/link/return/", follow=True))
    assert "You connected" not in html
    snapshot = ConnectionSnapshot.objects.get()
    assert (snapshot.first_tenant_name, snapshot.first_tenant_platform_key) == ("Bean & Leaf (QBO)", "qhyg")


# --- whose connection ----------------------------------------------------------------------------


def test_a_merchant_can_only_ever_act_on_their_own_connection(client, merchant, linked):
    """The merchant comes from the login: nothing in the request can name another one."""
    other, other_user = make_merchant(identifier="Someone else", username="someone")  # the same password
    client.force_login(other_user)
    xero = connections_at_codat(linked.company_id)["gbol"]
    forged = {"password": MERCHANT_PASSWORD, "merchant": merchant.pk, "merchant_id": merchant.pk,
              "company_id": linked.company_id, "connection_id": xero["id"]}
    for url, expected in ((DISCONNECT, "/connection/"), (SWITCH, "/")):
        response = client.post(url, forged)
        assert (response.status_code, response["Location"]) == (302, expected)  # they have nothing to change
    assert sent(linked, "PATCH") == [] and sent(linked, "DELETE") == []
    assert connections_at_codat(linked.company_id)["gbol"]["status"] == "Linked"
    assert not ConnectionChange.objects.exists() and not CompanyBinding.objects.filter(merchant=other).exists()
    # (Nor through the staff pages: every one of them answers a merchant's login 403, tests/staff/test_access.py.)


def test_a_refresh_that_read_codat_before_a_change_does_not_overwrite_it(merchant, linked):
    """A background refresh may have read Codat just before a disconnect; its answer is dropped."""
    from datetime import timedelta

    from django.utils import timezone

    from integrations.services.connections import connection_refresh

    controls.set_connection_status(linked.company_id, status="Unlinked", platform_key="gbol")  # Codat changed
    ConnectionSnapshot.objects.update(changed_at=timezone.now() + timedelta(minutes=1))  # a change after it began
    assert connection_refresh(merchant.pk, True) is False
    snapshot = ConnectionSnapshot.objects.get()
    assert snapshot.state == "connected" and snapshot.lease_until is None
    ConnectionSnapshot.objects.update(changed_at=timezone.now() - timedelta(seconds=1))  # a change before it began
    assert connection_refresh(merchant.pk, True) is True
    assert ConnectionSnapshot.objects.get().state == "disconnected"


def test_while_another_change_holds_the_connection_nothing_is_sent(merchant_client, linked, settings):
    """A change still under way (its lease held past the wait): 409, nothing sent, the page says so."""
    from datetime import timedelta

    from django.utils import timezone

    settings.CODAT_CONNECT_TIMEOUT = settings.CODAT_READ_TIMEOUT = 0.1  # the wait: their sum plus 5 s
    ConnectionSnapshot.objects.update(change_lease_until=timezone.now() + timedelta(minutes=1))
    response = merchant_client.post(DISCONNECT, {"password": MERCHANT_PASSWORD})
    assert response.status_code == 409
    assert "Another change to this connection is still under way." in html_of(response)
    assert sent(linked, "PATCH") == [] and not ConnectionChange.objects.exists()
