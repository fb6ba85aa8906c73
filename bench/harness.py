"""Shared by the benchmarks: a database, a merchant session, and gunicorn serving the app.

Benchmarks run against real parts: gunicorn with the project's gunicorn.conf.py
(started by tests/servers.py, as the multi-process tests start it), the embedded
Codat sandbox at a set latency, and the database and cache the environment names
(a throwaway SQLite file and local memory by default).
"""

from __future__ import annotations

import os
import statistics
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402


def setup_django(env: dict[str, str]) -> None:
    """Point this process at the benchmark's database and cache, migrate, and start Django."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commerce_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def session_cookies(user) -> dict[str, str]:
    """A logged-in session cookie for ``user``."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def merchant_session() -> dict[str, str]:
    """A merchant and a logged-in session cookie for it."""
    from django.contrib.auth import get_user_model

    from merchants.services import merchant_create

    user = get_user_model().objects.filter(username="bench").first()
    if user is None:
        _, user = merchant_create(identifier="Bench Merchant", name="Bench Merchant", username="bench", password=None)
    return session_cookies(user)


@contextmanager
def gunicorn(env: dict[str, str], *, app: str = "commerce_portal.wsgi", workers: int | None = None,
             threads: int = 1, port: int | None = None, **options):
    """gunicorn with the project's gunicorn.conf.py on this process's environment plus ``env``; yields its URL.

    Other ``options`` (``log_paths``) go to tests/servers.gunicorns as they are."""
    with servers.gunicorn({**os.environ, **env, "PYTHONPATH": str(ROOT)}, app=app, workers=workers,
                          threads=threads, port=port, **options) as url:
        yield url


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"p50 {statistics.median(ms):7.1f} ms   p99 {percentile(ms, 99):7.1f} ms   max {max(ms):7.1f} ms"
