"""Shared by the benchmarks: a database, a merchant session, and gunicorn serving the app.

Benchmarks run against real parts: gunicorn with the project's gunicorn.conf.py,
the embedded Codat sandbox at a set latency, and the database and cache the
environment names (a throwaway SQLite file and local memory by default).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(env: dict[str, str]) -> None:
    """Point this process at the benchmark's database and cache, migrate, and start Django."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commerce_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def merchant_session() -> dict[str, str]:
    """A merchant and a logged-in session cookie for it."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from merchants.services import merchant_create

    user = get_user_model().objects.filter(username="bench").first()
    if user is None:
        _, user = merchant_create(identifier="Bench Merchant", name="Bench Merchant", username="bench", password=None)
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *, app: str = "commerce_portal.wsgi", workers: int | None = None, threads: int = 1):
    with gunicorn_at(free_port(), env, app=app, workers=workers, threads=threads) as url:
        yield url


@contextmanager
def gunicorn_at(port: int, env: dict[str, str], *, app: str = "commerce_portal.wsgi", workers: int | None = None, threads: int = 1):
    """gunicorn with the project's gunicorn.conf.py, as the container starts it; yields its URL."""
    server_env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    if workers:
        server_env["WEB_CONCURRENCY"] = str(workers)
    log = tempfile.NamedTemporaryFile(mode="w+", prefix="bench-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app],
        cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1, headers={"X-Forwarded-Proto": "https"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {log.name}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"p50 {statistics.median(ms):7.1f} ms   p99 {percentile(ms, 99):7.1f} ms   max {max(ms):7.1f} ms"
