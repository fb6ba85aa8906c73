"""What our client sends and what the sandbox answers, validated against Codat's OpenAPI spec.

A recording transport keeps each (request, response) pair exactly as the client sent and
received it, so the answers checked are the ones the client parsed, not a replay.
"""

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.exceptions import RequestValidationError
from openapi_core.validation.response.exceptions import InvalidData

from django.conf import settings

from codat_sandbox import controls
from codat_sandbox.transport import SandboxTransport
from integrations.codat import CodatAPIError
from tests.conftest import sandbox_client

pytestmark = pytest.mark.django_db

SPEC = Path(__file__).with_name("spec") / "Codat-Sync-Commerce.yaml"
ORIGIN = "http://codat-sandbox.internal"
UNKNOWN = "8a210b68-6988-11ed-a1eb-0242ac120002"
CLIENT = settings.CODAT_SANDBOX_CLIENT_ID
NEXT = "configure-misc-nextButton"


class RecordingTransport(httpx.BaseTransport):
    """Answers from the sandbox in-process and keeps every (request, response) the client got."""

    def __init__(self):
        self.inner = SandboxTransport()
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append((request, response))
        return response


def test_spec_is_codats():
    """The vendored spec is byte-for-byte the one in shared/codat (git blob 9375bb8f)."""
    data = SPEC.read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert blob == "9375bb8f3b68c6b3f36ff917e4c94694ebdccb84"


