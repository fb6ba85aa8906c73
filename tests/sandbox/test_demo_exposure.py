"""A public sandbox demo (CODAT_SANDBOX_DEMO) is not an open door (issue 15, item 9)."""

import base64
import io
import json

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import override_settings

from codat_sandbox import faults
from codat_sandbox.models import Call, Fault
from commerce_portal.checks import check_sandbox_exposure
from tests.sandbox.conftest import call

pytestmark = pytest.mark.django_db

DEFAULT = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"sandbox").decode()}
DEMO_KEY = "demo-key-9f3a1c2e7b"
DEMO = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(DEMO_KEY.encode()).decode()}


# --- the default key ------------------------------------------------------------------------


@override_settings(CODAT_SANDBOX_ENABLED=True, DEBUG=False, CODAT_SANDBOX_DEMO=True, CODAT_SANDBOX_API_KEY="sandbox")
def test_a_public_demo_with_the_default_key_fails_the_checks():
    (error,) = check_sandbox_exposure()
    assert error.level == checks.ERROR and error.id == "commerce_portal.E009"
    assert "sandbox_demo_key" in error.hint


@override_settings(CODAT_SANDBOX_DEMO=True, CODAT_SANDBOX_API_KEY="sandbox")
def test_a_demo_refuses_the_default_key_on_the_api_and_the_controls(client):
    assert client.get("/sandbox/codat/config/integrations", **DEFAULT).status_code == 401
    assert client.get("/sandbox/control/calls", **DEFAULT).status_code == 401
    assert client.post("/sandbox/control/faults", {"operation": "*", "status": 500}, content_type="application/json",
                       **DEFAULT).status_code == 401
    assert not Fault.objects.exists()


@override_settings(CODAT_SANDBOX_DEMO=True, CODAT_SANDBOX_API_KEY=DEMO_KEY)
def test_a_demo_with_its_own_key_answers_it(client):
    assert client.get("/sandbox/codat/config/integrations", **DEMO).status_code == 200
    assert client.get("/sandbox/codat/config/integrations", **DEFAULT).status_code == 401


def test_the_demo_key_command_prints_a_fresh_random_key_once():
    first, second = io.StringIO(), io.StringIO()
    call_command("sandbox_demo_key", stdout=first)
    call_command("sandbox_demo_key", stdout=second)
    key = first.getvalue().split("CODAT_SANDBOX_API_KEY=", 1)[1].split()[0]
    assert len(key) >= 40 and key != "sandbox"
    assert key not in second.getvalue()


# --- anonymous calls ------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"authorization": "Basic " + base64.b64encode(b"wrong").decode()},
                                     {"authorization": "Bearer x"}])
def test_anonymous_api_calls_neither_consume_faults_nor_write_rows(headers):
    faults.inject("list-integrations", status=503, times=1)
    faults.inject("*", latency_ms=5000)
    response, _ = call("/config/integrations", headers=headers)
    assert response.status == 401 and response.delay == 0
    assert Fault.objects.get(operation="list-integrations").remaining == 1
    assert not Call.objects.exists()


def test_anonymous_logo_fetches_over_http_neither_consume_faults_nor_write_rows(client):
    faults.inject("branding-image", status=500, times=1)
    assert client.get("/sandbox/logos/aiwb-square.png").status_code == 200
    assert Fault.objects.get().remaining == 1 and not Call.objects.exists()


def test_the_apps_own_logo_fetches_still_meet_their_faults(counting, sandbox_faults):
    from integrations.codat import get_codat_client

    sandbox_faults.inject("branding-image", status=500, times=1)
    client = get_codat_client()
    client.get_image("http://codat-sandbox.internal/sandbox/logos/aiwb-square.png", max_bytes=10**6)  # 500, retried
    assert not Fault.objects.exists() and Call.objects.filter(operation="branding-image").count() >= 1


# --- the fault control answers 400 to bad values ------------------------------------------------

AUTH = {"HTTP_AUTHORIZATION": "Basic c2FuZGJveA=="}

BAD_FAULTS = [
    {"operation": "*", "status": "abc"},
    {"operation": "*", "status": 10**20},
    {"operation": "*", "status": 42},
    {"operation": "*", "status": True},
    {"operation": "*", "status": 503.5},
    {"operation": "*", "latency_ms": -5},
    {"operation": "*", "latency_ms": 10**12},
    {"operation": "*", "latency_ms": "slow"},
    {"operation": "*", "body_size": 10**12},
    {"operation": "*", "body_size": -1},
    {"operation": "*", "code_age": "old"},
    {"operation": "*", "code_age": float("1e308") * 10},
    {"operation": "*", "times": -1},
    {"operation": "*", "times": 0},
    {"operation": "*", "times": "twice"},
    {"operation": "x" * 65},
    {"operation": ["list-integrations"]},
    {"operation": None},
    {"operation": ""},
    {"operation": "*", "retry_after": {"seconds": 5}},
    {"operation": "*", "retry_after": "9" * 65},
    {"operation": "*", "content_type": ["text/html"]},
    {"operation": "*", "content_type": "x" * 101},
    {"operation": "*", "body": 123},
    {"operation": "*", "body": "a\u0000b"},
    {"operation": "*\u0000"},
    {"operation": "*", "colour": "red"},
    {},
    [],
    "fault",
    17,
    None,
]


@pytest.mark.parametrize("body", BAD_FAULTS, ids=[str(i) for i in range(len(BAD_FAULTS))])
def test_bad_fault_values_are_400_with_a_message_never_500(client, body):
    client.raise_request_exception = False
    data = json.dumps(body, allow_nan=True)
    response = client.post("/sandbox/control/faults", data, content_type="application/json", **AUTH)
    assert response.status_code == 400, (body, response.status_code)
    assert "Bad fault" in response.json()["error"]
    assert not Fault.objects.exists()


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b'{"operation": "*", "status": NaN}', b'{"operation": "*", "latency_ms": Infinity}'])
def test_bodies_that_are_not_json_are_400(client, raw):
    client.raise_request_exception = False
    response = client.post("/sandbox/control/faults", raw, content_type="application/json", **AUTH)
    assert response.status_code == 400
    assert not Fault.objects.exists()


def test_good_faults_are_still_accepted(client):
    response = client.post("/sandbox/control/faults", {"operation": "get-sync-flow-url", "status": 503, "times": 2,
                                                       "retry_after": "5", "latency_ms": 10}, content_type="application/json", **AUTH)
    assert response.status_code == 201
    fault = Fault.objects.get()
    assert (fault.status, fault.remaining, fault.retry_after, fault.latency_ms) == (503, 2, "5", 10)


def test_company_controls_refuse_nul_characters_with_a_400(client, company):
    client.raise_request_exception = False
    response = client.post(f"/sandbox/control/companies/{company['id']}/tenant-name", {"tenantName": "a\u0000b"},
                           content_type="application/json", **AUTH)
    assert response.status_code == 400
