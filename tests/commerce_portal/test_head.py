"""HEAD is answered wherever GET is, with GET's status and headers and no body (issue 15, item 7).

Monitors, link checkers and some proxies send HEAD; a 405 there reads as "down" or "broken".
HEAD must never do what only a POST may: issue a link, set a password, start a hand-off.
"""

import ast
from pathlib import Path

import pytest
from django.test import Client

from integrations.models import LinkAttempt, Logo
from merchants.models import SignInLink
from merchants.services import sign_in_link_issue
from tests.factories import make_merchant, make_staff

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def assert_head_like_get(client: Client, path: str):
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code, (path, got.status_code, head.status_code)
    assert head.status_code != 405 or got.status_code == 405, path
    assert head.content == b"", path
    for header in ("Content-Type", "Cache-Control", "Location"):
        assert head.get(header) == got.get(header), (path, header)
    return head


ANONYMOUS = ["/healthz", "/readyz", "/accounts/login/", "/sign-in/set-password/", "/sandbox/logos/aiwb-square.png"]


@pytest.mark.parametrize("path", ANONYMOUS)
def test_anonymous_pages_and_probes_answer_head(client, path):
    assert assert_head_like_get(client, path).status_code != 405


def test_probes_answer_head_200(client):
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200


def test_the_theme_and_logos_answer_head(client, warm_cache):
    from commerce_portal import theme

    assert assert_head_like_get(client, f"/theme-{theme.version()}.css").status_code == 200
    logo = Logo.objects.first()
    from integrations import logos

    assert assert_head_like_get(client, f"/logos/{logo.digest}.{logos.EXTENSIONS[logo.content_type]}").status_code == 200


@pytest.mark.parametrize("path", ["/", "/connection/", "/connection/state/", "/link/", "/link/return/"])
def test_merchant_pages_answer_head(merchant_client, warm_cache, path):
    assert_head_like_get(merchant_client, path)


def test_head_on_the_link_start_starts_nothing(merchant_client, warm_cache):
    assert merchant_client.head("/link/").status_code == 405  # as GET: the Link button is a POST
    assert not LinkAttempt.objects.exists() and warm_cache.mints == 0


def test_staff_pages_answer_head_and_head_issues_no_link(warm_cache):
    staff = make_staff(permissions=[])
    client = Client()
    client.force_login(staff)
    merchant, user = make_merchant(password=None)
    issued = sign_in_link_issue(user=user, created_by=staff)
    for path in ["/staff/", "/staff/merchants/new/", f"/staff/merchants/{merchant.pk}/",
                 f"/staff/merchants/{merchant.pk}/link/"]:
        assert assert_head_like_get(client, path).status_code == 200, path
    assert_head_like_get(client, f"/staff/merchants/{merchant.pk}/logins/{user.pk}/sign-in-link/")
    assert SignInLink.objects.get().pk == issued.link.pk and SignInLink.objects.get().voided_at is None


def test_head_on_the_set_password_form_sets_nothing(db):
    merchant, user = make_merchant(password=None)
    issued = sign_in_link_issue(user=user, created_by=make_staff())
    client = Client()
    client.get("/sign-in/", {"token": issued.token})
    assert assert_head_like_get(client, "/sign-in/set-password/").status_code == 200
    user.refresh_from_db()
    assert not user.has_usable_password() and SignInLink.objects.get().used_at is None


# --- uniform by construction: no view can forget HEAD again -------------------------------------

PRODUCT = ["commerce_portal", "merchants", "integrations", "staff", "codat_sandbox"]


def _python_files():
    for package in PRODUCT:
        yield from (ROOT / package).rglob("*.py")


def test_no_view_allows_get_without_head():
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "require_GET":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} require_GET (use require_safe)")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "require_http_methods":
                methods = [elt.value for elt in node.args[0].elts]
                if "GET" in methods and "HEAD" not in methods:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {methods}")
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "http_method_names" for t in node.targets):
                methods = [elt.value for elt in node.value.elts]
                if "get" in methods and "head" not in methods:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {methods}")
    assert offenders == []
