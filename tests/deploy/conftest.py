"""The image, replayed once per run (tests/deploy/image.py), and gunicorn started from it.

Replaying the build is the slowest step of the suite (most of it a pip install into a fresh
virtualenv, in a process of its own). So, when any selected test needs the image, the build
starts in a background thread as soon as the tests are collected and those tests run last:
the build overlaps the rest of the run instead of holding it up. Its failure fails the tests
that need it, as before.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port, stop, wait_until_healthy

from .image import ReplayedImage
from .production import HOST, ROOT, production_env

FRAMED_BY = "https://pos.example.com"


class _BackgroundBuild:
    def __init__(self):
        self.workspace = Path(tempfile.mkdtemp(prefix="replayed-image-"))
        self.image = ReplayedImage(ROOT, self.workspace)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._build, name="replay-image-build")
        self.thread.start()

    def _build(self):
        try:
            self.image.build()
        except BaseException as exc:  # handed to the tests that need the image
            self.error = exc

    def result(self) -> ReplayedImage:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.image

    def discard(self):
        self.thread.join()
        shutil.rmtree(self.workspace, ignore_errors=True)


_build: _BackgroundBuild | None = None


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what will not run
def pytest_collection_modifyitems(config, items):
    global _build
    needs_image = [item for item in items if "image" in getattr(item, "fixturenames", ())]
    if not needs_image or config.option.collectonly:
        return
    # Last, in their own order: test_image.py's last test stops the module's server.
    later = set(map(id, needs_image))
    items[:] = [item for item in items if id(item) not in later] + needs_image
    _build = _BackgroundBuild()


def pytest_sessionfinish(session):
    if _build is not None:
        _build.discard()


@pytest.fixture(scope="session")
def image() -> ReplayedImage:
    assert _build is not None, "the image build starts at collection, for the tests that use this fixture"
    return _build.result()


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
        return stop(self.process, timeout=40)


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
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}", log=log)
        yield Server(process, port, log, env, files_before)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
