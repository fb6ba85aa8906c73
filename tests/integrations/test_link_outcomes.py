"""Every link attempt ends with an outcome, never a 500 and never "pending" for ever (issue 15, item 4)."""

from datetime import timedelta

import httpx
import pytest

from tests.conftest import start_link
from django.core.management import call_command
from django.utils import timezone

from integrations.codat import use_client
from integrations.codat.retry import parse_retry_after
from integrations.models import LinkAttempt
from tests.conftest import sandbox_client
from tests.factories import make_link_attempt, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def lenient_client(merchant_client):
    """A merchant's browser whose test client answers a 500 instead of raising the exception."""
    merchant_client.raise_request_exception = False
    return merchant_client


@pytest.mark.parametrize(
    "body",
    ['{"url": "http://[::1"}', '{"url": "https://sync-flow.codat.io:99999/x"}', '{"url": "https://sync-flow.codat.io\\u0000.evil/"}'],
    ids=["unclosed-bracket", "port-out-of-range", "nul-in-host"],
)
def test_an_unparsable_sync_flow_url_ends_the_attempt_as_failed(lenient_client, warm_cache, sandbox_faults, body):
    sandbox_faults.inject("get-sync-flow-url", status=200, body=body)
    response = start_link(lenient_client, {"platform_key": "gbol"})
    assert response.status_code == 502
    assert "Try again" in response.content.decode()
    attempt = LinkAttempt.objects.get()
    assert attempt.outcome == "failed" and attempt.failure_reason in ("bad_response", "untrusted_host")
    assert attempt.finished_at is not None


@pytest.mark.parametrize(
    "retry_after", ["inf", "nan", "1e400", "-inf", "Fri, 01 Jan 2099 00:00:00 GMT", "99999999999999999999"]
)
def test_an_absurd_retry_after_gives_the_error_page_and_a_clamped_header(lenient_client, warm_cache, sandbox_faults, retry_after):
    sandbox_faults.inject("get-sync-flow-url", status=429, retry_after=retry_after)
    response = start_link(lenient_client, {"platform_key": "gbol"})
    assert response.status_code == 503
    assert "Try again" in response.content.decode()
    assert 1 <= int(response.get("Retry-After", "60")) <= 60
    attempt = LinkAttempt.objects.get()
    assert (attempt.outcome, attempt.failure_reason) == ("failed", "rate_limited")


@pytest.mark.parametrize("value", ["inf", "nan", "NaN", "-inf", "1e400", "Fri, 01 Jan 2099 00:00:00 GMT", "junk"])
def test_absurd_retry_after_values_read_as_absent(value):
    assert parse_retry_after(value) is None


def test_sensible_retry_after_values_still_read():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("0") == 0.0


class ExplodingTransport(httpx.BaseTransport):
    def handle_request(self, request):
        raise RuntimeError("a bug, not Codat")


def test_an_unexpected_error_ends_the_attempt_as_failed_with_the_friendly_page(lenient_client, warm_cache, caplog):
    with use_client(sandbox_client(ExplodingTransport())):
        response = start_link(lenient_client, {"platform_key": "gbol"})
    assert response.status_code == 502
    assert "Try again" in response.content.decode() and "a bug, not Codat" not in response.content.decode()
    attempt = LinkAttempt.objects.get()
    assert (attempt.outcome, attempt.failure_reason) == ("failed", "unexpected")
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)  # the traceback is kept for us


# --- pending for ever: a killed worker ----------------------------------------------------------


def test_pending_attempts_past_the_bound_are_closed_out_at_the_merchants_next_start(merchant_client, merchant, warm_cache, settings):
    bound = settings.CODAT_HANDOFF_TIMEOUT + 60
    old = make_link_attempt(merchant, outcome="pending", started_at=timezone.now() - timedelta(seconds=bound + 1))
    recent = make_link_attempt(merchant, outcome="pending", started_at=timezone.now() - timedelta(seconds=5))
    other_merchant, _ = make_merchant()
    elsewhere = make_link_attempt(other_merchant, outcome="pending", started_at=timezone.now() - timedelta(hours=1))
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    old.refresh_from_db(), recent.refresh_from_db(), elsewhere.refresh_from_db()
    assert (old.outcome, old.failure_reason) == ("failed", "abandoned") and old.finished_at is not None
    assert recent.outcome == "pending"  # may still be running in another worker
    assert elsewhere.outcome == "pending"  # another merchant's: the command closes those


def test_the_command_closes_out_every_abandoned_attempt(merchant, settings):
    bound = settings.CODAT_HANDOFF_TIMEOUT + 60
    old = make_link_attempt(merchant, outcome="pending", started_at=timezone.now() - timedelta(seconds=bound + 1))
    recent = make_link_attempt(merchant, outcome="pending", started_at=timezone.now())
    done = make_link_attempt(merchant, outcome="redirected", started_at=timezone.now() - timedelta(days=1))
    import io

    out = io.StringIO()
    call_command("close_abandoned_link_attempts", stdout=out)
    assert "1 abandoned link attempt(s) closed" in out.getvalue()
    old.refresh_from_db(), recent.refresh_from_db(), done.refresh_from_db()
    assert (old.outcome, old.failure_reason) == ("failed", "abandoned")
    assert recent.outcome == "pending" and done.outcome == "redirected"
