"""The client's retry table, over real HTTP against the sandbox served by a live server.

Each row: what the sandbox does, which exception the client raises, how many
requests it sends, the waits it asks for between them, and how long it may
take (at least, where real time is the point: read timeouts). Waits go to an
injected ``sleep`` that records instead of sleeping, so the table asserts the
exact waits asked for and still runs in about a second.
"""

import socket
import time

import httpx
import pytest

from integrations.codat import (
    CodatAuthError,
    CodatClient,
    CodatConnectionError,
    CodatNotFoundError,
    CodatRateLimitedError,
    CodatResponseError,
    CodatServerError,
    CodatTimeoutError,
)
from tests.conftest import SANDBOX_KEY, CountingTransport

pytestmark = pytest.mark.django_db(transaction=True)

HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
READ_TIMEOUT = 0.25
BACKOFF_BASE, BACKOFF_MAX = 0.5, 4.0
BACKOFF = "backoff"  # each wait within its jittered bound, see assert_backoff

FAULT_TABLE = [
    # id, fault (None: nothing listening), exception, requests sent, waits, max seconds, min seconds
    ("timeout", dict(latency_ms=800), CodatTimeoutError, 3, BACKOFF, 2.0, 3 * READ_TIMEOUT),
    ("connection-refused", None, CodatConnectionError, 3, BACKOFF, 1.0, 0.0),
    ("401", dict(status=401), CodatAuthError, 1, [], 0.5, 0.0),
    ("404", dict(status=404), CodatNotFoundError, 1, [], 0.5, 0.0),
    ("429-retry-after-within-cap", dict(status=429, retry_after="1"), CodatRateLimitedError, 3, [1.0, 1.0], 0.5, 0.0),
    ("429-retry-after-over-cap", dict(status=429, retry_after="120"), CodatRateLimitedError, 1, [], 0.5, 0.0),
    ("429-no-retry-after", dict(status=429), CodatRateLimitedError, 3, BACKOFF, 0.5, 0.0),
    ("500", dict(status=500), CodatServerError, 3, BACKOFF, 0.5, 0.0),
    ("503", dict(status=503), CodatServerError, 3, BACKOFF, 0.5, 0.0),
    ("malformed-json", dict(status=200, body='{"results": [', content_type="application/json"), CodatResponseError, 1, [], 0.5, 0.0),
    ("html-error-page", dict(status=502, body=HTML, content_type="text/html"), CodatServerError, 3, BACKOFF, 0.5, 0.0),
    ("html-with-200", dict(status=200, body=HTML, content_type="text/html"), CodatResponseError, 1, [], 0.5, 0.0),
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _client(base_url: str, transport: CountingTransport, waits: list[float]) -> CodatClient:
    return CodatClient(
        base_url=base_url,
        api_key=SANDBOX_KEY,
        connect_timeout=0.5,
        read_timeout=READ_TIMEOUT,
        max_retries=2,
        retry_after_cap=3.0,
        backoff_base=BACKOFF_BASE,
        backoff_max=BACKOFF_MAX,
        transport=transport,
        sleep=waits.append,
    )


def assert_backoff(waits: list[float]) -> None:
    """Retry n waits between half and all of min(max, base * 2**n): jittered, growing, capped."""
    for retry_number, wait in enumerate(waits):
        ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2**retry_number)
        assert ceiling / 2 <= wait <= ceiling, (retry_number, wait)


@pytest.mark.parametrize(
    "fault, exception, sent, expected_waits, at_most, at_least",
    [row[1:] for row in FAULT_TABLE],
    ids=[row[0] for row in FAULT_TABLE],
)
def test_fault_table(live_server, sandbox_faults, fault, exception, sent, expected_waits, at_most, at_least):
    if fault is None:
        base_url = f"http://127.0.0.1:{_closed_port()}/sandbox/codat"
    else:
        base_url = f"{live_server.url}/sandbox/codat"
        sandbox_faults.inject("get-integration-branding", **fault)
    transport = CountingTransport(httpx.HTTPTransport())
    waits: list[float] = []
    started = time.monotonic()
    with pytest.raises(exception) as caught:
        _client(base_url, transport, waits).get_integration_branding("gbol")
    elapsed = time.monotonic() - started
    assert transport.total == sent
    if expected_waits == BACKOFF:
        assert len(waits) == sent - 1
        assert_backoff(waits)
    else:
        assert waits == expected_waits
    assert at_least <= elapsed <= at_most, f"took {elapsed:.2f}s"
    assert SANDBOX_KEY not in str(caught.value).replace("sandbox/", "")
    if fault and fault.get("status", 200) >= 400 and fault.get("content_type") != "text/html":
        assert caught.value.status == fault["status"]
        assert len(caught.value.correlation_id) == 32
        assert caught.value.correlation_id in str(caught.value)


def test_transient_503_recovers_on_retry(live_server, sandbox_faults):
    sandbox_faults.inject("get-integration-branding", status=503, times=1)
    transport = CountingTransport(httpx.HTTPTransport())
    waits: list[float] = []
    branding = _client(f"{live_server.url}/sandbox/codat", transport, waits).get_integration_branding("gbol")
    assert branding.logo("full").alt == "xero full icon"
    assert transport.total == 2
    assert len(waits) == 1
    assert_backoff(waits)


def test_html_error_page_keeps_the_evidence(live_server, sandbox_faults):
    sandbox_faults.inject("get-integration-branding", status=502, body=HTML, content_type="text/html")
    transport = CountingTransport(httpx.HTTPTransport())
    with pytest.raises(CodatServerError) as caught:
        _client(f"{live_server.url}/sandbox/codat", transport, []).get_integration_branding("gbol")
    assert caught.value.status == 502
    assert "502 Bad Gateway" in caught.value.body
