"""Client addresses behind a proxy: PROXY_COUNT makes django-axes key on the client, not the proxy
(issue 15, item 2)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings

from commerce_portal.checks import check_proxy_count
from commerce_portal.client_ip import axes_ip_settings
from tests.factories import MERCHANT_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.5"  # nginx, as gunicorn sees it


def login(client, password, *, forwarded_for: str):
    return client.post(
        "/accounts/login/", {"username": "bean", "password": password},
        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1, **axes_ip_settings(1))
def test_behind_one_proxy_a_lockout_is_the_attackers_alone(client, merchant_and_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", forwarded_for="203.0.113.66")
    assert login(client, MERCHANT_PASSWORD, forwarded_for="203.0.113.66").status_code == 429
    # The merchant, on another address behind the same proxy, still gets in.
    assert login(client, MERCHANT_PASSWORD, forwarded_for="198.51.100.9").status_code == 302


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1, **axes_ip_settings(1))
def test_a_forged_x_forwarded_for_neither_escapes_nor_frames_anyone(client, merchant_and_user, settings):
    # nginx appends the address it saw: whatever the client wrote comes first and is ignored.
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", forwarded_for=f"192.0.2.{n}, 203.0.113.66")
    assert login(client, MERCHANT_PASSWORD, forwarded_for="203.0.113.66").status_code == 429
    assert login(client, MERCHANT_PASSWORD, forwarded_for="203.0.113.66, 198.51.100.9").status_code == 302


@pytest.mark.django_db
@override_settings(PROXY_COUNT=2, **axes_ip_settings(2))
def test_behind_two_proxies_the_client_is_the_second_address_from_the_right(client, merchant_and_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", forwarded_for="192.0.2.1, 203.0.113.66, 10.0.0.1")
    assert login(client, MERCHANT_PASSWORD, forwarded_for="203.0.113.66, 10.0.0.1").status_code == 429
    assert login(client, MERCHANT_PASSWORD, forwarded_for="198.51.100.9, 10.0.0.1").status_code == 302


@pytest.mark.django_db
def test_without_proxy_count_x_forwarded_for_is_ignored(client, merchant_and_user, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", forwarded_for=f"192.0.2.{n}")  # a client rotating a header it made up
    assert login(client, MERCHANT_PASSWORD, forwarded_for="198.51.100.9").status_code == 429


# --- the check --------------------------------------------------------------------------------


@override_settings(PROXY_COUNT=1, **axes_ip_settings(1))
def test_the_check_passes_when_proxy_count_works():
    assert check_proxy_count() == []


@override_settings(PROXY_COUNT=1, AXES_IPWARE_META_PRECEDENCE_ORDER=("REMOTE_ADDR",))
def test_the_check_fails_when_proxy_count_is_set_but_axes_ignores_it():
    (error,) = check_proxy_count()
    assert error.level == checks.ERROR and error.id == "commerce_portal.E010"
    assert "10.0.0" in error.msg or "proxy" in error.msg


@override_settings(PROXY_COUNT=1, **axes_ip_settings(1))
def test_the_check_fails_without_django_ipware(monkeypatch):
    monkeypatch.setattr("axes.helpers.IPWARE_INSTALLED", False)
    (error,) = check_proxy_count()
    assert error.id == "commerce_portal.E010" and "django-ipware" in error.hint


@override_settings(PROXY_COUNT=0)
def test_the_check_is_silent_without_proxy_count():
    assert check_proxy_count() == []


@pytest.mark.parametrize("value", ["1", "2"])
def test_settings_read_proxy_count_from_the_environment_and_pass_the_check(value):
    env = {**os.environ, "PROXY_COUNT": value, "DJANGO_SETTINGS_MODULE": "commerce_portal.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "ERROR"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "E010" not in result.stderr
