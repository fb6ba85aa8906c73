"""The Dockerfile's shape: what test_image cannot see by replaying it (see tests/deploy/image.py)."""

import os
import re
import tomllib

import pytest
from packaging.specifiers import SpecifierSet

from .dockerfile import Instruction, ignore_patterns, is_ignored, parse
from .production import ROOT

STAGES = parse((ROOT / "Dockerfile").read_text())
BUILDER, RUNTIME = STAGES[0], STAGES[-1]


def test_multi_stage_on_one_slim_python_matching_pyproject():
    assert len(STAGES) >= 2
    assert RUNTIME.base == "python:3.11-slim"
    # The virtualenv is copied between stages, so its interpreter path must be the same.
    assert {stage.base for stage in STAGES} == {RUNTIME.base}
    python = re.match(r"python:(\d+\.\d+)", RUNTIME.base).group(1)
    with open(ROOT / "pyproject.toml", "rb") as f:
        assert python in SpecifierSet(tomllib.load(f)["project"]["requires-python"])


def test_every_build_step_is_a_script_the_tests_replay():
    runs = [i.args for stage in STAGES[:-1] for i in stage.all("RUN")]
    assert runs and all(re.fullmatch(r"docker/[\w.-]+\.sh", command) for command in runs), runs
    assert {"docker/install.sh", "docker/collectstatic.sh"} <= set(runs)


def test_runtime_stage_runs_as_a_non_root_user_with_a_healthcheck_and_start_script():
    (user,) = RUNTIME.all("USER")
    name, _, group = user.args.partition(":")
    assert name not in ("root", "0") and group not in ("root", "0")
    (healthcheck,) = RUNTIME.all("HEALTHCHECK")
    assert healthcheck.args.startswith("CMD [") and "docker/healthcheck.py" in healthcheck.args
    (cmd,) = RUNTIME.all("CMD")
    # Exec form: no shell between Docker and start.sh, which in turn execs gunicorn.
    assert cmd.exec_form() == ["docker/start.sh"]
    assert not RUNTIME.all("RUN") or all(
        re.match(r"(groupadd|useradd) ", part.strip()) for i in RUNTIME.all("RUN") for part in i.args.split("&&")
    )


def test_start_script_checks_the_configuration_then_execs_gunicorn_with_its_config():
    commands = [line.strip() for line in (ROOT / "docker/start.sh").read_text().splitlines()]
    commands = [c for c in commands if c and not c.startswith("#")]
    assert commands[-1] == "exec gunicorn -c gunicorn.conf.py commerce_portal.wsgi"
    assert "python manage.py check --deploy --fail-level ERROR" in commands


@pytest.mark.parametrize("script", ["install.sh", "collectstatic.sh", "start.sh"])
def test_scripts_are_executable_and_stop_on_errors(script):
    path = ROOT / "docker" / script
    assert os.access(path, os.X_OK)
    assert "set -eu" in path.read_text()


@pytest.mark.parametrize(
    "path, ignored",
    [
        (".venv/bin/python", True),
        (".git/HEAD", True),
        ("db.sqlite3", True),
        ("staticfiles/staticfiles.json", True),
        ("tests/conftest.py", True),
        ("integrations/__pycache__/views.cpython-311.pyc", True),
        (".env", True),
        ("manage.py", False),
        ("gunicorn.conf.py", False),
        ("requirements.lock", False),
        ("templates/base.html", False),
        ("static/css/portal.css", False),
        ("codat_sandbox/static/codat_sandbox/sync_flow.css", False),
    ],
)
def test_dockerignore_keeps_secrets_and_local_state_out(path, ignored):
    assert is_ignored(path, ignore_patterns(ROOT / ".dockerignore")) is ignored


def test_replay_refuses_what_it_cannot_replay():
    # The parser is strict so a new kind of Dockerfile step cannot go unreplayed.
    with pytest.raises(ValueError, match="unsupported"):
        parse("FROM python:3.11-slim\nONBUILD RUN true\n")
    assert Instruction("CMD", {}, '["a", "b"]').exec_form() == ["a", "b"]