def _nullable_as_in_31(node):
    """The spec declares OpenAPI 3.1 but marks nullable fields the 3.0 way (``nullable: true``),
    which a 3.1 validator ignores: read them as their authors meant, null allowed
    (``type: [X, "null"]``). Without it, resetting a Sync Flow text (``{"text": null}``, the
    documented way) would look like a contract break."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for value in node.values():
            _nullable_as_in_31(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_as_in_31(value)


@pytest.fixture(scope="module")
def openapi():
    spec = yaml.safe_load(SPEC.read_text())
    _nullable_as_in_31(spec)
    # The server is where Codat runs; the contract is everything else.
    spec["servers"] = [{"url": f"{ORIGIN}/sandbox/codat"}]
    return OpenAPI.from_dict(spec)


def _exchanges(operation, **options):
    """Run ``operation(client)`` and return every (request, response) pair the client saw."""
    transport = RecordingTransport()
    client = sandbox_client(transport, **options)
    try:
        operation(client)
    except CodatAPIError:
        pass
    assert transport.exchanges
    return transport.exchanges


def _mock_request(request: httpx.Request) -> MockRequest:
    return MockRequest(
        ORIGIN,
        request.method,
        request.url.path,
        args=dict(request.url.params),
        headers=dict(request.headers),
        data=request.content or None,
        content_type=request.headers.get("Content-Type", "application/json"),
    )


def _validate(openapi, request, response, *, request_follows_spec=True):
    mock_request = _mock_request(request)
    if request_follows_spec:
        openapi.validate_request(mock_request)
    content_type = response.headers["Content-Type"].split(";")[0]
    openapi.validate_response(
        mock_request,
        MockResponse(response.content, status_code=response.status_code, headers=dict(response.headers), content_type=content_type),
    )
    return json.loads(response.content)


@pytest.fixture
def company_id(db):
    """A company with every kind of state an answer can carry: connections with active and
    resolved errors, a linked configuration, successful and failed syncs; and two more companies."""
    setup = sandbox_client()
    company = setup.create_company(name="Bean & Leaf", description="merchant 42", tags={"merchant": "42"})
    setup.get_sync_flow_url(commerce_key="lqai", accounting_key="gbol", merchant_identifier=company.id)
    controls.cancel(company.id, "gbol")
    controls.link(company.id, "gbol")  # resolves that error
    controls.push_sync(company.id, status_code=2000)
    controls.push_sync(company.id, status_code=4000, error_message="Check your settings", sync_exception_message="MapError")
    # An active error on a second accounting connection (last: from now on the sandbox's syncs would fail with 4000).
    controls.cancel(company.id, "qhyg")
    for name in ("Second", "Third"):
        setup.create_company(name=name)
    return company.id


@pytest.fixture
def fresh_company_id(db):
    return sandbox_client().create_company(name="Fresh").id


OPERATIONS = {
    "list-integrations": lambda client, _: client.list_integrations(),
    "list-integrations-paged-and-filtered": lambda client, _: client.list_integrations(query="sourceType=Accounting"),
    "get-integration-branding": lambda client, _: client.get_integration_branding("gbol"),
    "get-integration-branding-svg": lambda client, _: client.get_integration_branding("fbrh"),
    "get-sync-flow-url": lambda client, _: client.get_sync_flow_url(
        commerce_key="lqai",
        accounting_key="gbol",
        merchant_identifier="Bean & Leaf, Ltd. #42",
        redirect_url="https://portal.example/link/return/",  # documented by Codat, not declared in the spec
    ),
    "get-sync-flow-url-for-a-company": lambda client, company_id: client.get_sync_flow_url(
        commerce_key="lqai", accounting_key="gbol", merchant_identifier=company_id
    ),
    "create-company": lambda client, _: client.create_company(
        name="Bean & Leaf, Ltd.", description="merchant 42", tags={"merchant": "42", "region": "uk"}
    ),
    "create-company-name-only": lambda client, _: client.create_company(name="Plain"),
    "list-companies": lambda client, _: client.list_companies(),
    "list-connections": lambda client, company_id: client.list_connections(company_id),
    "get-configuration": lambda client, company_id: client.get_configuration(company_id),
    "get-latest-sync": lambda client, company_id: client.get_latest_sync(company_id),
    "get-last-successful-sync": lambda client, company_id: client.get_last_successful_sync(company_id),
    "list-syncs": lambda client, company_id: client.list_syncs(company_id),
    "request-sync": lambda client, company_id: client.request_sync(company_id),
    "request-sync-up-to-a-time": lambda client, company_id: client.request_sync(
        company_id, sync_to=datetime(2025, 5, 3, tzinfo=timezone.utc)
    ),
    "request-sync-for-date-range": lambda client, company_id: client.request_sync_for_date_range(
        company_id, start=datetime(2025, 5, 1, tzinfo=timezone.utc), finish=datetime(2025, 5, 8, tzinfo=timezone.utc)
    ),
    "get-config-text-sync-flow": lambda client, _: client.get_config_text_sync_flow(locale="en-us"),
    "get-config-text-sync-flow-fr": lambda client, _: client.get_config_text_sync_flow(locale="fr-fr"),
    "update-config-text-sync-flow": lambda client, _: client.update_config_text_sync_flow(
        locale="en-us", texts={NEXT: "Continue", "configure-content-sales-description": ""}
    ),
    "update-config-text-sync-flow-reset": lambda client, _: client.update_config_text_sync_flow(
        locale="fr-fr", texts={NEXT: None}
    ),
    "get-visible-accounts": lambda client, _: client.get_visible_accounts(client_id=CLIENT, platform_key="lqai"),
    "update-visible-accounts-sync-flow": lambda client, _: client.update_visible_accounts_sync_flow(
        platform_key="lqai", visible_accounts=["payments-accounts-cash", "fees-accounts-loan"]
    ),
    "update-visible-accounts-sync-flow-reset": lambda client, _: client.update_visible_accounts_sync_flow(
        platform_key="fqly", visible_accounts=None
    ),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_requests_and_responses_follow_the_spec(openapi, company_id, name):
    for request, response in _exchanges(lambda client: OPERATIONS[name](client, company_id), page_size=2):
        assert response.status_code == 200
        _validate(openapi, request, response)


def test_paged_operations_were_checked_on_more_than_one_page(company_id):
    for operation in (lambda c: c.list_companies(), lambda c: c.list_connections(company_id)):
        assert len(_exchanges(operation, page_size=2)) == 2


@pytest.mark.parametrize(
    "operation",
    [
        lambda client, company_id: client.get_configuration(company_id),
        lambda client, company_id: client.list_syncs(company_id),
        lambda client, company_id: client.list_connections(company_id),
    ],
    ids=["get-configuration-unconfigured", "list-syncs-empty", "list-connections-empty"],
)
def test_a_fresh_companys_answers_follow_the_spec(openapi, fresh_company_id, operation):
    ((request, response),) = _exchanges(lambda client: operation(client, fresh_company_id))
    assert response.status_code == 200
    _validate(openapi, request, response)


ERRORS = {
    "401": (dict(api_key="wrong"), lambda client, _: client.list_integrations(), 401),
    "401-create-company": (dict(api_key="wrong"), lambda client, _: client.create_company(name="x"), 401),
    "400-malformed-query": ({}, lambda client, _: client.list_integrations(query="key=="), 400),
    "404-branding": ({}, lambda client, _: client.get_integration_branding("zzzz"), 404),
    "404-start": ({}, lambda client, _: client.get_sync_flow_url(commerce_key="lqai", accounting_key="zzzz", merchant_identifier="m"), 404),
    "400-start": ({}, lambda client, _: client.get_sync_flow_url(commerce_key="lqai", accounting_key="tgff", merchant_identifier="m"), 400),
    "404-list-connections": ({}, lambda client, _: client.list_connections(UNKNOWN), 404),
    "404-get-configuration": ({}, lambda client, _: client.get_configuration(UNKNOWN), 404),
    "404-list-syncs": ({}, lambda client, _: client.list_syncs(UNKNOWN), 404),
    "404-get-latest-sync-none-yet": ({}, lambda client, fresh: client.get_latest_sync(fresh), 404),
    "404-get-last-successful-sync-none-yet": ({}, lambda client, fresh: client.get_last_successful_sync(fresh), 404),
    "404-request-sync": ({}, lambda client, _: client.request_sync(UNKNOWN), 404),
    "404-request-sync-for-date-range": ({}, lambda client, _: client.request_sync_for_date_range(
        UNKNOWN, start=datetime(2025, 5, 1, tzinfo=timezone.utc), finish=datetime(2025, 5, 2, tzinfo=timezone.utc)), 404),
    # Within the spec (it does not order start and finish); the sandbox refuses it, as Codat would surely.
    "400-request-sync-for-date-range-backwards": ({}, lambda client, fresh: client.request_sync_for_date_range(
        fresh, start=datetime(2025, 5, 8, tzinfo=timezone.utc), finish=datetime(2025, 5, 1, tzinfo=timezone.utc)), 400),
    "400-update-config-text-required-shows-nothing": ({}, lambda client, _: client.update_config_text_sync_flow(locale="en-us", texts={NEXT: ""}), 400),
    "400-update-config-text-unknown-key": ({}, lambda client, _: client.update_config_text_sync_flow(locale="en-us", texts={"configure-misc-finishButton": "Done"}), 400),
    "404-get-visible-accounts-unknown-client": ({}, lambda client, _: client.get_visible_accounts(client_id=UNKNOWN, platform_key="lqai"), 404),
    "404-get-visible-accounts-accounting-platform": ({}, lambda client, _: client.get_visible_accounts(client_id=CLIENT, platform_key="gbol"), 404),
    "400-update-visible-accounts-unknown-account": ({}, lambda client, _: client.update_visible_accounts_sync_flow(platform_key="lqai", visible_accounts=["payments-accounts-bitcoin"]), 400),
    "404-update-visible-accounts-unknown-platform": ({}, lambda client, _: client.update_visible_accounts_sync_flow(platform_key="zzzz", visible_accounts=None), 404),
}


@pytest.mark.parametrize("name", ERRORS)
def test_error_bodies_follow_the_spec(openapi, fresh_company_id, name):
    options, operation, status = ERRORS[name]
    ((request, response),) = _exchanges(lambda client: operation(client, fresh_company_id), max_retries=0, **options)
    assert response.status_code == status
    assert _validate(openapi, request, response)["statusCode"] == status


@pytest.mark.parametrize(
    "name, operation",
    [
        ("400-create-company-bad-name", lambda client: client.create_company(name="Bean <b>Leaf</b>")),
        ("400-create-company-too-many-tags", lambda client: client.create_company(name="x", tags={str(n): "v" for n in range(11)})),
        ("404-malformed-company-id", lambda client: client.get_configuration("not-a-uuid")),
    ],
)
def test_answers_to_requests_outside_the_spec_follow_it(openapi, name, operation):
    """The spec refuses these requests too; the sandbox's error answers still follow it."""
    ((request, response),) = _exchanges(operation, max_retries=0)
    with pytest.raises(RequestValidationError):
        openapi.validate_request(_mock_request(request))
    assert _validate(openapi, request, response, request_follows_spec=False)["statusCode"] == int(name[:3])


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Bean & Leaf, Ltd."},
        {"name": "A-b's c&d @e. f? g!", "description": ""},
        {"name": "x", "tags": {"k" * 27: "v" * 100}},
        {"name": "x", "tags": {str(n): "v" for n in range(10)}},
        {},
        {"name": ""},
        {"name": "Bean #42"},
        {"name": "Café"},
        {"name": "x", "description": None},
        {"name": "x", "tags": {"k" * 28: "v"}},
        {"name": "x", "tags": {"": "v"}},
        {"name": "x", "tags": {"k": "v" * 101}},
        {"name": "x", "tags": {"k": 1}},
        {"name": "x", "tags": {str(n): "v" for n in range(11)}},
        {"name": "x", "tags": None},
    ],
)
def test_create_company_refuses_exactly_what_the_spec_refuses(openapi, db, body):
    request = httpx.Request(
        "POST",
        f"{ORIGIN}/sandbox/codat/companies",
        json=body,
        headers={"Authorization": "Basic c2FuZGJveA=="},
    )
    response = SandboxTransport().handle_request(request)
    try:
        openapi.validate_request(_mock_request(request))
        spec_accepts = True
    except RequestValidationError:
        spec_accepts = False
    assert response.status_code == (200 if spec_accepts else 400), response.text
    _validate(openapi, request, response, request_follows_spec=False)


