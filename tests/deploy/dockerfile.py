"""Just enough of Docker's Dockerfile and .dockerignore semantics to replay a build without Docker.

Only the subset the project's Dockerfile uses is understood; anything else is refused, so a
new instruction cannot slip past the tests unread.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

KNOWN = {"ARG", "FROM", "ENV", "WORKDIR", "COPY", "RUN", "USER", "EXPOSE", "HEALTHCHECK", "CMD", "LABEL"}


@dataclass
class Instruction:
    keyword: str
    flags: dict[str, str]
    args: str

    def exec_form(self) -> list[str]:
        """CMD ["a", "b"]: Docker runs these without a shell, so must we."""
        return json.loads(self.args)


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse(text: str) -> list[Stage]:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword not in KNOWN:
            raise ValueError(f"unsupported Dockerfile instruction: {line}")
        flags, rest = _flags(rest.strip())
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            base, *name = re.split(r"\s+as\s+", rest, flags=re.IGNORECASE)
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
            stages.append(Stage(name=name[0] if name else str(len(stages)), base=base))
        else:
            stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return stages


def _logical_lines(text: str):
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops comments even inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield " ".join((pending + line).split())
        pending = ""


def _flags(rest: str) -> tuple[dict[str, str], str]:
    flags = {}
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name, _, value = flag[2:].partition("=")
        flags[name] = value
        rest = rest.strip()
    return flags, rest


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    return [tuple(word.split("=", 1)) for word in shlex.split(instruction.args)]


# --- .dockerignore ---------------------------------------------------------------


def ignore_patterns(path: Path) -> list[tuple[bool, re.Pattern]]:
    patterns = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            patterns.append((negated, _regex(line.lstrip("!").strip("/"))))
    return patterns


def _regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def is_ignored(relative: str, patterns) -> bool:
    """Docker's rule: the last matching pattern wins, and a match on a directory covers its contents."""
    parts = relative.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for negated, regex in patterns:
        if any(regex.match(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def build_context(project: Path, destination: Path) -> Path:
    """The files `docker build project` would send, copied to destination."""
    patterns = ignore_patterns(project / ".dockerignore")
    # Skipping ignored directories whole is only right while no pattern re-includes anything.
    prune = not any(negated for negated, _ in patterns)
    for directory, subdirectories, files in os.walk(project):
        relative_dir = Path(directory).relative_to(project)
        if prune:
            subdirectories[:] = [d for d in subdirectories if not is_ignored((relative_dir / d).as_posix(), patterns)]
        for name in files:
            relative = (relative_dir / name).as_posix()
            if not is_ignored(relative, patterns):
                target = destination / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(directory) / name, target)
    return destination
