"""The dependency rule, checked: staff → integrations → merchants, the shell below them all.

    staff/            may use integrations, merchants, commerce_portal
    integrations/     may use merchants, commerce_portal
      codat/          uses nothing of ours outside itself (a vendor client, liftable as is)
    merchants/        may use commerce_portal
    commerce_portal/  the shell; only its composition root (settings, urls) names the apps
    codat_sandbox/    the emulator: no product module imports it; settings plug it in by name

"Use" means a Python import, or a permission string or URL name that reaches up ("staff.…").
"""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"commerce_portal", "merchants", "integrations", "staff", "codat_sandbox"}
ALLOWED = {
    "staff": {"staff", "integrations", "merchants", "commerce_portal"},
    "integrations": {"integrations", "merchants", "commerce_portal"},
    "merchants": {"merchants", "commerce_portal"},
    "commerce_portal": {"commerce_portal"},
}
COMPOSITION_ROOT = {"commerce_portal/settings.py", "commerce_portal/urls.py"}
# Apps a module may not mention by name in a string (permission codenames, URL names, dotted paths).
UPWARD = {"merchants": ("integrations", "staff"), "integrations": ("staff",)}


def python_files(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" not in relative:  # a migration records history, not a dependency
            yield relative, path


def imported_packages(path: Path) -> set[str]:
    """Our top-level packages (and integrations.codat) that a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in OURS:
                found.add("integrations.codat" if name.startswith("integrations.codat") else top)
    return found


def violations(app: str) -> list[str]:
    problems = []
    for relative, path in python_files(app):
        if relative in COMPOSITION_ROOT:
            continue
        allowed = ALLOWED[app] | ({"integrations.codat"} if app in ("integrations", "staff") else set())
        if relative.startswith("integrations/codat/"):
            allowed = set()  # relative imports only
        for package in imported_packages(path) - allowed:
            problems.append(f"{relative} imports {package}")
        source = path.read_text()
        for upward in UPWARD.get(app, ()):
            for match in re.finditer(rf"""["']{upward}[.:]""", source):
                line = source.count("\n", 0, match.start()) + 1
                problems.append(f"{relative}:{line} names {upward} in a string")
    return problems


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_each_app_depends_only_downward(app):
    assert violations(app) == []


def test_no_product_module_names_the_sandbox_but_the_one_setting():
    mentions = [
        (relative, line.strip())
        for app in ALLOWED
        for relative, path in python_files(app)
        for line in path.read_text().splitlines()
        if "codat_sandbox" in line
    ]
    assert mentions == [
        ("commerce_portal/settings.py", 'CODAT_SANDBOX_APP = "codat_sandbox" if CODAT_SANDBOX_ENABLED else ""')
    ]


def test_the_rule_has_teeth(tmp_path, monkeypatch):
    """A module that reaches up is caught, by import and by permission string."""
    app = tmp_path / "integrations"
    app.mkdir()
    (app / "bad.py").write_text('from staff.roles import VIEW_MERCHANTS\nPERMISSION = "staff.view_merchant_status"\n')
    (app / "codat").mkdir()
    (app / "codat" / "client.py").write_text("from commerce_portal import __version__\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = violations("integrations")
    assert "integrations/bad.py imports staff" in found
    assert "integrations/bad.py:2 names staff in a string" in found
    assert "integrations/codat/client.py imports commerce_portal" in found