@pytest.mark.parametrize(
    "body",
    [
        {"dateRange": {"start": "2025-05-01T00:00:00Z", "finish": "2025-05-08T00:00:00Z"}},
        {"dateRange": {"start": "2025-05-01", "finish": "2025-05-01"}},
        {"dateRange": {"start": "2025-05-01T00:00:00Z", "finish": "2025-05-08T00:00:00Z"}, "note": "x"},
        {"start": "2025-05-01T00:00:00Z", "end": "2025-05-08T00:00:00Z"},  # the docs' shape
        {},
        {"dateRange": {"start": "2025-05-01T00:00:00Z"}},
        {"dateRange": {"finish": "2025-05-08T00:00:00Z"}},
        {"dateRange": {"start": 1, "finish": "2025-05-08T00:00:00Z"}},
        {"dateRange": None},
    ],
)
def test_date_range_requests_are_refused_exactly_when_the_spec_refuses_them(openapi, fresh_company_id, body):
    request = httpx.Request(
        "POST",
        f"{ORIGIN}/sandbox/codat/meta/companies/{fresh_company_id}/sync/commerce/historic",
        json=body,
        headers={"Authorization": "Basic c2FuZGJveA=="},
    )
    response = SandboxTransport().handle_request(request)
    try:
        openapi.validate_request(_mock_request(request))
        spec_accepts = True
    except RequestValidationError:
        spec_accepts = False
    assert response.status_code == (200 if spec_accepts else 400), response.text
    _validate(openapi, request, response, request_follows_spec=False)


