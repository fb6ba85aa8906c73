"""Controls: the Python API and its HTTP twin under /sandbox/control/, including bad input."""

import pytest

from codat_sandbox import controls
from codat_sandbox.controls import ControlError
from codat_sandbox.models import SandboxConnection
from tests.sandbox.conftest import start

pytestmark = pytest.mark.django_db

AUTH = {"HTTP_AUTHORIZATION": "Basic c2FuZGJveA=="}
UNKNOWN = "8a210b68-6988-11ed-a1eb-0242ac120002"


def post(client, company_id, control, body, auth=AUTH):
    return client.post(
        f"/sandbox/control/companies/{company_id}/{control}", body, content_type="application/json", **auth
    )


# --- the Python API ------------------------------------------------------------------------


def test_set_connection_status_by_id_or_by_key(company):
    start(merchant_identifier=company["id"])
    xero = SandboxConnection.objects.get(company_id=company["id"], platform_key="gbol")
    assert controls.set_connection_status(company["id"], status="Unlinked", connection_id=str(xero.id)).pk == xero.pk
    xero.refresh_from_db()
    assert xero.status == "Unlinked"
    controls.set_connection_status(company["id"], status="Linked", platform_key="gbol")
    xero.refresh_from_db()
    assert xero.status == "Linked"


def test_set_configuration_changes_only_what_it_is_given(company):
    controls.link(company["id"], "gbol")
    configuration = controls.set_configuration(
        company["id"], enable=False, schedule={"syncHour": 23, "timeZone": "America/New_York", "startDate": "2026-01-31"}
    )
    assert (configuration.enable, configuration.configured) == (False, True)
    assert (configuration.sync_hour, configuration.time_zone) == (23, "America/New_York")
    assert configuration.start_date.isoformat() == "2026-01-31T00:00:00+00:00"
    assert configuration.accounting_software_company_name == "Bean & Leaf"


def test_push_sync_defaults_data_pushed_from_the_code(company):
    assert controls.push_sync(company["id"], status_code=2000).data_pushed is True
    assert controls.push_sync(company["id"], status_code=2040).data_pushed is False
    assert controls.push_sync(company["id"], status_code=2000, data_pushed=False).data_pushed is False


@pytest.mark.parametrize(
    "control, arguments, message",
    [
        (controls.link, dict(accounting_key="lqai"), "not the key of any accounting platform"),
        (controls.link, dict(accounting_key="gbol", commerce_key="gbol"), "not the key of any commerce platform"),
        (controls.link, dict(accounting_key="gbol", tenant_name=7), "tenantName must be a string"),
        (controls.cancel, dict(accounting_key="zzzz"), "'zzzz' is not the key"),
        (controls.set_connection_status, dict(status="linked", platform_key="gbol"), "status must be one of"),
        (controls.set_connection_status, dict(status="Linked"), "exactly one of connectionId and platformKey"),
        (controls.set_connection_status, dict(status="Linked", platform_key="gbol", connection_id=UNKNOWN), "exactly one"),
        (controls.push_sync, dict(status_code=200), "four-digit"),
        (controls.push_sync, dict(status_code=True), "four-digit"),
        (controls.push_sync, dict(status_code="2000"), "four-digit"),
        (controls.push_sync, dict(status_code=2000, data_pushed="yes"), "dataPushed must be true or false"),
        (controls.push_sync, dict(status_code=4000, error_message=None), "errorMessage must be a string"),
        (controls.set_configuration, dict(enable="on"), "enable must be true or false"),
        (controls.set_configuration, dict(schedule={"syncHour": 24}), "syncHour"),
        (controls.set_configuration, dict(schedule={"timeZone": "Mars/Olympus"}), "timeZone"),
        (controls.set_configuration, dict(schedule={"selectedFrequency": "Hourly"}), "selectedFrequency"),
        (controls.set_configuration, dict(schedule={"startDate": "soon"}), "startDate"),
        (controls.set_configuration, dict(schedule={"frequency": "Daily"}), "schedule must be an object"),
        (controls.set_tenant_name, dict(tenant_name=None), "tenantName must be a string"),
    ],
)
def test_bad_input_is_a_control_error_and_changes_nothing(company, control, arguments, message):
    before = controls.describe(company["id"])
    with pytest.raises(ControlError, match=message) as caught:
        control(company["id"], **arguments)
    assert caught.value.status == 400
    assert controls.describe(company["id"]) == before


@pytest.mark.parametrize("company_id", [UNKNOWN, "nope"])
def test_unknown_company_is_a_404_control_error(db, company_id):
    with pytest.raises(ControlError, match="No company was found") as caught:
        controls.link(company_id, "gbol")
    assert caught.value.status == 404


def test_unknown_connection_is_a_404_control_error(company):
    with pytest.raises(ControlError, match="has no connection") as caught:
        controls.set_connection_status(company["id"], status="Linked", connection_id=UNKNOWN)
    assert caught.value.status == 404


# --- over HTTP -----------------------------------------------------------------------------


