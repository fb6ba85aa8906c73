"""The Codat client against the in-process sandbox: operations, paging, auth, secrets."""

import base64
import email.utils
import random
import time

import pytest

from integrations.codat import (
    CodatAuthError,
    CodatNotFoundError,
    CodatRateLimitedError,
    CodatResponseError,
    CodatServerError,
    CodatTimeoutError,
)
from integrations.codat.retry import backoff_delay, parse_retry_after
from codat_sandbox.data import PLATFORMS
from tests.conftest import CountingTransport, sandbox_client

pytestmark = pytest.mark.django_db


def test_list_integrations_follows_paging_to_the_end():
    transport = CountingTransport()
    everything = sandbox_client(transport, page_size=4).list_integrations()
    assert [i.key for i in everything] == [platform.key for platform in PLATFORMS]  # 14, in order
    assert transport.total == 4  # pages of 4, 4, 4, 2
    pages = [dict(request.url.params) for request in transport.requests]
    assert [page["page"] for page in pages] == ["1", "2", "3", "4"]
    assert all(page["pageSize"] == "4" for page in pages)


def test_list_integrations_passes_the_query_filter():
    found = sandbox_client().list_integrations(query="sourceType=Accounting && enabled=false")
    assert [(i.key, i.enabled) for i in found] == [("tgff", False)]


def test_integration_fields_are_parsed():
    xero = {i.key: i for i in sandbox_client().list_integrations()}["gbol"]
    assert (xero.name, xero.enabled, xero.source_type, xero.is_beta) == ("Xero", True, "Accounting", False)
    assert xero.logo_url.endswith("/sandbox/logos/gbol-square.png")


def test_branding_gives_typed_logos():
    branding = sandbox_client().get_integration_branding("gbol")
    full = branding.logo("full")
    assert full.alt == "xero full icon"
    assert full.src.endswith("/sandbox/logos/gbol-full.png")
    assert branding.logo("nonexistent") is None


def test_unknown_branding_key_is_not_found_with_codat_evidence():
    with pytest.raises(CodatNotFoundError) as caught:
        sandbox_client().get_integration_branding("zzzz")
    error = caught.value
    assert error.status == 404
    assert len(error.correlation_id) == 32
    assert error.correlation_id in str(error) and "404" in str(error)


def test_sync_flow_url_is_minted_with_merchant_and_redirect():
    transport = CountingTransport()
    before = time.monotonic()
    minted = sandbox_client(transport).get_sync_flow_url(
        commerce_key="lqai",
        accounting_key="gbol",
        merchant_identifier="Bean & Leaf, Ltd. #42",
        redirect_url="https://portal.example/link/return/",
    )
    sent = transport.requests[0]
    assert sent.url.path == "/sandbox/codat/config/sync/commerce/lqai/gbol/start"
    assert sent.url.params["merchantIdentifier"] == "Bean & Leaf, Ltd. #42"
    assert sent.url.params["redirectUrl"] == "https://portal.example/link/return/"
    assert "/sandbox/sync-flow/" in minted.url and "otp=" in minted.url
    assert before <= minted.requested_at <= time.monotonic()
    assert "otp" not in repr(minted)


def test_requests_carry_basic_auth_of_the_key_and_our_user_agent():
    transport = CountingTransport()
    sandbox_client(transport).get_integration_branding("gbol")
    headers = transport.requests[0].headers
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"sandbox").decode()
    assert headers["User-Agent"].startswith("commerce-portal/")


def test_logo_fetch_sends_no_api_key():
    transport = CountingTransport()
    client = sandbox_client(transport)
    src = client.get_integration_branding("gbol").logo("square").src
    content_type, data = client.get_image(src, max_bytes=512 * 1024)
    assert content_type == "image/png" and data.startswith(b"\x89PNG")
    assert "Authorization" not in transport.requests[-1].headers


def test_wrong_key_is_an_auth_error_that_never_shows_the_key():
    client = sandbox_client(api_key="not-the-sandbox-key-s3cret")
    with pytest.raises(CodatAuthError) as caught:
        client.list_integrations()
    assert caught.value.status == 401
    assert "s3cret" not in str(caught.value) and "s3cret" not in repr(caught.value)
    assert "s3cret" not in repr(client)


def test_oversized_image_is_refused_while_streaming(sandbox_faults):
    sandbox_faults.inject("branding-image", content_type="image/png", body="\x89PNG", body_size=4096)
    with pytest.raises(CodatResponseError, match="larger than 1000 bytes"):
        sandbox_client().get_image("http://codat-sandbox.internal/sandbox/logos/gbol-full.png", max_bytes=1000)


def test_in_process_latency_past_the_read_timeout_is_a_timeout(sandbox_faults):
    sandbox_faults.inject("list-integrations", latency_ms=400)
    client = sandbox_client(read_timeout=0.1, max_retries=0)
    started = time.monotonic()
    with pytest.raises(CodatTimeoutError):
        client.list_integrations()
    assert time.monotonic() - started < 0.35


