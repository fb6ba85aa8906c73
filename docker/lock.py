"""Runtime requirements from pyproject.toml, and a check that the lock pinned all of them.

`requirements` prints [project] dependencies (no extras) for pip; `verify` fails when an
installed distribution is missing from requirements.lock or differs from its pin, since
`pip -c` silently installs the newest release of anything the lock does not mention.
"""

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALLER_TOOLS = {"pip", "setuptools", "wheel"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["dependencies"]


def pins() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in (ROOT / "requirements.lock").read_text().splitlines())
    return {normalise(name): version for name, _, version in (line.partition("==") for line in lines if line)}


def unpinned() -> list[str]:
    locked = pins()
    installed = {normalise(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    return sorted(
        f"{name}=={version} (lock: {locked.get(name, 'absent')})"
        for name, version in installed.items()
        if name not in INSTALLER_TOOLS and locked.get(name) != version
    )


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "requirements":
        print("\n".join(runtime_requirements()))
    elif command == "verify":
        if problems := unpinned():
            sys.exit("Installed but not pinned by requirements.lock (run `make lock`):\n  " + "\n  ".join(problems))
    else:
        sys.exit("usage: lock.py requirements|verify")
