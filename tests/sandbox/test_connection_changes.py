"""update-connection (unlink) and delete-connection: what the sandbox changes, announces and refuses."""

import json

import pytest

from codat_sandbox import controls, faults
from codat_sandbox.models import SandboxWebhookMessage
from tests.sandbox.conftest import call, start

pytestmark = pytest.mark.django_db

UNKNOWN = "8a210b68-6988-11ed-a1eb-0242ac120002"


def connections(company_id):
    response, body = call(f"/companies/{company_id}/connections")
    assert response.status == 200, body
    return {c["integrationKey"]: c for c in body["results"]}


def patch(company_id, connection_id, body, raw=None):
    if raw is not None:
        from codat_sandbox import api
        from tests.sandbox.conftest import AUTH, ORIGIN

        response = api.handle(
            api.SandboxRequest(
                method="PATCH",
                path=f"/sandbox/codat/companies/{company_id}/connections/{connection_id}",
                query={},
                headers=AUTH,
                origin=ORIGIN,
                body=raw,
            )
        )
        return response, json.loads(response.body)
    return call(f"/companies/{company_id}/connections/{connection_id}", method="PATCH", body=body)


def delete(company_id, connection_id):
    return call(f"/companies/{company_id}/connections/{connection_id}", method="DELETE")


def events(company_id):
    return [m["eventType"] for m in controls.webhook_messages(company_id)]


@pytest.fixture
def linked(company):
    """A company linked to Xero through the partner's connector, with its webhooks so far forgotten."""
    start(merchant_identifier=company["id"])
    controls.link(company["id"], "gbol")
    SandboxWebhookMessage.objects.all().delete()
    return company["id"]


def test_unlinking_a_linked_connection_answers_it_unlinked_and_announces_it(linked):
    xero = connections(linked)["gbol"]
    response, body = patch(linked, xero["id"], {"status": "Unlinked"})
    assert response.status == 200
    assert (body["id"], body["status"], body["integrationKey"]) == (xero["id"], "Unlinked", "gbol")
    assert {k: c["status"] for k, c in connections(linked).items()} == {"lqai": "Linked", "gbol": "Unlinked"}
    assert events(linked) == ["connection.disconnected"]
    (message,) = controls.webhook_messages(linked)
    assert message["body"]["payload"]["connection"]["id"] == xero["id"]


def test_unlinking_an_unlinked_connection_is_200_and_changes_nothing(linked):
    xero = connections(linked)["gbol"]
    patch(linked, xero["id"], {"status": "Unlinked"})
    response, body = patch(linked, xero["id"], {"status": "Unlinked"})
    assert (response.status, body["status"]) == (200, "Unlinked")
    assert events(linked) == ["connection.disconnected"]  # announced once


@pytest.mark.parametrize(
    "body",
    [{"status": "Linked"}, {"status": "Deauthorized"}, {"status": "PendingAuth"}, {"status": "unlinked"},
     {"status": None}, {}, {"status": "Unlinked", "other": 1}, ["Unlinked"], "Unlinked"],
)
def test_any_other_change_is_400_and_changes_nothing(linked, body):
    xero = connections(linked)["gbol"]
    response, answer = patch(linked, xero["id"], body)
    assert response.status == 400
    assert answer["statusCode"] == 400 and len(answer["correlationId"]) == 32
    assert connections(linked)["gbol"]["status"] == "Linked"
    assert events(linked) == []


def test_a_body_that_is_not_json_is_400(linked):
    response, answer = patch(linked, connections(linked)["gbol"]["id"], None, raw=b"{status: Unlinked")
    assert (response.status, answer["error"]) == (400, "The request body is not valid JSON.")