def test_deadline_stops_retries_that_could_not_finish_in_time(sandbox_faults):
    sandbox_faults.inject("get-sync-flow-url", status=503)
    transport = CountingTransport()
    client = sandbox_client(transport, backoff_base=1.0, backoff_max=1.0)  # waits of 0.5-1 s
    started = time.monotonic()
    with pytest.raises(CodatServerError):
        client.get_sync_flow_url(
            commerce_key="lqai", accounting_key="gbol", merchant_identifier="m", deadline=time.monotonic() + 0.4
        )
    assert transport.total == 1  # a retry could not have started before the deadline
    assert time.monotonic() - started < 0.4


def test_deadline_already_passed_sends_nothing():
    transport = CountingTransport()
    with pytest.raises(CodatTimeoutError):
        sandbox_client(transport).get_sync_flow_url(
            commerce_key="lqai", accounting_key="gbol", merchant_identifier="m", deadline=time.monotonic() - 1
        )
    assert transport.total == 0


@pytest.mark.parametrize(
    "header, expected",
    [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("", None), ("soon", None), (None, None)],
)
def test_retry_after_seconds(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_http_date():
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(7, abs=1)


def test_backoff_is_jittered_within_bounds():
    rng = random.Random(7)
    delays = [backoff_delay(n, base=0.5, cap=4.0, rng=rng) for n in range(6) for _ in range(50)]
    assert min(delays) >= 0.25 and max(delays) <= 4.0
    first = [backoff_delay(0, base=0.5, cap=4.0, rng=rng) for _ in range(50)]
    assert len(set(first)) > 40 and all(0.25 <= d <= 0.5 for d in first)


# --- retries: the waits asked for, recorded instead of slept ----------------------------------


def test_retry_after_within_the_cap_is_honoured_exactly(sandbox_faults):
    sandbox_faults.inject("list-integrations", status=429, retry_after="2", times=2)
    transport, waits = CountingTransport(), []
    client = sandbox_client(transport, retry_after_cap=3.0, sleep=waits.append)
    started = time.monotonic()
    assert client.list_integrations()
    assert waits == [2.0, 2.0] and transport.total == 3
    assert time.monotonic() - started < 1.0  # asked to wait 4 s, slept none of it


def test_retry_after_past_the_cap_fails_fast_without_waiting(sandbox_faults):
    sandbox_faults.inject("list-integrations", status=429, retry_after="30")
    transport, waits = CountingTransport(), []
    with pytest.raises(CodatRateLimitedError) as caught:
        sandbox_client(transport, retry_after_cap=3.0, sleep=waits.append).list_integrations()
    assert caught.value.retry_after == 30.0
    assert waits == [] and transport.total == 1


def test_backoff_waits_grow_within_their_jittered_bounds(sandbox_faults):
    sandbox_faults.inject("get-integration-branding", status=503)
    transport, waits = CountingTransport(), []
    client = sandbox_client(transport, backoff_base=0.5, backoff_max=4.0, max_retries=2, sleep=waits.append)
    with pytest.raises(CodatServerError):
        client.get_integration_branding("gbol")
    assert transport.total == 3
    first, second = waits
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


def test_backoff_is_capped(sandbox_faults):
    sandbox_faults.inject("get-integration-branding", status=500)
    waits = []
    client = sandbox_client(backoff_base=3.0, backoff_max=4.0, max_retries=3, sleep=waits.append)
    with pytest.raises(CodatServerError):
        client.get_integration_branding("gbol")
    assert len(waits) == 3 and all(1.5 <= wait <= 4.0 for wait in waits)
    assert all(2.0 <= wait <= 4.0 for wait in waits[1:])  # ceilings 6 and 12, capped at 4


@pytest.mark.parametrize(
    "fault, exception",
    [
        (dict(status=503), CodatServerError),
        (dict(status=500), CodatServerError),
        (dict(status=429, retry_after="1"), CodatRateLimitedError),
        (dict(latency_ms=300), CodatTimeoutError),
    ],
    ids=["503", "500", "429-retry-after", "timeout"],
)
def test_create_company_is_never_retried(sandbox_faults, fault, exception):
    """A POST whose answer was lost may have created the company: sending it again could make a twin."""
    sandbox_faults.inject("create-company", **fault)
    transport, waits = CountingTransport(), []
    client = sandbox_client(transport, max_retries=2, read_timeout=0.1, sleep=waits.append)
    with pytest.raises(exception):
        client.create_company(name="Bean & Leaf")
    assert transport.total == 1 and waits == []
    assert sandbox_faults.calls("create-company") == 1


# --- Codat's JSON answers are capped while streaming (issue 15, item 5) ---------------------------


def test_a_json_answer_over_the_cap_is_refused_while_streaming(sandbox_faults):
    from integrations.codat import CodatResponseError
    from tests.conftest import sandbox_client

    sandbox_faults.inject("get-integration-branding", status=200, body='{"x": "', body_size=50_000)
    client = sandbox_client(max_response_bytes=10_000, max_retries=0)
    with pytest.raises(CodatResponseError, match="larger than 10000 bytes"):
        client.get_integration_branding("gbol")


def test_the_response_cap_comes_from_settings_with_a_few_megabytes_by_default(settings):
    from integrations.codat.factory import build_client

    assert 1_000_000 <= settings.CODAT_MAX_RESPONSE_BYTES <= 16_000_000
    settings.CODAT_MAX_RESPONSE_BYTES = 1234
    assert build_client().max_response_bytes == 1234
