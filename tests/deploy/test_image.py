"""The image, built and run without Docker: the Dockerfile's own steps replayed (image.py), then
its CMD serving real HTTP under production settings, as a container would.

Tests share one gunicorn per module; the last one shuts it down, so keep it last.
"""

import json
import re
import secrets
import time
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from .conftest import FRAMED_BY
from .production import HOST, ROOT, assert_secure_page_headers, django_get_argv, last_json_line, production_env

pytestmark = pytest.mark.multiprocess


def _names(requirements: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", Requirement(r).name).lower() for r in requirements}


def test_every_build_step_was_replayed(image):
    builder_runs = [i.args for stage in image.stages[:-1] for i in stage.all("RUN")]
    assert image.executed == builder_runs
    # What the replay skipped can only be creating the app's user (it needs root in a container).
    assert all(re.fullmatch(r"groupadd .+ && useradd .+", command) for command in image.skipped), image.skipped


def test_the_virtualenv_holds_the_runtime_dependencies_and_no_dev_extra(image):
    result = image.run(
        ["python", "-c", "import importlib.metadata as m, json; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"],
        {},
    )
    installed = _names(json.loads(result.stdout))
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    runtime, dev = _names(project["dependencies"]), _names(project["optional-dependencies"]["dev"])
    assert runtime <= installed, runtime - installed
    assert not dev & installed, dev & installed
    assert "commerce-portal" not in installed  # it runs from /app; a second copy would be shadowed


def test_the_lock_check_refuses_a_distribution_the_lock_does_not_pin(image, tmp_path):
    dist_info = tmp_path / "not_in_the_lock-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: not-in-the-lock\nVersion: 1.0\n")
    result = image.run(["python", "docker/lock.py", "verify"], {"PYTHONPATH": str(tmp_path)})
    assert result.returncode != 0 and "not-in-the-lock==1.0 (lock: absent)" in result.stdout
    assert image.run(["python", "docker/lock.py", "verify"], {}).returncode == 0


def test_static_files_were_collected_and_hashed_for_both_modes(image):
    manifest = json.loads(image.host("/app/staticfiles/staticfiles.json").read_text())["paths"]
    assert re.fullmatch(r"css/portal\.[0-9a-f]{12}\.css", manifest["css/portal.css"])
    assert "codat_sandbox/sync_flow.css" in manifest  # a sandbox demo runs from the same image


def test_cmd_is_gunicorn_itself_after_the_configuration_check(server):
    # start.sh execs gunicorn, so the process the container started is gunicorn (PID 1 there).
    cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")
    assert any(part.endswith(b"gunicorn") for part in cmdline), cmdline
    assert b"gunicorn.conf.py" in cmdline
    assert "System check identified no issues" in server.output()
    assert f"Listening at: http://0.0.0.0:{server.port}" in server.output()


def test_the_healthcheck_command_passes_and_fails_when_it_should(image, server):
    assert image.run(image.healthcheck, server.env).returncode == 0
    elsewhere = image.run(image.healthcheck, {**server.env, "PORT": "1"})
    assert elsewhere.returncode == 1 and "healthcheck:" in elsewhere.stdout


def test_health_probes_answer_over_plain_http_everything_else_goes_to_https(server):
    status, _, body = server.get("/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _, body = server.get("/readyz")
    checks = json.loads(body)["checks"]
    assert status == 200 and checks["database"]["ok"] and checks["cache"]["ok"]
    status, headers, _ = server.get("/accounts/login/")
    assert status == 301 and headers["Location"] == f"https://{HOST}/accounts/login/"


def test_pages_carry_the_security_headers_and_secure_cookies(server):
    status, headers, _ = server.secure_get("/accounts/login/")
    assert status == 200
    assert_secure_page_headers({k.lower(): v for k, v in headers.items()}, framed_by=[FRAMED_BY])
    (csrf_cookie,) = [c for c in headers.get_all("Set-Cookie") if c.startswith("csrftoken=")]
    # Framed by the POS, the cookie must cross sites, which browsers allow only with Secure.
    assert "Secure" in csrf_cookie and "SameSite=None" in csrf_cookie


def test_an_unframed_deployment_forbids_framing(image, server):
    env = production_env(DATABASE_URL=server.env["DATABASE_URL"], SECURE_PROXY_SSL_HEADER="true")
    result = image.run(django_get_argv("/accounts/login/", {"X-Forwarded-Proto": "https"}), env)
    response = last_json_line(result.stdout)
    assert response["status"] == 200, result.stdout
    assert_secure_page_headers({k.lower(): v for k, v in response["headers"].items()}, framed_by=[])


def test_hashed_static_files_are_served_by_whitenoise_cached_forever(image, server):
    manifest = json.loads(image.host("/app/staticfiles/staticfiles.json").read_text())["paths"]
    hashed = manifest["css/portal.css"]
    status, headers, body = server.secure_get(f"/static/{hashed}")
    assert status == 200 and headers["Content-Type"].startswith("text/css") and body
    assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
    status, headers, _ = server.secure_get(f"/static/{hashed}", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    # The unhashed name can change under the same URL, so it is cached briefly.
    status, headers, _ = server.secure_get("/static/css/portal.css")
    assert status == 200 and "immutable" not in headers["Cache-Control"]


def test_access_log_never_shows_a_query_string(server):
    code = secrets.token_urlsafe(16)
    assert server.get(f"/healthz?code={code}&otp={code}")[0] == 200
    deadline = time.monotonic() + 5
    while '"GET /healthz HTTP/1.1" 200' not in server.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '"GET /healthz HTTP/1.1" 200' in server.output()
    assert code not in server.output()


def test_serving_writes_nothing_into_the_image(image, server):
    # The image is root-owned and read-only to the app user: a write here would fail there.
    assert image.files() == server.files_before


def test_sigterm_stops_gunicorn_gracefully(server):
    assert server.stop() == 0
    assert "Shutting down: Master" in server.output()

