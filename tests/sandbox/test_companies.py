"""create-company and list-companies, validated as Codat's spec says."""

import uuid

import pytest

from codat_sandbox import api
from codat_sandbox.models import SandboxCompany
from tests.sandbox.conftest import AUTH, ORIGIN, call, start

pytestmark = pytest.mark.django_db


def test_create_company_answers_codats_company():
    response, body = call(
        "/companies",
        method="POST",
        body={"name": "Bean & Leaf, Ltd.", "description": "merchant 42", "tags": {"portalMerchant": "42"}},
    )
    assert response.status == 200
    assert uuid.UUID(body["id"])
    assert (body["name"], body["description"], body["tags"], body["products"]) == (
        "Bean & Leaf, Ltd.",
        "merchant 42",
        {"portalMerchant": "42"},
        [],
    )
    assert body["redirect"] == f"{ORIGIN}/sandbox/link/company/{body['id']}"
    assert body["created"].endswith("Z")
    company = SandboxCompany.objects.get(pk=body["id"])
    assert company.merchant_identifier is None  # made through the API, not by a Sync Flow start
    assert (company.configuration.configured, company.configuration.enable) == (False, False)


def test_description_and_tags_are_optional():
    response, body = call("/companies", method="POST", body={"name": "Plain"})
    assert response.status == 200
    assert (body["description"], body["tags"]) == ("", {})


LONG_KEY = "k" * 28
ELEVEN_TAGS = {f"tag{n}": "v" for n in range(11)}


@pytest.mark.parametrize(
    "body, item",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"name": "Bean <script>"}, "name"),
        ({"name": "Bean & Leaf #42"}, "name"),  # '#' is not in Codat's pattern
        ({"name": "Café"}, "name"),
        ({"name": "ok", "description": None}, "description"),
        ({"name": "ok", "tags": ["a"]}, "tags"),
        ({"name": "ok", "tags": ELEVEN_TAGS}, "tags"),
        ({"name": "ok", "tags": {"": "v"}}, "tags"),
        ({"name": "ok", "tags": {LONG_KEY: "v"}}, "tags"),
        ({"name": "ok", "tags": {"k": "v" * 101}}, "tags"),
        ({"name": "ok", "tags": {"k": 1}}, "tags"),
        (["name"], "body"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_create_company_refuses_what_the_spec_refuses(body, item):
    response, error = call("/companies", method="POST", body=body)
    assert response.status == 400
    assert error["statusCode"] == 400 and error["service"] == "PublicApi"
    assert error["validation"]["errors"][0]["itemId"] == item
    assert error["validation"]["errors"][0]["message"] in error["error"]
    assert not SandboxCompany.objects.exists()


def test_the_limits_themselves_are_allowed():
    tags = {("k" * 26 + str(n))[-27:]: "v" * 100 for n in range(10)}
    response, body = call("/companies", method="POST", body={"name": "A-b's, c&d @e. f? g!", "tags": tags})
    assert response.status == 200 and body["tags"] == tags


def test_create_company_refuses_a_body_that_is_not_json():
    response = api.handle(api.SandboxRequest("POST", "/sandbox/codat/companies", {}, AUTH, ORIGIN, body=b"{name"))
    assert response.status == 400 and b"not valid JSON" in response.body


def test_list_companies_pages_like_list_integrations():
    ids = [call("/companies", method="POST", body={"name": f"Merchant {n}"})[1]["id"] for n in range(5)]
    first = call("/companies", {"page": "1", "pageSize": "2"})[1]
    assert [c["id"] for c in first["results"]] == ids[:2]
    assert (first["pageNumber"], first["pageSize"], first["totalResults"]) == (1, 2, 5)
    assert first["_links"]["self"] == {"href": "/companies"}
    assert first["_links"]["current"] == {"href": "/companies?page=1&pageSize=2"}
    assert first["_links"]["next"] == {"href": "/companies?page=2&pageSize=2"}
    assert "previous" not in first["_links"]
    last = call("/companies", {"page": "3", "pageSize": "2"})[1]
    assert [c["id"] for c in last["results"]] == ids[4:]
    assert "next" not in last["_links"] and last["_links"]["previous"] == {"href": "/companies?page=2&pageSize=2"}


def test_list_companies_includes_companies_a_sync_flow_start_created():
    start(merchant_identifier="Bean & Leaf, Ltd. #42")
    (listed,) = call("/companies")[1]["results"]
    assert listed["name"] == "Bean & Leaf, Ltd. 42"  # stripped of what Codat's names refuse


@pytest.mark.parametrize("params", [{"page": "0"}, {"pageSize": "5001"}, {"page": "x"}])
def test_list_companies_refuses_bad_paging(params):
    response, body = call("/companies", params)
    assert response.status == 400 and body["service"] == "ClientsApi"


def test_faults_apply_to_the_new_operations_by_operation_id(sandbox_faults):
    sandbox_faults.inject("create-company", status=402, times=1)
    sandbox_faults.inject("list-companies", status=429, retry_after="1", times=1)
    assert call("/companies", method="POST", body={"name": "x"})[0].status == 402
    limited = call("/companies")[0]
    assert limited.status == 429 and limited.headers["Retry-After"] == "1"
    assert call("/companies", method="POST", body={"name": "x"})[0].status == 200
    assert sandbox_faults.call_counts() == {"create-company": 2, "list-companies": 1}
