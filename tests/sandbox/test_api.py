"""The emulated Codat API: auth, routing, paging, query, errors, logos, faults."""

import io
import time

import pytest
from PIL import Image

from codat_sandbox.data import PLATFORMS
from codat_sandbox.models import Call
from tests.sandbox.conftest import call

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Basic bm9wZQ=="}, {"authorization": "Bearer c2FuZGJveA=="}, {"authorization": "Basic !!!"}],
    ids=["missing", "wrong-key", "wrong-scheme", "not-base64"],
)
def test_bad_auth_is_401_with_codats_error_body(headers):
    response, body = call("/sandbox/codat/config/integrations", headers=headers)
    assert response.status == 401
    assert body["statusCode"] == 401 and body["error"] == "Unauthorized"
    assert body["canBeRetried"] == "Unknown" and body["detailedErrorCode"] == 0


def test_the_key_is_configurable(settings):
    settings.CODAT_SANDBOX_API_KEY = "another key"
    assert call("/sandbox/codat/config/integrations")[0].status == 401
    assert call("/sandbox/codat/config/integrations", headers={"authorization": "Basic YW5vdGhlciBrZXk="})[0].status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/sandbox/codat/meta/companies",  # v1's path: not this product
        "/sandbox/codat/companies/8a210b68-6988-11ed-a1eb-0242ac120002/sync/commerce/syncs/"
        "6fb40d5e-b13e-11ed-afa1-0242ac120002/status",  # get-sync-by-id: not emulated
        "/sandbox/elsewhere",
    ],
)
def test_unimplemented_paths_are_404(path):
    response, body = call(path)
    assert response.status == 404 and body["statusCode"] == 404
    assert Call.objects.get().operation == "unknown"


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("POST", "/sandbox/codat/config/integrations", "GET"),
        ("DELETE", "/sandbox/codat/companies", "GET, POST"),
        ("PUT", "/sandbox/codat/companies", "GET, POST"),
        ("POST", "/sandbox/codat/companies/8a210b68-6988-11ed-a1eb-0242ac120002/connections", "GET"),
    ],
)
def test_other_methods_on_known_paths_are_405(method, path, allowed):
    response, body = call(path, method=method)
    assert response.status == 405 and body["statusCode"] == 405
    assert response.headers["Allow"] == allowed


def test_405_still_needs_the_key():
    assert call("/sandbox/codat/companies", method="DELETE", headers={})[0].status == 401


def test_operations_are_dispatched_by_method_and_logged_by_operation_id():
    call("/sandbox/codat/companies", method="POST", body={"name": "Bean & Leaf"})
    call("/sandbox/codat/companies")
    assert list(Call.objects.order_by("id").values_list("operation", "status")) == [
        ("create-company", 200),
        ("list-companies", 200),
    ]


def test_paging_links_and_totals():
    response, body = call("/sandbox/codat/config/integrations", {"page": "2", "pageSize": "5"})
    assert response.status == 200
    assert [item["key"] for item in body["results"]] == [p.key for p in PLATFORMS[5:10]]
    assert (body["pageNumber"], body["pageSize"], body["totalResults"]) == (2, 5, len(PLATFORMS))
    links = body["_links"]
    assert links["self"] == {"href": "/config/integrations"}
    assert links["current"] == {"href": "/config/integrations?page=2&pageSize=5"}
    assert links["next"] == {"href": "/config/integrations?page=3&pageSize=5"}
    assert links["previous"] == {"href": "/config/integrations?page=1&pageSize=5"}
    last = call("/sandbox/codat/config/integrations", {"page": "3", "pageSize": "5"})[1]
    assert "next" not in last["_links"] and len(last["results"]) == len(PLATFORMS) - 10


@pytest.mark.parametrize("params", [{"page": "0"}, {"pageSize": "5001"}, {"page": "two"}])
def test_bad_paging_is_400(params):
    response, body = call("/sandbox/codat/config/integrations", params)
    assert response.status == 400 and body["service"] == "ClientsApi"


