"""The stand-in Sync Flow, over real HTTP: each code works once, within the TTL, and really links.

Finish links the company's connections and configures its sync; Cancel records that the
merchant declined; a linked, configured merchant coming back sees the settings page.
"""

import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from codat_sandbox import controls
from codat_sandbox.models import SandboxConnection

pytestmark = pytest.mark.django_db(transaction=True)

AUTH = {"Authorization": "Basic c2FuZGJveA=="}  # base64("sandbox")
RETURN_URL = "http://portal.example/link/return/"


def _mint(live_server, merchant="Bean & Leaf, Ltd. #42", redirect_url=None, accounting_key="gbol"):
    params = {"merchantIdentifier": merchant}
    if redirect_url:
        params["redirectUrl"] = redirect_url
    response = httpx.get(
        f"{live_server.url}/sandbox/codat/config/sync/commerce/lqai/{accounting_key}/start",
        params=params,
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    return response.json()["url"]


@pytest.fixture
def company_id(live_server):
    response = httpx.post(f"{live_server.url}/sandbox/codat/companies", json={"name": "Bean & Leaf"}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _open(browser, url):
    """The Sync Flow page: (page, its form's action, the single-use token)."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    token = re.search(r'name="finish_token" value="([^"]+)"', page.text).group(1)
    return page, action, token


def _submit(live_server, url, action, **fields):
    with httpx.Client() as browser:
        page, form_action, token = _open(browser, url)
        return page, browser.post(f"{live_server.url}{form_action}", data={"finish_token": token, "action": action, **fields})


def _connections(company_id):
    return {c.platform_key: c for c in SandboxConnection.objects.filter(company_id=company_id)}


def _configuration(company_id):
    return controls.describe(company_id)["configuration"]


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


def test_start_refuses_a_relative_redirect_url(live_server):
    response = httpx.get(
        f"{live_server.url}/sandbox/codat/config/sync/commerce/lqai/gbol/start",
        params={"merchantIdentifier": "m", "redirectUrl": "app.codat.io"},
        headers=AUTH,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "redirectUrl must be an absolute http(s) URL."


def test_sync_flow_pages_do_not_leak_the_code_as_a_referer(live_server):
    response = httpx.get(_mint(live_server))
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response.headers["Cache-Control"] or "max-age=0" in response.headers["Cache-Control"]


def test_control_endpoints_script_faults_and_count_calls(live_server):
    auth = AUTH
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


# --- Finish, Cancel, and coming back ------------------------------------------------------


def test_the_set_up_page_offers_finish_and_cancel(live_server, company_id):
    page = httpx.get(_mint(live_server, company_id, redirect_url=RETURN_URL))
    assert "Set up your sales sync" in page.text and "Bean &amp; Leaf" in page.text
    assert re.search(r'<button type="submit" name="action" value="finish">Finish</button>', page.text)
    assert re.search(r'<button type="submit" name="action" value="cancel"[^>]*>Cancel</button>', page.text)
    assert '<html lang="en">' in page.text


def test_finish_links_both_connections_configures_the_sync_and_returns(live_server, company_id):
    url = _mint(live_server, company_id, redirect_url=RETURN_URL)
    pending = _connections(company_id)
    assert {key: c.status for key, c in pending.items()} == {"lqai": "PendingAuth", "gbol": "PendingAuth"}
    with httpx.Client() as browser:
        _, action, token = _open(browser, url)
        finished = browser.post(f"{live_server.url}{action}", data={"finish_token": token, "action": "finish"})
        assert finished.status_code == 302 and finished.headers["Location"] == RETURN_URL
        again = browser.post(f"{live_server.url}{action}", data={"finish_token": token, "action": "finish"})
        assert again.status_code == 401  # the token works once
    linked = _connections(company_id)
    assert {key: (c.id, c.status) for key, c in linked.items()} == {
        key: (c.id, "Linked") for key, c in pending.items()
    }
    configuration = _configuration(company_id)
    assert (configuration["configured"], configuration["enable"]) == (True, True)
    assert configuration["accountingSoftwareCompanyName"] == "Bean & Leaf"


def test_finish_reports_the_scripted_tenant_name(live_server, company_id):
    controls.set_tenant_name(company_id, "Bean and Leaf Trading Ltd")
    _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "finish")
    assert _configuration(company_id)["accountingSoftwareCompanyName"] == "Bean and Leaf Trading Ltd"


def test_cancel_leaves_the_accounting_connection_pending_with_an_error(live_server, company_id):
    _, cancelled = _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "cancel")
    assert cancelled.status_code == 302 and cancelled.headers["Location"] == RETURN_URL
    connections = _connections(company_id)
    assert {key: c.status for key, c in connections.items()} == {"lqai": "PendingAuth", "gbol": "PendingAuth"}
    (error,) = connections["gbol"].errors
    assert (error["statusCode"], error["statusText"], error["status"]) == ("403", "Forbidden", "Active")
    assert error["errorMessage"] == "The user cancelled authorisation."
    assert _configuration(company_id)["configured"] is False


def test_without_a_redirect_url_the_merchant_stays_in_the_sync_flow(live_server, company_id):
    _, finished = _submit(live_server, _mint(live_server, company_id), "finish")
    assert finished.status_code == 200 and "<h1>You&#x27;re all set</h1>" in finished.text


def test_a_linked_configured_merchant_coming_back_sees_the_settings_page(live_server, company_id):
    _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "finish")
    page, saved = _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "save")  # unticked
    assert "Sync settings" in page.text and "Set up your sales sync" not in page.text
    assert '<label for="enable">Sync sales automatically</label>' in page.text
    assert re.search(r'<input type="checkbox" id="enable" name="enable" checked>', page.text)
    assert "Save settings" in page.text and "Bean &amp; Leaf" in page.text
    assert saved.status_code == 302 and saved.headers["Location"] == RETURN_URL
    assert _configuration(company_id)["enable"] is False
    assert {c.status for c in _connections(company_id).values()} == {"Linked"}  # settings do not unlink

    page, _ = _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "save", enable="on")
    assert re.search(r'<input type="checkbox" id="enable" name="enable">', page.text)  # shown as stored: off
    assert _configuration(company_id)["enable"] is True


def test_coming_back_to_another_accounting_platform_sets_it_up(live_server, company_id):
    _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "finish")
    page = httpx.get(_mint(live_server, company_id, accounting_key="qhyg"))
    assert "Set up your sales sync" in page.text and "QuickBooks Online" in page.text


@pytest.mark.parametrize("status", ["Unlinked", "Deauthorized"])
def test_a_disconnected_merchant_sets_up_again_and_finish_reauthorises_the_same_connection(
    live_server, company_id, status
):
    _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "finish")
    xero = _connections(company_id)["gbol"]
    controls.set_connection_status(company_id, status=status, platform_key="gbol")
    page, finished = _submit(live_server, _mint(live_server, company_id, redirect_url=RETURN_URL), "finish")
    assert "Set up your sales sync" in page.text
    assert finished.status_code == 302
    again = _connections(company_id)["gbol"]
    assert (again.id, again.status) == (xero.id, "Linked")


def test_save_is_refused_on_the_set_up_page_and_unknown_actions_too(live_server, company_id):
    _, saved = _submit(live_server, _mint(live_server, company_id), "save", enable="on")
    assert saved.status_code == 401
    _, unknown = _submit(live_server, _mint(live_server, company_id), "explode")
    assert unknown.status_code == 401
    assert _configuration(company_id)["enable"] is False
    assert {c.status for c in _connections(company_id).values()} == {"PendingAuth"}
