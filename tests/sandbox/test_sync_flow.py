"""The stand-in Sync Flow, over real HTTP: each code works once, within the TTL."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from codat_sandbox.models import SandboxCompany

pytestmark = pytest.mark.django_db(transaction=True)


def _mint(live_server, merchant="Bean & Leaf, Ltd. #42", redirect_url=None):
    params = {"merchantIdentifier": merchant}
    if redirect_url:
        params["redirectUrl"] = redirect_url
    response = httpx.get(
        f"{live_server.url}/sandbox/codat/config/sync/commerce/lqai/gbol/start",
        params=params,
        headers={"Authorization": "Basic c2FuZGJveA=="},  # base64("sandbox")
    )
    assert response.status_code == 200, response.text
    return response.json()["url"]


def test_minted_url_is_on_the_servers_origin_with_a_six_digit_code(live_server):
    url = _mint(live_server)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == live_server.url
    assert re.fullmatch(r"/sandbox/sync-flow/[0-9a-f-]{36}/lqai/gbol/start", parts.path)
    query = parse_qs(parts.query)
    assert re.fullmatch(r"\d{6}", query["otp"][0])
    assert query["merchantIdentifier"] == ["Bean & Leaf, Ltd. #42"]


def test_code_answers_200_once_then_401(live_server):
    url = _mint(live_server)
    first = httpx.get(url)
    assert first.status_code == 200
    assert "Set up your sales sync" in first.text and "Xero" in first.text
    again = httpx.get(url)
    assert again.status_code == 401
    assert "expired" in again.text


def test_code_answers_401_after_the_ttl(live_server, settings):
    settings.CODAT_SYNC_FLOW_CODE_TTL = 0.5
    url = _mint(live_server)
    time.sleep(0.7)
    assert httpx.get(url).status_code == 401


def test_code_injected_as_already_old_is_refused(live_server, sandbox_faults):
    sandbox_faults.inject("get-sync-flow-url", code_age=31, times=1)
    assert httpx.get(_mint(live_server)).status_code == 401
    assert httpx.get(_mint(live_server)).status_code == 200  # the fault was used up


def test_wrong_code_is_401(live_server):
    url = _mint(live_server)
    tampered = re.sub(r"otp=\d{6}", "otp=000000" if "otp=000000" not in url else "otp=111111", url)
    assert httpx.get(tampered).status_code == 401
    assert httpx.get(url).status_code == 200  # a wrong guess does not burn the real code


def test_finish_returns_to_the_redirect_url_and_marks_the_company_linked(live_server):
    url = _mint(live_server, redirect_url="http://portal.example/link/return/")
    with httpx.Client() as browser:
        page = browser.get(url)
        token = re.search(r'name="finish_token" value="([^"]+)"', page.text).group(1)
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        finished = browser.post(
            f"{live_server.url}{action}",
            data={"finish_token": token},
        )
        assert finished.status_code == 302
        assert finished.headers["Location"] == "http://portal.example/link/return/"
        again = browser.post(
            f"{live_server.url}{action}",
            data={"finish_token": token},
        )
        assert again.status_code == 401
    assert SandboxCompany.objects.get(merchant_identifier="Bean & Leaf, Ltd. #42").linked_at is not None


def test_start_refuses_a_relative_redirect_url(live_server):
    response = httpx.get(
        f"{live_server.url}/sandbox/codat/config/sync/commerce/lqai/gbol/start",
        params={"merchantIdentifier": "m", "redirectUrl": "app.codat.io"},
        headers={"Authorization": "Basic c2FuZGJveA=="},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "redirectUrl must be an absolute http(s) URL."


def test_sync_flow_pages_do_not_leak_the_code_as_a_referer(live_server):
    response = httpx.get(_mint(live_server))
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response.headers["Cache-Control"] or "max-age=0" in response.headers["Cache-Control"]


def test_control_endpoints_script_faults_and_count_calls(live_server):
    auth = {"Authorization": "Basic c2FuZGJveA=="}
    assert httpx.post(f"{live_server.url}/sandbox/control/faults", json={"operation": "get-sync-flow-url"}).status_code == 401
    created = httpx.post(f"{live_server.url}/sandbox/control/faults", json={"operation": "get-sync-flow-url", "status": 503, "times": 1}, headers=auth)
    assert created.status_code == 201
    failed = httpx.get(f"{live_server.url}/sandbox/codat/config/sync/commerce/lqai/gbol/start", headers=auth)
    assert failed.status_code == 503
    _mint(live_server)
    counts = httpx.get(f"{live_server.url}/sandbox/control/calls", headers=auth).json()["calls"]
    assert counts == {"get-sync-flow-url": 2}
    assert httpx.delete(f"{live_server.url}/sandbox/control/calls", headers=auth).status_code == 204
    assert httpx.get(f"{live_server.url}/sandbox/control/calls", headers=auth).json() == {"calls": {}}
