"""A line per request and per Codat call, with a request id, JSON on demand, secrets scrubbed."""

import json
import logging
import logging.config
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


# --- log lines cannot be forged (issue 15, item 6) ----------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/a\nb", "/a\\nb"),
        ("/a\r\nFORGED", "/a\\r\\nFORGED"),
        ("/esc\x1b[31mred", "/esc\\x1b[31mred"),
        ("/nul\x00del\x7f", "/nul\\x00del\\x7f"),
        ("/line\u2028sep\u0085next", "/line\\u2028sep\\x85next"),
        ("/bidi\u202egnp.exe", "/bidi\\u202egnp.exe"),
        ("/caf\u00e9 ok/ünïcødé", "/caf\u00e9 ok/ünïcødé"),
    ],
)
def test_control_characters_are_escaped(value, expected):
    from commerce_portal.log_escape import escape_controls

    assert escape_controls(value) == expected


@pytest.mark.django_db
def test_a_newline_in_a_path_cannot_forge_a_line_in_our_text_logs(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/nowhere%0A2026-01-01 00:00:00,000 INFO django.security [-] admin logged in")
    from django.conf import settings

    text_formatter = _configured_formatter(settings.LOGGING, "text")
    lines = "\n".join(text_formatter.format(record) for record in caplog.records).splitlines()
    assert lines and not [line for line in lines if "admin logged in" in line and line.startswith("2026-01-01")]
    assert any("/nowhere\\n2026-01-01" in line for line in lines)


def _configured_formatter(config: dict, name: str) -> logging.Formatter:
    spec = dict(config["formatters"][name])
    factory = spec.pop("()", None)
    if factory:
        from django.utils.module_loading import import_string

        return import_string(factory)(**{("fmt" if k == "format" else k): v for k, v in spec.items()})
    return logging.Formatter(spec["format"])


@pytest.mark.multiprocess
@pytest.mark.django_db(transaction=True)
def test_gunicorns_access_log_and_ours_escape_a_forged_line():
    import socket

    from tests.servers import gunicorn, shared_env

    logs: list[Path] = []
    with gunicorn(shared_env(CACHE_URL="locmemcache://"), log_paths=logs) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"GET /forged%0A127.0.0.1%20[01/Jan/2026:00:00:00%20+0000]%20%22GET%20/admin/%20HTTP/1.1%22%20200 HTTP/1.1\r\n"
                b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            while sock.recv(65536):
                pass
        log = _wait_for(logs[0], "/forged", count=2)
    lines = log.splitlines()
    assert any("/forged\\n127.0.0.1" in line for line in lines), log[-2000:]
    assert not [line for line in lines if line.startswith("127.0.0.1 [01/Jan/2026")]
    # ours (commerce_portal.request) and gunicorn's access line both carry the escaped path
    assert len([line for line in lines if "/forged\\n127.0.0.1" in line]) >= 2


def _wait_for(path: Path, fragment: str, *, count: int, timeout: float = 10) -> str:
    """The log once ``fragment`` appears ``count`` times in it (gunicorn writes its access line after the answer)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text(errors="replace")
        if text.count(fragment) >= count or time.monotonic() > deadline:
            return text
        time.sleep(0.05)
