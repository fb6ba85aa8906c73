"""Settings read from the environment, and the system checks that refuse dangerous ones.

Settings are read once at start-up, so each mode is started in a fresh process.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings

from commerce_portal.checks import check_allowed_hosts, check_brand_color, check_sandbox_exposure
from integrations.checks import check_codat_settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "CODAT_API_KEY": "live-key-for-tests",
    "CODAT_CONNECTOR_KEY": "lqai",
    "SECRET_KEY": "x" * 64,
    "ALLOWED_HOSTS": "portal.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
}


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CODAT_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_"))}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "commerce_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def manage(*args, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CODAT_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_and_names_what_is_missing():
    result = run_django("", CODAT_API_KEY="live-key-for-tests")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS" in result.stderr
    assert "live-key-for-tests" not in result.stderr


def test_live_mode_never_mounts_the_sandbox():
    result = run_django(
        "from django.conf import settings; from django.urls import resolve, Resolver404\n"
        "assert 'codat_sandbox' not in settings.INSTALLED_APPS\n"
        "for path in ('/sandbox/codat/config/integrations', '/sandbox/sync-flow/x/lqai/gbol/start'):\n"
        "    try: resolve(path); raise SystemExit('mounted: ' + path)\n"
        "    except Resolver404: pass\n"
        "print(settings.CODAT_BASE_URL)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://api.codat.io"


def test_sandbox_mode_mounts_the_sandbox_on_our_own_origin():
    result = run_django(
        "from django.conf import settings; from django.urls import resolve\n"
        "resolve('/sandbox/codat/config/integrations'); print(settings.CODAT_BASE_URL, settings.DEBUG)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["/sandbox/codat", "True"]


def test_sandbox_with_debug_off_is_refused_unless_declared_a_demo():
    env = {k: v for k, v in PRODUCTION.items() if k != "CODAT_API_KEY"}
    refused = manage("check", DEBUG="false", **env)
    assert refused.returncode != 0 and "commerce_portal.E001" in refused.stderr
    demo = manage("check", DEBUG="false", CODAT_SANDBOX_DEMO="true", CODAT_SANDBOX_API_KEY="a-demo-key-kept-secret", **env)
    assert demo.returncode == 0, demo.stderr


def test_live_mode_without_connector_key_fails_the_checks():
    env = {**PRODUCTION, "CODAT_CONNECTOR_KEY": ""}
    result = manage("check", **env)
    assert result.returncode != 0 and "commerce_portal.E002" in result.stderr


@override_settings(CODAT_SANDBOX_ENABLED=True, DEBUG=False, CODAT_SANDBOX_DEMO=False)
def test_check_sandbox_exposure_error():
    (error,) = check_sandbox_exposure()
    assert error.level == checks.ERROR and error.id == "commerce_portal.E001"


@override_settings(CODAT_SANDBOX_ENABLED=True, DEBUG=False, CODAT_SANDBOX_DEMO=True, CODAT_SANDBOX_API_KEY="sandbox")
def test_check_public_demo_with_the_default_sandbox_key_is_an_error():
    (error,) = check_sandbox_exposure()
    assert error.level == checks.ERROR and error.id == "commerce_portal.E009"


@override_settings(CODAT_SANDBOX_ENABLED=True, DEBUG=True)
def test_check_sandbox_in_development_is_fine():
    assert check_sandbox_exposure() == []


@pytest.mark.parametrize(
    "overrides, expected",
    [
        (dict(CODAT_SANDBOX_ENABLED=False, CODAT_CONNECTOR_KEY=""), "commerce_portal.E002"),
        (dict(CODAT_CONNECTOR_KEY="LQAI1"), "commerce_portal.E003"),
        (dict(CODAT_CONNECTOR_TYPE="pos"), "commerce_portal.E004"),
        (dict(CODAT_SYNC_FLOW_CODE_TTL=0), "commerce_portal.E005"),
        (dict(CODAT_SANDBOX_ENABLED=False, CODAT_BASE_URL="http://api.codat.io"), "commerce_portal.W001"),
        (dict(LINK_RATE_LIMIT="lots"), "commerce_portal.E006"),
        (dict(CODAT_CLIENT_ID="acme"), "commerce_portal.W006"),
    ],
)
def test_codat_setting_checks(overrides, expected):
    with override_settings(**overrides):
        assert expected in [message.id for message in check_codat_settings()]


def test_codat_setting_checks_pass_by_default():
    assert check_codat_settings() == []


def test_brand_color_check():
    assert check_brand_color() == []
    with override_settings(PARTNER_BRAND_COLOR="blue"):
        assert [message.id for message in check_brand_color()] == ["commerce_portal.W002"]


@pytest.mark.parametrize("debug, expected", [(False, "commerce_portal.E007"), (True, "commerce_portal.W003")])
def test_empty_allowed_hosts_is_flagged(debug, expected):
    with override_settings(ALLOWED_HOSTS=[], DEBUG=debug):
        assert [message.id for message in check_allowed_hosts()] == [expected]


def test_webhook_secret_checks():
    from integrations.checks import check_webhook_secret_format, check_webhook_secrets

    with override_settings(CODAT_SANDBOX_ENABLED=False, CODAT_WEBHOOK_SECRETS=[]):
        assert [m.id for m in check_webhook_secrets()] == ["commerce_portal.W005"]
    with override_settings(CODAT_SANDBOX_ENABLED=True, CODAT_WEBHOOK_SECRETS=[]):
        assert check_webhook_secrets() == []
    with override_settings(CODAT_WEBHOOK_SECRETS=["whsec_not base64!", "whsec_c2VjcmV0"]):
        (error,) = check_webhook_secret_format()
        assert error.id == "commerce_portal.E008" and "not base64" not in error.msg  # the secret is never echoed


def test_the_client_id_defaults_to_the_sandboxs_only_in_sandbox_mode():
    code = "from django.conf import settings; print(repr(settings.CODAT_CLIENT_ID))"
    assert run_django(code).stdout.strip() == "'c0da7c11-e4d0-4b5a-9d1e-5a4db0c0ffee'"
    assert run_django(code, **PRODUCTION).stdout.strip() == "''"
    assert run_django(code, **PRODUCTION, CODAT_CLIENT_ID="8a210b68-6988-11ed-a1eb-0242ac120002").stdout.strip() == (
        "'8a210b68-6988-11ed-a1eb-0242ac120002'"
    )
