"""Replays the Dockerfile without Docker: the same scripts, in the same order, at the same paths.

The image's filesystem is a directory, `root`; container paths such as /app and /opt/venv live
under it. Each stage is built in `root` and, like Docker, discarded when the next one starts,
except for what a `COPY --from` takes. Because every stage uses the same `root`, a virtualenv
copied between stages keeps valid absolute paths, just as it does in the real image.

Only RUN steps that call a docker/ script are replayed; the rest (creating the app's user) need
root inside a container and are recorded in `skipped` for the tests to vet.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .dockerfile import Instruction, Stage, build_context, env_pairs, parse

# What python:3.11-slim provides before our ENV lines: a 3.11 interpreter first on PATH.
BASE_PATH = os.pathsep.join([str(Path(sys._base_executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])
BASE_ENV = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}
# Build steps may use the network and pip's cache, as `docker build` does with its cache mount.
_BUILD_PASSTHROUGH = ("HOME", "PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_")


class ReplayedImage:
    def __init__(self, project: Path, workspace: Path):
        self.stages: list[Stage] = parse((project / "Dockerfile").read_text())
        self.context = build_context(project, workspace / "context")
        self.root = workspace / "image"
        self.env: dict[str, str] = {}
        self.workdir = "/"
        self.user = self.cmd = self.healthcheck = None
        self.executed: list[str] = []
        self.skipped: list[str] = []
        # Read now: the build may run in a thread while tests change os.environ.
        self._passthrough = {k: v for k, v in os.environ.items() if k.startswith(_BUILD_PASSTHROUGH)}

    def host(self, container_path: str) -> Path:
        return self.root / container_path.lstrip("/")

    def build(self) -> None:
        finished: dict[str, Path] = {}
        for stage in self.stages:
            self.root.mkdir()
            self._replay(stage, finished)
            if stage is not self.stages[-1]:
                finished[stage.name] = self.root.rename(self.root.with_name(f"stage-{stage.name}"))
        for discarded in finished.values():
            shutil.rmtree(discarded)

    def files(self) -> set[str]:
        return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*")}

    def popen(self, argv: list[str], env: dict[str, str], **options) -> subprocess.Popen:
        """`docker run -e ... image argv`: the image's environment plus the run's, nothing from the host."""
        # useradd gives the app user a home that does not exist; nothing may be written there.
        run_env = {**self.env, "HOME": str(self.host("/nonexistent")), **env}
        return subprocess.Popen(argv, cwd=self.host(self.workdir), env=run_env, **options)

    def run(self, argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
        process = self.popen(argv, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output, _ = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(argv, process.returncode, output)

    # --- one stage ---------------------------------------------------------------

    def _replay(self, stage: Stage, finished: dict[str, Path]) -> None:
        self.env, self.workdir = dict(BASE_ENV), "/"
        for instruction in stage.instructions:
            keyword = instruction.keyword
            if keyword == "ENV":
                for name, value in env_pairs(instruction):
                    self.env[name] = self._container_value(name, value)
            elif keyword == "WORKDIR":
                self.workdir = instruction.args
                self.host(self.workdir).mkdir(parents=True, exist_ok=True)
            elif keyword == "COPY":
                self._copy(instruction, finished)
            elif keyword == "RUN":
                self._run(instruction.args)
            elif keyword == "USER":
                self.user = instruction.args
            elif keyword == "CMD":
                self.cmd = instruction.exec_form()
            elif keyword == "HEALTHCHECK":
                form, _, command = instruction.args.partition(" ")
                assert form == "CMD", f"HEALTHCHECK {instruction.args!r}"
                self.healthcheck = Instruction("CMD", {}, command).exec_form()

    def _container_value(self, name: str, value: str) -> str:
        """Absolute container paths move under root; $PATH is the value so far, as in Docker."""
        parts = []
        for part in value.split(":") if name == "PATH" else [value]:
            if part in ("$PATH", "${PATH}"):
                parts.append(self.env["PATH"])
            else:
                parts.append(str(self.host(part)) if part.startswith("/") else part)
        return ":".join(parts)

    def _copy(self, instruction: Instruction, finished: dict[str, Path]) -> None:
        *sources, destination = shlex.split(instruction.args)
        source_root = finished[instruction.flags["from"]] if "from" in instruction.flags else self.context
        if not destination.startswith("/"):
            destination = f"{self.workdir.rstrip('/')}/{destination}"
        target = self.host(destination)
        for source in sources:
            path = source_root / source.lstrip("/")
            if not path.exists():
                raise FileNotFoundError(f"COPY {source}: not in the {'stage' if 'from' in instruction.flags else 'build context'}")
            if path.is_dir():  # Docker copies a directory's contents
                shutil.copytree(path, target, symlinks=True, dirs_exist_ok=True)
            else:
                into = target / path.name if destination.endswith("/") else target
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, into)

    def _run(self, command: str) -> None:
        if not command.startswith("docker/"):
            self.skipped.append(command)
            return
        result = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=self.host(self.workdir),
            env={**self._passthrough, **self.env},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"RUN {command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        self.executed.append(command)
