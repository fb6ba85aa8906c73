"""Start the app under gunicorn, as deployed, on the test database, for multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("SHARED_CACHE_URL", "redis://127.0.0.1:6379/2")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The database this test run is using, as a URL another process can open."""
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or "postgres"
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{config['NAME']}"


def shared_env(**overrides) -> dict[str, str]:
    """Environment for instances that share this run's database and one Redis cache."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CODAT_", "DATABASE_URL", "CACHE_"))}
    return {
        **keep,
        "DATABASE_URL": test_database_url(),
        "CACHE_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 1, threads: int = 8, port: int | None = None):
    """A gunicorn server started with the project's gunicorn.conf.py; yields its base URL."""
    port = port or free_port()
    log = tempfile.TemporaryFile(mode="w+")  # a pipe nobody reads would fill and stall the server
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "commerce_portal.wsgi"],
        cwd=ROOT,
        env={
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"gunicorn did not start: {log.read()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