@pytest.mark.parametrize("status", [402, 403, 429, 500, 503])
@pytest.mark.parametrize(
    "operation_id, operation",
    [
        ("get-integration-branding", lambda client, _: client.get_integration_branding("gbol")),
        ("create-company", lambda client, _: client.create_company(name="x")),
        ("list-connections", lambda client, company_id: client.list_connections(company_id)),
        ("get-latest-sync", lambda client, company_id: client.get_latest_sync(company_id)),
        ("request-sync", lambda client, company_id: client.request_sync(company_id)),
        ("request-sync-for-date-range", lambda client, company_id: client.request_sync_for_date_range(
            company_id, start=datetime(2025, 5, 1, tzinfo=timezone.utc), finish=datetime(2025, 5, 2, tzinfo=timezone.utc))),
        ("get-config-text-sync-flow", lambda client, _: client.get_config_text_sync_flow(locale="en-us")),
        ("update-config-text-sync-flow", lambda client, _: client.update_config_text_sync_flow(locale="en-us", texts={NEXT: None})),
        ("get-visible-accounts", lambda client, _: client.get_visible_accounts(client_id=CLIENT, platform_key="lqai")),
        ("update-visible-accounts-sync-flow", lambda client, _: client.update_visible_accounts_sync_flow(platform_key="lqai", visible_accounts=None)),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_injected_error_statuses_follow_the_spec(openapi, sandbox_faults, fresh_company_id, status, operation_id, operation):
    sandbox_faults.inject(operation_id, status=status)
    ((request, response),) = _exchanges(lambda client: operation(client, fresh_company_id), max_retries=0)
    assert response.status_code == status
    assert _validate(openapi, request, response)["statusCode"] == status


def test_validator_rejects_a_response_that_breaks_the_spec(openapi):
    """The contract check has teeth: a catalogue entry without its required name fails it."""
    request = MockRequest(ORIGIN, "GET", "/sandbox/codat/config/integrations", headers={"Authorization": "Basic eA=="})
    bad = {"results": [{"key": "gbol", "logoUrl": "http://x/y.png", "enabled": True}], "pageNumber": 1,
           "pageSize": 100, "totalResults": 1, "_links": {"self": {"href": "/"}, "current": {"href": "/"}}}
    with pytest.raises(InvalidData):
        openapi.validate_response(request, MockResponse(json.dumps(bad).encode(), content_type="application/json"))


def test_validator_rejects_a_connection_with_a_field_codat_does_not_define(openapi, company_id):
    """Connection forbids additional properties: a sandbox that added one would be caught."""
    ((request, response), *_) = _exchanges(lambda client: client.list_connections(company_id))
    body = json.loads(response.content)
    body["results"][0]["lastRead"] = body["results"][0]["created"]
    with pytest.raises(InvalidData):
        openapi.validate_response(
            _mock_request(request), MockResponse(json.dumps(body).encode(), content_type="application/json")
        )


@pytest.mark.parametrize(
    "body, follows",
    [
        ({NEXT: {"text": None}}, True),
        ({NEXT: {"text": ""}}, True),
        ({NEXT: {"text": "Continue", "required": True}}, True),
        ({NEXT: {"text": 42}}, False),
        ({NEXT: "Continue"}, False),  # the docs' flat form is not the spec's
    ],
)
def test_text_updates_are_checked_against_localization(openapi, body, follows):
    """Null is a text the spec allows (after reading ``nullable`` as 3.1 does); other types are not."""
    request = httpx.Request(
        "PATCH",
        f"{ORIGIN}/sandbox/codat/sync/commerce/config/ui/text",
        params={"locale": "en-us"},
        json=body,
        headers={"Authorization": "Basic c2FuZGJveA=="},
    )
    if follows:
        openapi.validate_request(_mock_request(request))
    else:
        with pytest.raises(RequestValidationError):
            openapi.validate_request(_mock_request(request))
