"""The image, replayed once per run (tests/deploy/image.py), and gunicorn started from it."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .image import ReplayedImage
from .production import HOST, ROOT, production_env

FRAMED_BY = "https://pos.example.com"


@pytest.fixture(scope="session")
def image(tmp_path_factory) -> ReplayedImage:
    built = ReplayedImage(ROOT, tmp_path_factory.mktemp("docker"))
    built.build()
    return built


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    env: dict[str, str]
    files_before: set[str]

    def get(self, path: str, **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request with exactly these headers (urllib would follow redirects and pick Host)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers={"Host": HOST, **headers})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def secure_get(self, path: str, **headers: str):
        """As if through a TLS-terminating proxy that sets X-Forwarded-Proto."""
        return self.get(path, **{"X-Forwarded-Proto": "https", **headers})

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=40)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(image, tmp_path_factory):
    """`docker run` of the image's CMD with a production environment, after the migrate release step."""
    data = tmp_path_factory.mktemp("run")
    port = free_port()
    env = production_env(
        DATABASE_URL=f"sqlite:///{data / 'portal.sqlite3'}",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        SECURE_PROXY_SSL_HEADER="true",
        FRAME_ANCESTORS=FRAMED_BY,
    )
    migrate = image.run(["python", "manage.py", "migrate", "--noinput"], env)
    assert migrate.returncode == 0, migrate.stdout
    files_before = image.files()
    log = data / "gunicorn.log"
    with log.open("w") as sink:
        process = image.popen(image.cmd, env, stdout=sink, stderr=subprocess.STDOUT)
    running = Server(process, port, log, env, files_before)
    try:
        _wait_until_healthy(running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_until_healthy(server: Server, deadline: float = 60) -> None:
    stop_at = time.monotonic() + deadline
    while time.monotonic() < stop_at:
        if server.process.poll() is not None:
            pytest.fail(f"the container's CMD exited with {server.process.returncode}:\n{server.output()}")
        try:
            if server.get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"/healthz did not answer 200 within {deadline}s:\n{server.output()}")
