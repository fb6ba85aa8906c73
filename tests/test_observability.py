"""A line per request and per Codat call, with a request id, JSON on demand, secrets scrubbed."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commerce_portal.logging import RedactSecretsFilter, redact

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "text, expected",
    [
        ("GET /sandbox/sync-flow/x/start?merchantIdentifier=m&otp=123456&redirectUrl=y",
         "GET /sandbox/sync-flow/x/start?merchantIdentifier=m&otp=[redacted]&redirectUrl=y"),
        ("Authorization: Basic c2FuZGJveA==", "Authorization: Basic [redacted]"),
        ("token Bearer abc.def-ghi", "token Bearer [redacted]"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_redaction_covers_tracebacks():
    try:
        raise ValueError("https://sync-flow.codat.io/x/start?otp=654321")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed %s", ("otp=111111",), sys.exc_info())
    RedactSecretsFilter().filter(record)
    assert "654321" not in record.exc_text and "111111" not in record.getMessage()


@pytest.mark.django_db
def test_every_request_gets_an_id_and_one_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="commerce_portal.request")
    response = client.get("/accounts/login/?next=/&otp=999999")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    (line,) = [r for r in caplog.records if r.name == "commerce_portal.request"]
    assert line.getMessage().startswith("GET /accounts/login/ 200 ")
    assert "999999" not in line.getMessage()
    assert (line.http_method, line.path, line.status) == ("GET", "/accounts/login/", 200)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming, kept", [("pos-req-0001-abcdef", True), ("bad id\nwith newline", False), ("x" * 100, False)]
)
def test_upstream_request_id_is_kept_only_if_safe(client, incoming, kept):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert (response["X-Request-ID"] == incoming) is kept


@pytest.mark.django_db
def test_codat_calls_are_logged_with_operation_status_duration_and_correlation_id(counting, sandbox_faults, caplog):
    from integrations.codat import get_codat_client

    caplog.set_level(logging.INFO, logger="integrations.codat")
    sandbox_faults.inject("get-integration-branding", status=503, times=1)
    get_codat_client().get_integration_branding("gbol")
    failed, succeeded = [r for r in caplog.records if r.name == "integrations.codat"]
    assert (failed.codat_operation, failed.status, failed.retry) == ("get-integration-branding", 503, 0)
    assert len(failed.correlation_id) == 32 and failed.correlation_id in failed.getMessage()
    assert (succeeded.status, succeeded.retry) == (200, 1) and succeeded.duration_ms >= 0


def run_with_json_logs(code: str) -> str:
    """Run ``code`` in a fresh Django process with LOG_FORMAT=json; its stderr."""
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "commerce_portal.settings"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    ).stderr


def test_json_logs_never_print_the_request_query_string():
    stderr = run_with_json_logs(
        "import django; django.setup();"
        "from django.test import Client;"
        "Client(HTTP_HOST='localhost').get('/sandbox/sync-flow/00000000-0000-0000-0000-000000000000/lqai/gbol/start?otp=424242')"
    )
    lines = [json.loads(line) for line in stderr.strip().splitlines() if line.startswith("{")]
    warning = next(line for line in lines if line["logger"] == "django.request")
    assert warning["request"] == "GET /sandbox/sync-flow/00000000-0000-0000-0000-000000000000/lqai/gbol/start"
    assert "424242" not in stderr


def test_json_logs_when_asked():
    stderr = run_with_json_logs(
        "import django, logging; django.setup();"
        "logging.getLogger('integrations.codat').info('codat %s otp=123456', 'get-sync-flow-url',"
        " extra={'codat_operation': 'get-sync-flow-url', 'status': 200, 'duration_ms': 12.5})"
    )
    line = json.loads(stderr.strip().splitlines()[-1])
    assert line["level"] == "INFO" and line["logger"] == "integrations.codat"
    assert line["codat_operation"] == "get-sync-flow-url" and line["status"] == 200
    assert line["message"] == "codat get-sync-flow-url otp=[redacted]"
    assert "request_id" in line
