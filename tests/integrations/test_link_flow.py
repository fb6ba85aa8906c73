"""The merchant link flow through Django's full request stack, against the in-process sandbox."""

import base64
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from integrations.codat import use_client
from integrations.models import CompanyBinding, LinkAttempt
from integrations.services.link import LinkFailed, link_start
from tests.conftest import CountingTransport, sandbox_client

pytestmark = pytest.mark.django_db


def tiles(response) -> list[str]:
    return re.findall(r'<h2 class="tile__name">([^<]+)</h2>', response.content.decode())


def link_buttons(response) -> list[str]:
    return re.findall(r'<button type="submit" class="button" name="platform_key"[^>]*>(Link your [^<]+)</button>', response.content.decode())


def test_anonymous_merchants_are_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/"
    assert client.post("/link/", {"platform_key": "gbol"})["Location"].startswith("/accounts/login/")


def test_login_lands_on_the_selection_page(client, merchant_and_user, warm_cache):
    response = client.post(
        "/accounts/login/", {"username": "bean", "password": "correct horse battery staple"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Connect your accounting software" in response.content.decode()


def test_selection_page_offers_accounting_platforms_in_a_deliberate_order(merchant_client, warm_cache):
    response = merchant_client.get("/")
    assert response.status_code == 200
    # everything linkable A-Z (beta too), then coming soon; never our own connector, never other kinds
    assert tiles(response) == [
        "Exact (NL)", "Exact (UK)", "FreeAgent", "MYOB", "QuickBooks Online", "Xero",
        "Sage Business Cloud Accounting",
    ]
    assert link_buttons(response) == [
        "Link your Exact (NL) account", "Link your Exact (UK) account", "Link your FreeAgent account",
        "Link your MYOB account", "Link your QuickBooks Online account", "Link your Xero account",
    ]
    html = response.content.decode()
    assert "Sandbox POS</h2>" not in html and "Shopify" not in html and "Basiq" not in html
    sage = html[html.index("Sage Business Cloud Accounting</h2>"):]
    assert sage.index('<span class="badge badge--soon">Coming soon</span>') < sage.index("</li>")
    assert "<button" not in sage[: sage.index("</li>")]
    assert html.count('class="badge badge--beta"') == 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_selection_page_logos_come_from_our_origin_with_an_empty_alt_beside_the_name(merchant_client, warm_cache):
    html = merchant_client.get("/").content.decode()
    xero = re.search(r'<img src="([^"]+)" alt="([^"]*)"[^>]*>\s*<span class="monogram" aria-hidden="true" hidden>X</span>\s*</div>\s*<div class="tile__title">\s*<h2 class="tile__name">Xero<', html)
    src, alt = xero.groups()
    assert re.fullmatch(r"/logos/[0-9a-f]{64}\.png", src) and alt == ""  # the name beside it says it once
    assert merchant_client.get(src)["Content-Type"] == "image/png"


def test_accounting_connector_offers_commerce_platforms(merchant_client, warm_cache, settings):
    settings.CODAT_CONNECTOR_TYPE = "accounting"
    settings.CODAT_CONNECTOR_KEY = "gbol"
    response = merchant_client.get("/")
    assert tiles(response) == ["Clover", "Commerce Sandbox", "Lightspeed K", "Sandbox POS", "Shopify", "Zettle by PayPal"]
    handoff = merchant_client.post("/link/", {"platform_key": "fztf"})
    assert urlsplit(handoff["Location"]).path.endswith("/fztf/gbol/start")


def test_selecting_redirects_to_a_fresh_sync_flow_url(merchant_client, merchant, warm_cache):
    response = merchant_client.post("/link/", {"platform_key": "gbol", "merchantIdentifier": "someone-else"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.netloc == "testserver"
    assert re.fullmatch(r"/sandbox/sync-flow/[0-9a-f-]{36}/lqai/gbol/start", location.path)
    query = parse_qs(location.query)
    # The merchant's own Codat company (made on this first start), never the request's choice.
    assert query["merchantIdentifier"] == [CompanyBinding.objects.get(merchant=merchant).company_id]
    assert query["redirectUrl"] == ["http://testserver/link/return/"]
    assert re.fullmatch(r"\d{6}", query["otp"][0])
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert warm_cache.mints == 1
    attempt = LinkAttempt.objects.get()
    assert (attempt.outcome, attempt.mints, attempt.platform_key) == ("redirected", 1, "gbol")
    assert attempt.finished_at is not None and attempt.user.username == "bean" and not attempt.assisted


@pytest.mark.parametrize(
    "key, status, message",
    [
        ("zzzz", 404, "We don’t offer that platform."),
        ("dfxm", 404, "We don’t offer that platform."),  # a banking platform, not on the far side
        ("tgff", 400, "is coming soon and can’t be linked yet."),
        ("lqai", 400, "That is our own connector"),
        ("GBOL", 400, "That is not a valid platform key."),
        ("gb/ol", 400, "That is not a valid platform key."),
        ("x'; drop", 400, "That is not a valid platform key."),
        ("", 400, "Choose a platform from the list."),
    ],
)
def test_tampered_keys_are_refused_and_nothing_is_minted(merchant_client, warm_cache, key, status, message):
    response = merchant_client.post("/link/", {"platform_key": key})
    assert response.status_code == status
    assert message in response.content.decode().replace("&#x27;", "’").replace("'", "’")
    assert warm_cache.mints == 0
    assert not LinkAttempt.objects.exists()


def test_get_on_the_hand_off_mints_nothing(merchant_client, warm_cache):
    response = merchant_client.get("/link/?platform_key=gbol")
    assert response.status_code == 405
    assert warm_cache.mints == 0


def test_post_without_csrf_token_is_forbidden(merchant_and_user, warm_cache):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(merchant_and_user[1])
    response = browser.post("/link/", {"platform_key": "gbol"})
    assert response.status_code == 403
    assert "This page has expired" in response.content.decode()
    assert warm_cache.mints == 0


# A code is used only while younger than two thirds of its TTL: 0.6 s of 0.9 s, so a mint held 0.7 s is stale.
SHORT_CODE_TTL, SLOW_MINT_MS = 0.9, 700


def test_stale_first_code_is_minted_once_more(merchant_client, warm_cache, sandbox_faults, settings):
    settings.CODAT_SYNC_FLOW_CODE_TTL = SHORT_CODE_TTL
    sandbox_faults.inject("get-sync-flow-url", latency_ms=SLOW_MINT_MS, times=1)
    response = merchant_client.post("/link/", {"platform_key": "gbol"})
    assert response.status_code == 302 and "otp=" in response["Location"]
    assert warm_cache.mints == 2
    attempt = LinkAttempt.objects.get()
    assert (attempt.outcome, attempt.mints) == ("redirected_after_remint", 2)


def test_every_code_stale_gives_an_error_page_with_try_again(merchant_client, warm_cache, sandbox_faults, settings):
    settings.CODAT_SYNC_FLOW_CODE_TTL = SHORT_CODE_TTL
    sandbox_faults.inject("get-sync-flow-url", latency_ms=SLOW_MINT_MS)
    response = merchant_client.post("/link/", {"platform_key": "gbol"}, follow=True)
    attempt = LinkAttempt.objects.get()
    # Post/redirect/get: the failure page is a GET that a reload or Back can ask for again.
    assert response.redirect_chain == [(f"/link/failed/{attempt.pk}/", 303)]
    assert response.status_code == 504
    html = response.content.decode()
    assert "otp" not in response.redirect_chain[0][0]
    assert "otp=" not in html and "sync-flow" not in html  # ("otp" alone can occur in a random CSRF token)
    assert re.search(r'<form method="post" action="/link/"[^>]*>.*name="platform_key" value="gbol".*Try again', html, re.S)
    assert warm_cache.mints == 2
    attempt = LinkAttempt.objects.get()
    assert (attempt.outcome, attempt.failure_reason, attempt.mints) == ("failed", "stale_code", 2)


@pytest.mark.parametrize(
    "fault, status, reason",
    [
        (dict(status=503), 502, "upstream_error"),
        (dict(status=500), 502, "upstream_error"),
        (dict(status=401), 502, "rejected"),
        (dict(status=429, retry_after="120"), 503, "rate_limited"),
        (dict(status=200, body="<html>", content_type="text/html"), 502, "bad_response"),
    ],
)
def test_codat_failures_give_an_error_page_never_a_redirect(merchant_client, warm_cache, sandbox_faults, fault, status, reason):
    sandbox_faults.inject("get-sync-flow-url", **fault)
    response = merchant_client.post("/link/", {"platform_key": "gbol"}, follow=True)
    assert response.status_code == status
    assert "Try again" in response.content.decode()
    attempt = LinkAttempt.objects.get()
    assert (attempt.outcome, attempt.failure_reason) == ("failed", reason)
    if fault["status"] >= 400:
        assert len(attempt.correlation_id) == 32
        assert attempt.correlation_id in response.content.decode()
    if fault.get("retry_after"):
        assert response["Retry-After"] == "60"  # Codat said 120: clamped for the browser


def test_codat_timeout_gives_a_504(merchant_client, merchant_and_user, sandbox_faults, settings, db):
    from integrations.services.catalogue import catalogue_refresh

    transport = CountingTransport()
    with use_client(sandbox_client(transport, read_timeout=0.2, max_retries=0)):
        catalogue_refresh(force=True)
        sandbox_faults.inject("get-sync-flow-url", latency_ms=1000)
        response = merchant_client.post("/link/", {"platform_key": "gbol"}, follow=True)
    assert response.status_code == 504
    assert LinkAttempt.objects.get().failure_reason == "timeout"


def test_untrusted_sync_flow_host_is_refused(merchant, warm_cache):
    # Outside a web request the sandbox answers on its internal origin, which is not allowed.
    with pytest.raises(LinkFailed) as caught:
        link_start(merchant=merchant, user=None, platform_key="gbol", return_url="http://testserver/link/return/", request_host="testserver")
    assert caught.value.attempt.outcome == "failed"
    assert caught.value.attempt.failure_reason == "untrusted_host"


def test_nothing_secret_reaches_the_logs_errors_or_pages(merchant_client, merchant, warm_cache, settings, caplog):
    """The API key is on the wire in every call and the code in every redirect: they must show nowhere else."""
    caplog.set_level(logging.DEBUG)
    accepted, refused = "sbx-Quokka-7f3a9c41", "sbx-Wombat-0b1d2e58"
    settings.CODAT_SANDBOX_API_KEY = accepted  # the only key the sandbox takes
    with use_client(sandbox_client(warm_cache, api_key=accepted)):
        linked = merchant_client.post("/link/", {"platform_key": "gbol"})
    with use_client(sandbox_client(warm_cache, api_key=refused)):
        failed = merchant_client.post("/link/", {"platform_key": "gbol"}, follow=True)
        with pytest.raises(LinkFailed) as raised:
            link_start(merchant=merchant, user=None, platform_key="gbol", return_url="http://testserver/link/return/",
                       request_host="testserver")
    assert linked.status_code == 302 and failed.status_code == 502
    assert raised.value.attempt.failure_reason == "rejected"  # the sandbox refused the key: the error path ran
    secrets = [accepted, refused, *(base64.b64encode(key.encode()).decode() for key in (accepted, refused))]
    # Each was sent, so each could have leaked.
    assert {request.headers["Authorization"] for request in warm_cache.requests} == {f"Basic {s}" for s in secrets[2:]}

    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records)
    assert "get-sync-flow-url -> 200" in logged and "get-sync-flow-url -> 401" in logged
    codat_error = raised.value.__cause__  # LinkFailed is raised from Codat's error
    shown = [failed.content.decode(), str(raised.value), str(codat_error), repr(codat_error), str(vars(codat_error))]
    for secret in secrets:
        assert secret not in logged
        assert not any(secret in text for text in shown)
    otp = parse_qs(urlsplit(linked["Location"]).query)["otp"][0]
    assert otp not in logged and linked["Location"] not in logged


def test_users_without_a_merchant_get_a_clear_403(client, django_user_model, warm_cache):
    client.force_login(django_user_model.objects.create_user("drifter", password="x"))
    response = client.get("/")
    assert response.status_code == 403
    assert "isn’t linked to a merchant" in response.content.decode()


def test_the_failure_page_is_a_get_that_reloads_and_is_only_its_merchants(merchant_client, merchant, warm_cache, sandbox_faults):
    from tests.factories import make_merchant

    sandbox_faults.inject("get-sync-flow-url", status=429, retry_after="120")
    posted = merchant_client.post("/link/", {"platform_key": "gbol"})
    attempt = LinkAttempt.objects.get()
    assert posted.status_code == 303 and posted["Location"] == f"/link/failed/{attempt.pk}/"
    first = merchant_client.get(posted["Location"])
    assert first.status_code == 503 and first["Retry-After"] == "60"  # Codat said 120: clamped for the browser (issue 15)
    assert "no-store" in first["Cache-Control"] or "no-cache" in first["Cache-Control"]
    reloaded = merchant_client.get(posted["Location"])  # a reload: the same page, nothing minted again
    assert reloaded.status_code == 503 and "Try again" in reloaded.content.decode()
    assert warm_cache.mints == 1

    _, stranger = make_merchant(identifier="other-shop", name="Other Shop", username="other")
    other = Client()
    other.force_login(stranger)
    assert other.get(posted["Location"]).status_code == 404
    assert merchant_client.get(f"/link/failed/{attempt.pk + 1}/").status_code == 404
    assert merchant_client.post(posted["Location"]).status_code == 405


def test_a_merchant_cannot_open_an_assisted_attempts_failure_page(merchant_client, merchant, staff_user, warm_cache, sandbox_faults):
    sandbox_faults.inject("get-sync-flow-url", status=503)
    staff = Client()
    staff.force_login(staff_user)
    posted = staff.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"})
    attempt = LinkAttempt.objects.get()
    assert posted["Location"] == f"/staff/merchants/{merchant.pk}/link/failed/{attempt.pk}/"
    assert staff.get(posted["Location"]).status_code == 502
    assert merchant_client.get(f"/link/failed/{attempt.pk}/").status_code == 404
    assert merchant_client.get(posted["Location"]).status_code == 403