@pytest.mark.parametrize("status", ["PendingAuth", "Deauthorized"])
def test_only_linked_connections_can_be_unlinked(linked, status):
    controls.set_connection_status(linked, status=status, platform_key="gbol")
    response, answer = patch(linked, connections(linked)["gbol"]["id"], {"status": "Unlinked"})
    assert response.status == 400
    assert answer["error"].startswith("Only Linked data connections can be unlinked")
    assert connections(linked)["gbol"]["status"] == status


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("connection_id", [UNKNOWN, "not-a-uuid"])
def test_an_unknown_connection_is_404(linked, method, connection_id):
    response, answer = call(f"/companies/{linked}/connections/{connection_id}", method=method, body={"status": "Unlinked"})
    assert response.status == 404
    assert answer["error"] == f"Data connection {connection_id} not found"


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_connection_of_another_company_is_404(linked, company, method):
    other = call("/companies", method="POST", body={"name": "Other"})[1]["id"]
    xero = connections(linked)["gbol"]
    response, _ = call(f"/companies/{other}/connections/{xero['id']}", method=method, body={"status": "Unlinked"})
    assert response.status == 404
    assert connections(linked)["gbol"]["status"] == "Linked"


def test_delete_answers_200_with_no_body_then_404_and_announces_it(linked):
    xero = connections(linked)["gbol"]
    response, body = delete(linked, xero["id"])
    assert (response.status, body) == (200, b"")
    assert set(connections(linked)) == {"lqai"}
    assert delete(linked, xero["id"])[0].status == 404
    (message,) = controls.webhook_messages(linked)
    assert message["eventType"] == "connection.deleted"
    assert message["body"]["payload"]["connection"]["status"] == "Linked"  # its last status, as Codat sends


def test_deleting_the_accounting_connection_forgets_its_configuration(linked):
    delete(linked, connections(linked)["gbol"]["id"])
    configuration = call(f"/config/companies/{linked}/sync/commerce")[1]
    assert (configuration["configured"], configuration["enable"]) == (False, False)
    assert "accountingSoftwareCompanyName" not in configuration


def test_reentry_and_finish_relinks_the_same_unlinked_connection(linked):
    xero = connections(linked)["gbol"]
    patch(linked, xero["id"], {"status": "Unlinked"})
    start(merchant_identifier=linked)  # the Sync Flow again, same platform
    controls.link(linked, "gbol")  # Finish
    again = connections(linked)["gbol"]
    assert (again["id"], again["status"]) == (xero["id"], "Linked")
    assert events(linked) == ["connection.disconnected", "connection.reconnected"]


def test_a_second_accounting_connection_makes_later_syncs_fail_with_4000(linked):
    controls.push_sync(linked, status_code=2000)
    start(accounting_key="qhyg", merchant_identifier=linked)  # a second platform, never finished
    sync = controls.push_sync(linked, status_code=2000)  # pushed through the controls: 4000 too
    assert (sync.status_code, sync.data_pushed) == (4000, False)
    assert sync.error_message == (
        "The company has more than one accounting connection (QuickBooks Online, Xero). "
        "Delete the one no longer used, then sync again."
    )
    latest = call(f"/companies/{linked}/sync/commerce/syncs/latest/status")[1]
    assert (latest["syncStatusCode"], latest["syncStatus"]) == (4000, "PushError")

    delete(linked, connections(linked)["gbol"]["id"])
    controls.link(linked, "qhyg")
    assert controls.push_sync(linked, status_code=2000).status_code == 2000


@pytest.mark.parametrize("operation, method", [("update-connection", "PATCH"), ("delete-connection", "DELETE")])
def test_faults_are_scripted_by_operation_id_and_change_nothing(linked, operation, method):
    xero = connections(linked)["gbol"]
    faults.inject(operation, status=503, times=1)
    response, body = call(f"/companies/{linked}/connections/{xero['id']}", method=method, body={"status": "Unlinked"})
    assert (response.status, body["statusCode"]) == (503, 503)
    assert connections(linked)["gbol"]["status"] == "Linked"
    assert faults.call_counts()[operation] == 1
    faults.reset()


def test_other_methods_on_a_connection_are_405(linked):
    response, _ = call(f"/companies/{linked}/connections/{connections(linked)['gbol']['id']}", method="PUT", body={})
    assert response.status == 405 and response.headers["Allow"] == "DELETE, PATCH"


def test_without_the_key_nothing_changes(linked):
    xero = connections(linked)["gbol"]
    for method in ("PATCH", "DELETE"):
        response, _ = call(f"/companies/{linked}/connections/{xero['id']}", method=method, headers={}, body={"status": "Unlinked"})
        assert response.status == 401
    assert connections(linked)["gbol"]["status"] == "Linked"
