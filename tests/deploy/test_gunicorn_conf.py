"""gunicorn.conf.py, read the way gunicorn reads it: executed as a module under an environment."""

import runpy

import pytest
from django.conf import settings

from .production import ROOT

_ENV = ("PORT", "GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS", "GUNICORN_THREADS")


@pytest.fixture
def load(monkeypatch):
    def load(**env):
        for name in _ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    return load


def test_binds_every_interface_on_port_or_an_explicit_bind(load):
    assert load()["bind"] == "0.0.0.0:8000"
    assert load(PORT="9123")["bind"] == "0.0.0.0:9123"
    assert load(PORT="9123", GUNICORN_BIND="unix:/run/portal.sock")["bind"] == "unix:/run/portal.sock"


def test_workers_from_web_concurrency_else_a_capped_multiple_of_cores(load, monkeypatch):
    assert load(WEB_CONCURRENCY="3")["workers"] == 3
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert load()["workers"] == 5
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert load()["workers"] == 12


def test_a_worker_outlives_the_longest_codat_hand_off(load):
    config = load()
    assert config["timeout"] > settings.CODAT_HANDOFF_TIMEOUT
    assert config["graceful_timeout"] > 0 and config["keepalive"] > 0


def test_access_log_goes_to_stdout_without_query_strings_or_referers(load):
    config = load(FORWARDED_ALLOW_IPS="10.0.0.0/8")
    assert config["accesslog"] == "-"
    assert config["forwarded_allow_ips"] == "10.0.0.0/8"
    log_format = config["access_log_format"]
    # %(r)s is the whole request line and %(q)s the query: Sync Flow codes travel there.
    assert "%(U)s" in log_format
    assert [token for token in ("%(r)s", "%(q)s", "%(f)s") if token in log_format] == []


def test_threaded_workers_sized_for_hand_offs_that_wait_on_codat(load):
    config = load()
    assert config["worker_class"] == "gthread"
    assert config["threads"] == 8
    # Half the threads may wait on Codat; the rest answer /healthz and pages (settings).
    assert settings.CODAT_HANDOFF_CONCURRENCY == config["threads"] // 2
    assert load(GUNICORN_THREADS="16")["threads"] == 16


def test_the_access_log_escapes_request_derived_values(load):
    assert load()["logger_class"] == "commerce_portal.gunicorn_logging.EscapingLogger"
