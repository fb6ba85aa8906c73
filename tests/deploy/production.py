"""Production-like environments for the deploy tests, and a fresh Django process to run them in."""

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "portal.example.com"
# Names the settings read; the developer's own values must not leak into a production run.
_SETTING_PREFIXES = ("CODAT_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_", "FRAME_ANCESTORS", "SECURE_", "DJANGO_")


def production_env(**overrides: str) -> dict[str, str]:
    """What an operator sets for a live deployment: DEBUG is off because CODAT_API_KEY is set."""
    return {
        "CODAT_API_KEY": "live-key-for-deploy-tests",
        "CODAT_CONNECTOR_KEY": "lqai",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "CODAT_WEBHOOK_SECRETS": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        **overrides,
    }


def host_env(**env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_SETTING_PREFIXES)}
    return {**base, "DJANGO_SETTINGS_MODULE": "commerce_portal.settings", **env}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=host_env(**env), capture_output=True, text=True, timeout=60
    )


_DJANGO_GET = (
    "import json, os, sys, django\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'commerce_portal.settings'); django.setup()\n"
    "from django.test import Client\n"
    "path, headers = json.loads(sys.argv[1])\n"
    "r = Client(raise_request_exception=True).get(path, headers=headers)\n"
    "print(json.dumps({'status': r.status_code, 'headers': dict(r.headers), 'body': r.content.decode()}))\n"
)


def django_get_argv(path: str, headers: dict[str, str] | None = None) -> list[str]:
    """A `python -c` that GETs path through Django's test client and prints status, headers, body as JSON.

    Settings are read once per process, so each environment needs its own. Exceptions are
    raised, not turned into a 500, so a traceback can never pass for an answer.
    """
    return ["python", "-c", _DJANGO_GET, json.dumps([path, {"Host": HOST, **(headers or {})}])]


def django_get(path: str, *, headers: dict[str, str] | None = None, **env: str) -> subprocess.CompletedProcess:
    """django_get_argv, run from the source tree with this interpreter."""
    argv = [sys.executable, *django_get_argv(path, headers)[1:]]
    return subprocess.run(argv, cwd=ROOT, env=host_env(**env), capture_output=True, text=True, timeout=60)


def last_json_line(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in directives}


def assert_secure_page_headers(headers: dict[str, str], *, framed_by: list[str]) -> None:
    """What every HTML page must carry in production; headers' names in lower case."""
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    csp = csp_directives(headers["content-security-policy"])
    script_src = csp.get("script-src", csp["default-src"])
    assert "'self'" in script_src
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & set(script_src), script_src
    # No third-party origin may serve scripts: only 'self' and per-response nonces.
    assert all(v == "'self'" or v.startswith("'nonce-") for v in script_src), script_src
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == (framed_by or ["'none'"])
    # For browsers too old for frame-ancestors; the others ignore it when the CSP names framers.
    assert headers["x-frame-options"] == "DENY"