@pytest.mark.parametrize(
    "query, keys",
    [
        ("key=gbol", ["gbol"]),
        ("name~quickbooks", ["qhyg"]),
        ("sourceType=Banking", ["dfxm"]),
        ("enabled=false", ["tgff"]),
        ("sourceType=Accounting && isBeta=true", ["pbbf"]),
        ("{key=gbol || key=qhyg} && enabled=true", ["qhyg", "gbol"]),
        ("sourceType!=Commerce && sourceType!=Accounting", ["dfxm"]),
    ],
)
def test_query_filter(query, keys):
    response, body = call("/sandbox/codat/config/integrations", {"query": query})
    assert response.status == 200
    assert [item["key"] for item in body["results"]] == keys
    assert body["totalResults"] == len(keys)


@pytest.mark.parametrize(
    "query, message",
    [
        ("colour=blue", "Error parsing query - Could not resolve property colour on Integration"),
        ("key=gbol &&", "Error parsing query - Malformed query."),
        ("{key=gbol", "Error parsing query - Malformed query."),
        ("enabled=maybe", "Error parsing query - Malformed query."),
    ],
)
def test_bad_query_is_400_malformed(query, message):
    response, body = call("/sandbox/codat/config/integrations", {"query": query})
    assert response.status == 400 and body["error"] == message


def test_order_by():
    body = call("/sandbox/codat/config/integrations", {"orderBy": "-name", "pageSize": "3"})[1]
    names = sorted((p.name for p in PLATFORMS), key=str.lower, reverse=True)[:3]
    assert [item["name"] for item in body["results"]] == names


def test_branding_points_at_real_images_served_by_the_sandbox():
    body = call("/sandbox/codat/config/integrations/gbol/branding")[1]
    src = body["logo"]["full"]["image"]["src"]
    assert src == "http://portal.test/sandbox/logos/gbol-full.png"
    assert body["sourceId"] == "8a156a5a-39cb-4f9d-856e-76ef9b9a9607"
    logo, data = call(src.removeprefix("http://portal.test"), headers={})
    assert logo.status == 200 and logo.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (360, 96)


def test_svg_logos_are_served_as_svg():
    body = call("/sandbox/codat/config/integrations/fbrh/branding")[1]
    logo, data = call(body["logo"]["square"]["image"]["src"].removeprefix("http://portal.test"), headers={})
    assert logo.headers["Content-Type"] == "image/svg+xml" and data.startswith(b"<svg")


def test_unknown_keys():
    assert call("/sandbox/codat/config/integrations/zzzz/branding")[0].status == 404
    assert call("/sandbox/codat/config/sync/commerce/lqai/zzzz/start")[0].status == 404
    # keys on the wrong side of the hand-off are unknown there
    assert call("/sandbox/codat/config/sync/commerce/gbol/lqai/start")[0].status == 404
    assert call("/sandbox/logos/../settings.py", headers={})[0].status == 404


def test_coming_soon_platform_cannot_start():
    response, body = call("/sandbox/codat/config/sync/commerce/lqai/tgff/start", {"merchantIdentifier": "m"})
    assert response.status == 400 and "not enabled" in body["error"]


def test_fault_with_count_is_used_up_and_calls_are_logged(sandbox_faults):
    sandbox_faults.inject("list-integrations", status=503, retry_after="2", times=2)
    statuses = [call("/sandbox/codat/config/integrations")[0] for _ in range(3)]
    assert [r.status for r in statuses] == [503, 503, 200]
    assert statuses[0].headers["Retry-After"] == "2"
    assert sandbox_faults.calls("list-integrations") == 3
    assert list(Call.objects.values_list("status", flat=True)) == [503, 503, 200]


def test_latency_fault_is_the_whole_answer_time_the_sandboxs_work_included(sandbox_faults):
    sandbox_faults.inject("*", latency_ms=250, times=1)
    started = time.monotonic()
    held = call("/sandbox/codat/config/integrations/gbol/branding")[0].delay
    worked = time.monotonic() - started
    assert 0 < held < 0.25 and held + worked == pytest.approx(0.25, abs=0.005)  # answered 250 ms after arriving
    assert call("/sandbox/codat/config/integrations/gbol/branding")[0].delay == 0


def test_unknown_fault_fields_are_refused(sandbox_faults):
    with pytest.raises(TypeError):
        sandbox_faults.inject("list-integrations", explode=True)