def test_every_control_needs_the_sandbox_key(client, company):
    assert client.get("/sandbox/control/companies").status_code == 401
    assert client.get("/sandbox/control/companies", HTTP_AUTHORIZATION="Basic bm9wZQ==").status_code == 401
    response = post(client, company["id"], "link", {"accountingKey": "gbol"}, auth={})
    assert response.status_code == 401 and response.json()["error"] == "Unauthorized"
    assert controls.describe(company["id"])["connections"] == []


def test_http_controls_script_a_company_and_answer_its_state(client, company):
    linked = post(client, company["id"], "link", {"accountingKey": "gbol", "tenantName": "Bean Trading Ltd"})
    assert linked.status_code == 200
    state = linked.json()
    assert state["id"] == company["id"]
    assert {c["integrationKey"]: c["status"] for c in state["connections"]} == {"lqai": "Linked", "gbol": "Linked"}
    assert state["configuration"]["accountingSoftwareCompanyName"] == "Bean Trading Ltd"

    xero_id = next(c["id"] for c in state["connections"] if c["integrationKey"] == "gbol")
    state = post(client, company["id"], "connection-status", {"status": "Deauthorized", "connectionId": xero_id}).json()
    assert next(c["status"] for c in state["connections"] if c["id"] == xero_id) == "Deauthorized"

    state = post(client, company["id"], "syncs", {"statusCode": 4000, "errorMessage": "Check your settings"}).json()
    assert [(s["syncStatusCode"], s["errorMessage"]) for s in state["syncs"]] == [(4000, "Check your settings")]

    state = post(client, company["id"], "configuration", {"enable": False, "schedule": {"syncHour": 6}}).json()
    assert (state["configuration"]["enable"], state["configuration"]["schedule"]["syncHour"]) == (False, 6)

    state = post(client, company["id"], "tenant-name", {"tenantName": "Next Tenant"}).json()
    assert state["tenantName"] == "Next Tenant"

    state = post(client, company["id"], "cancel", {"accountingKey": "qhyg"}).json()
    quickbooks = next(c for c in state["connections"] if c["integrationKey"] == "qhyg")
    assert quickbooks["status"] == "PendingAuth" and len(quickbooks["dataConnectionErrors"]) == 1


def test_listing_shows_every_company_with_its_state(client, company):
    start(merchant_identifier="merchant-9")
    controls.link(company["id"], "gbol")
    controls.push_sync(company["id"], status_code=2000)
    response = client.get("/sandbox/control/companies", **AUTH)
    assert response.status_code == 200
    listed = {c["name"]: c for c in response.json()["companies"]}
    assert set(listed) == {"Bean & Leaf", "merchant-9"}
    assert listed["merchant-9"]["merchantIdentifier"] == "merchant-9"
    assert listed["Bean & Leaf"]["merchantIdentifier"] is None
    assert listed["Bean & Leaf"]["configuration"]["configured"] is True
    assert [s["syncStatusCode"] for s in listed["Bean & Leaf"]["syncs"]] == [2000]
    assert listed["Bean & Leaf"]["redirect"].startswith("http://testserver/sandbox/link/")


@pytest.mark.parametrize(
    "control, body, status, message",
    [
        ("link", {}, 400, "Missing field(s) accountingKey."),
        ("link", {"accountingKey": "gbol", "tenant": "x"}, 400, "Unknown field(s) tenant"),
        ("link", {"accountingKey": "zzzz"}, 400, "'zzzz' is not the key of any accounting platform"),
        ("link", ["gbol"], 400, "The body must be a JSON object."),
        ("connection-status", {"status": "Gone", "platformKey": "gbol"}, 400, "status must be one of"),
        ("connection-status", {"status": "Linked", "connectionId": UNKNOWN}, 404, "has no connection"),
        ("syncs", {"statusCode": "2000"}, 400, "four-digit"),
        ("syncs", {"errorMessage": "x"}, 400, "Missing field(s) statusCode."),
        ("configuration", {"schedule": {"syncHour": -1}}, 400, "syncHour"),
        ("tenant-name", {"tenantName": 5}, 400, "tenantName must be a string"),
        ("explode", {}, 404, "No control 'explode'"),
    ],
)
def test_http_bad_input_is_400_with_a_clear_message(client, company, control, body, status, message):
    response = post(client, company["id"], control, body)
    assert response.status_code == status
    error = response.json()
    assert error["statusCode"] == status and message in error["error"]


def test_http_body_that_is_not_json_is_400(client, company):
    response = client.post(
        f"/sandbox/control/companies/{company['id']}/link", "{not json", content_type="application/json", **AUTH
    )
    assert response.status_code == 400 and response.json()["error"] == "The body must be JSON."


@pytest.mark.parametrize("company_id", [UNKNOWN, "not-a-uuid"])
def test_http_unknown_company_is_404(client, db, company_id):
    response = post(client, company_id, "link", {"accountingKey": "gbol"})
    assert response.status_code == 404 and "No company was found" in response.json()["error"]


def test_http_controls_refuse_other_methods(client, company):
    assert client.get(f"/sandbox/control/companies/{company['id']}/link", **AUTH).status_code == 405
    assert client.post("/sandbox/control/companies", **AUTH).status_code == 405
