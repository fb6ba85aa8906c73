"""What our client sends and what the sandbox answers, validated against Codat's OpenAPI spec."""

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from codat_sandbox import api
from integrations.codat import CodatAPIError
from tests.conftest import CountingTransport, sandbox_client

pytestmark = pytest.mark.django_db

SPEC = Path(__file__).with_name("spec") / "Codat-Sync-Commerce.yaml"
ORIGIN = "http://codat-sandbox.internal"


def test_spec_is_codats():
    """The vendored spec is byte-for-byte the one in shared/codat (git blob 9375bb8f)."""
    data = SPEC.read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert blob == "9375bb8f3b68c6b3f36ff917e4c94694ebdccb84"


@pytest.fixture(scope="module")
def openapi():
    spec = yaml.safe_load(SPEC.read_text())
    # The server is where Codat runs; the contract is everything else.
    spec["servers"] = [{"url": f"{ORIGIN}/sandbox/codat"}]
    return OpenAPI.from_dict(spec)


def _exchange(transport: CountingTransport, operation):
    """Run ``operation`` and return every (request, response) pair it produced."""
    try:
        operation()
    except CodatAPIError:
        pass
    pairs = []
    for request in transport.requests:
        answer = api.handle(
            api.SandboxRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.url.params),
                headers={k.lower(): v for k, v in request.headers.items()},
                origin=ORIGIN,
            )
        )
        pairs.append((request, answer))
    return pairs


def _validate(openapi, request, answer):
    mock_request = MockRequest(
        ORIGIN,
        request.method,
        request.url.path,
        args=dict(request.url.params),
        headers=dict(request.headers),
    )
    openapi.validate_request(mock_request)
    content_type = answer.headers["Content-Type"].split(";")[0]
    openapi.validate_response(
        mock_request,
        MockResponse(answer.body, status_code=answer.status, headers=answer.headers, content_type=content_type),
    )
    return json.loads(answer.body)


OPERATIONS = {
    "list-integrations": lambda client: client.list_integrations(),
    "list-integrations-paged-and-filtered": lambda client: client.list_integrations(query="sourceType=Accounting"),
    "get-integration-branding": lambda client: client.get_integration_branding("gbol"),
    "get-integration-branding-svg": lambda client: client.get_integration_branding("fbrh"),
    "get-sync-flow-url": lambda client: client.get_sync_flow_url(
        commerce_key="lqai",
        accounting_key="gbol",
        merchant_identifier="Bean & Leaf, Ltd. #42",
        redirect_url="https://portal.example/link/return/",  # documented by Codat, not declared in the spec
    ),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_requests_and_responses_follow_the_spec(openapi, name):
    transport = CountingTransport()
    client = sandbox_client(transport, page_size=5)
    pairs = _exchange(transport, lambda: OPERATIONS[name](client))
    assert pairs
    for request, answer in pairs:
        assert answer.status == 200
        _validate(openapi, request, answer)


ERRORS = {
    "401": (dict(api_key="wrong"), lambda client: client.list_integrations(), 401),
    "400-malformed-query": ({}, lambda client: client.list_integrations(query="key=="), 400),
    "404-branding": ({}, lambda client: client.get_integration_branding("zzzz"), 404),
    "404-start": ({}, lambda client: client.get_sync_flow_url(commerce_key="lqai", accounting_key="zzzz", merchant_identifier="m"), 404),
    "400-start": ({}, lambda client: client.get_sync_flow_url(commerce_key="lqai", accounting_key="tgff", merchant_identifier="m"), 400),
}


@pytest.mark.parametrize("name", ERRORS)
def test_error_bodies_follow_the_spec(openapi, name):
    options, operation, status = ERRORS[name]
    transport = CountingTransport()
    client = sandbox_client(transport, max_retries=0, **options)
    (request, answer), = _exchange(transport, lambda: operation(client))
    assert answer.status == status
    body = _validate(openapi, request, answer)
    assert body["statusCode"] == status


@pytest.mark.parametrize("status", [402, 403, 429, 500, 503])
def test_injected_error_statuses_follow_the_spec(openapi, sandbox_faults, status):
    sandbox_faults.inject("get-integration-branding", status=status)
    transport = CountingTransport()
    (request, answer), = _exchange(transport, lambda: sandbox_client(transport, max_retries=0).get_integration_branding("gbol"))
    assert answer.status == status
    assert _validate(openapi, request, answer)["statusCode"] == status


def test_validator_rejects_a_response_that_breaks_the_spec(openapi):
    """The contract check has teeth: a catalogue entry without its required name fails it."""
    from openapi_core.validation.response.exceptions import InvalidData

    request = MockRequest(ORIGIN, "GET", "/sandbox/codat/config/integrations", headers={"Authorization": "Basic eA=="})
    bad = {"results": [{"key": "gbol", "logoUrl": "http://x/y.png", "enabled": True}], "pageNumber": 1,
           "pageSize": 100, "totalResults": 1, "_links": {"self": {"href": "/"}, "current": {"href": "/"}}}
    with pytest.raises(InvalidData):
        openapi.validate_response(request, MockResponse(json.dumps(bad).encode(), content_type="application/json"))
