"""The app served over real HTTP by a process of its own, for the tests and the benchmarks.

One place starts a server, waits for /healthz and stops it: gunicorn with the project's
gunicorn.conf.py for tests/multiprocess and bench/ (``gunicorn``), and the image's own CMD
for tests/deploy (``wait_until_healthy`` and ``stop``). bench/ puts the repository root on
sys.path and imports it from here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("SHARED_CACHE_URL", "redis://127.0.0.1:6379/2")


class ServerDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(process: subprocess.Popen, url: str, *, log: Path, timeout: float = 60) -> None:
    """Until ``url``/healthz answers 200; ServerDidNotStart, with the end of the log, if the process exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            exited = f"exited with {process.returncode}" if process.returncode is not None else f"not healthy in {timeout:g}s"
            raise ServerDidNotStart(f"{' '.join(map(str, process.args))}: {exited}:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def stop(process: subprocess.Popen, *, timeout: float = 30) -> int:
    """SIGTERM, as a container runtime sends it; killed if it has not exited by ``timeout``. Its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@contextmanager
def gunicorns(env: dict[str, str], *, count: int = 1, ports: list[int] | None = None, app: str = "commerce_portal.wsgi",
              workers: int | None = 1, threads: int = 8, log_paths: list[Path] | None = None):
    """``count`` gunicorns with the project's gunicorn.conf.py, as the container starts it; yields their base URLs.

    They start and stop side by side. ``env`` is each server's whole environment. One worker
    with eight threads by default; ``workers=None`` leaves WEB_CONCURRENCY to ``env`` (or to
    gunicorn.conf.py's default), as the benchmarks do. ``log_paths``, if given, receives the path of
    each server's log (stdout and stderr), readable until the block ends.
    """
    ports = ports or [free_port() for _ in range(count)]
    with ExitStack() as logs:
        processes: list[subprocess.Popen] = []
        started = []
        try:
            for port in ports:
                # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
                log = logs.enter_context(tempfile.NamedTemporaryFile(mode="w+", prefix="gunicorn-", suffix=".log"))
                server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_THREADS": str(threads)}
                if workers:
                    server_env["WEB_CONCURRENCY"] = str(workers)
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app],
                    cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT,
                ))
                started.append((processes[-1], f"http://127.0.0.1:{port}", Path(log.name)))
                if log_paths is not None:
                    log_paths.append(Path(log.name))
            for process, url, log_path in started:
                wait_until_healthy(process, url, log=log_path)
            yield [url for _, url, _ in started]
        finally:
            for process in processes:  # every one told first, so they shut down together
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                stop(process)


@contextmanager
def gunicorn(env: dict[str, str], *, port: int | None = None, **options):
    """One gunicorn (see ``gunicorns``); yields its base URL."""
    with gunicorns(env, ports=[port] if port else None, **options) as (url,):
        yield url


# --- for tests that share their database with the servers they start -------------------------


def test_database_url() -> str:
    """The database this test run is using, as a URL another process can open."""
    from django.db import connection

    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or "postgres"
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{config['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


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
