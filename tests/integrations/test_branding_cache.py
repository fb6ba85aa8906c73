"""The catalogue and branding cache: never wait on Codat, never serve a third-party image."""

import logging
import re
import threading
import time
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from integrations.codat import use_client
from integrations.models import CatalogueState, Integration, Logo
from integrations.services import refresher
from integrations.services.branding import branding_refresh
from integrations.services.catalogue import catalogue_refresh
from integrations.services.offers_cache import forget_offers
from integrations.services.refresh_all import branding_refresh_all
from tests.conftest import CountingTransport, sandbox_client

LOGO_SRC = re.compile(r'<img src="(/logos/[0-9a-f]{64}\.\w+)" alt="([^"]*)"')
MONOGRAM = re.compile(r'<span class="monogram" aria-hidden="true">([^<]+)</span>')


def expire_everything():
    """As if the TTL had passed: the entries expire, and so does the cached offering, which never outlives them."""
    past = timezone.now() - timedelta(seconds=1)
    CatalogueState.objects.update(expires_at=past)
    Integration.objects.update(branding_expires_at=past)
    forget_offers()


@pytest.mark.django_db
def test_warm_page_makes_no_codat_calls(merchant_client, counting):
    report = branding_refresh_all(force=True)  # a real fetch, as `make run` warms the cache
    assert report.ok and report.count("refreshed") == 14 and counting.branding_calls == 14
    counting.paths.clear()
    for _ in range(3):
        html = merchant_client.get("/").content.decode()
        assert len(LOGO_SRC.findall(html)) == 7 and not MONOGRAM.findall(html)
    assert counting.total == 0


@pytest.mark.django_db
def test_the_warm_cache_fixture_holds_what_a_real_refresh_leaves(warm_cache):
    """warm_cache copies one refresh per session (tests/conftest.py); it must not drift from a real one."""

    def rows():
        timestamps = {"listed_at", "branding_fetched_at", "branding_expires_at", "fetched_at", "expires_at", "id"}
        return [
            [{k: v for k, v in row.items() if k not in timestamps} for row in model.objects.order_by("pk").values()]
            for model in (CatalogueState, Integration, Logo)
        ]

    copied = rows()
    assert branding_refresh_all(force=True).ok
    assert rows() == copied and len(copied[2]) == 28


@pytest.mark.django_db
@pytest.mark.parametrize("shared", [False, True], ids=["per-process cache", "shared cache"])
def test_a_fresh_offering_is_served_from_the_cache(merchant_client, warm_cache, django_assert_max_num_queries, settings, shared):
    settings.SHARED_CACHE = shared
    merchant_client.get("/")
    with django_assert_max_num_queries(8) as captured:
        merchant_client.get("/")
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "integrations_integration" not in tables
    # Per process: one indexed look-up that the cached logos still exist (no image data read), see
    # the next tests. Shared: evictions drop the cached offering for everyone, so none.
    logo_queries = [query["sql"] for query in captured.captured_queries if "integrations_logo" in query["sql"]]
    assert len(logo_queries) == (0 if shared else 1) and not any('"data"' in sql for sql in logo_queries)


@pytest.mark.django_db
def test_refresh_and_evict_drop_the_cached_offering(merchant_client, warm_cache):
    from integrations.services.branding import branding_evict

    from integrations.models import Logo

    xero = Logo.objects.get(integration_id="gbol", variant="square").digest
    assert xero in merchant_client.get("/").content.decode()
    branding_evict("gbol")
    Integration.objects.filter(pk="gbol").update(branding_error_at=timezone.now())  # and Codat is failing
    assert xero not in merchant_client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_stale_entries_are_served_while_they_refresh(merchant_client, warm_cache, sandbox_faults):
    before = dict(Integration.objects.values_list("key", "branding_fetched_at"))
    expire_everything()
    sandbox_faults.inject("get-integration-branding", latency_ms=300)
    started = time.monotonic()
    html = merchant_client.get("/").content.decode()
    assert time.monotonic() - started < 0.3  # did not wait for the refresh
    assert len(LOGO_SRC.findall(html)) == 7
    assert refresher.wait_idle(timeout=15)
    after = dict(Integration.objects.values_list("key", "branding_fetched_at"))
    offered = ["qudb", "pbbf", "fbrh", "pdvj", "tgff", "qhyg", "gbol"]
    assert all(after[key] > before[key] for key in offered)
    assert warm_cache.count("/config/integrations") >= 1  # the catalogue refreshed too
    assert warm_cache.branding_calls == 7


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", [dict(status=500), dict(latency_ms=2000)], ids=["500", "timeout"])
def test_stale_entry_with_codat_failing_still_shows_the_cached_logo(merchant_client, merchant_and_user, sandbox_faults, fault):
    transport = CountingTransport()
    with use_client(sandbox_client(transport, read_timeout=0.3, max_retries=0)):
        catalogue_refresh(force=True)
        branding_refresh("gbol", force=True)
        logo_url = re.search(r"/logos/[0-9a-f]{64}\.png", merchant_client.get("/").content.decode()).group(0)
        expire_everything()
        sandbox_faults.inject("*", **fault)
        response = merchant_client.get("/")
        assert response.status_code == 200
        assert logo_url in response.content.decode()
        assert refresher.wait_idle(timeout=15)
    xero = Integration.objects.get(pk="gbol")
    assert xero.branding_error and xero.branding_fetched_at is not None
    assert merchant_client.get(logo_url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_cold_cache_with_codat_down_shows_monograms_and_link_buttons(merchant_client, counting, sandbox_faults):
    sandbox_faults.inject("*", status=503)  # every retry too (counting's client backs off briefly)
    started = time.monotonic()
    response = merchant_client.get("/")
    elapsed = time.monotonic() - started
    html = response.content.decode()
    assert response.status_code == 200
    assert elapsed < settings.CODAT_BRANDING_COLD_WAIT + 1.0
    assert "Xero" in MONOGRAM.findall(html) or "X" in MONOGRAM.findall(html)
    assert len(MONOGRAM.findall(html)) == 7 and not LOGO_SRC.findall(html)
    assert "Link your Xero account" in html and "Link your QuickBooks Online account" in html
    failure = merchant_client.post("/link/", {"platform_key": "gbol"}, follow=True)
    assert failure.status_code == 502 and "Try again" in failure.content.decode()


PENDING_LOGO = re.compile(r'<img src="/logos/for/([a-z]{4})/" alt=""')


@pytest.mark.django_db(transaction=True)
def test_cold_branding_never_holds_the_page_and_its_logo_url_stops_waiting_at_the_bound(merchant_client, sandbox_faults, settings):
    settings.CODAT_BRANDING_COLD_WAIT = 0.5
    catalogue_refresh(force=True)
    sandbox_faults.inject("get-integration-branding", latency_ms=1600)  # past the bound and the check below
    started = time.monotonic()
    html = merchant_client.get("/").content.decode()
    assert time.monotonic() - started < 1.5
    # Each tile points at its platform's logo-to-come, its monogram beside it for the page's script.
    assert sorted(PENDING_LOGO.findall(html)) == ["fbrh", "gbol", "pbbf", "pdvj", "qhyg", "qudb", "tgff"]
    assert html.count('<span class="monogram" aria-hidden="true" hidden>') == 7
    assert "Link your Xero account" in html
    assert merchant_client.get("/logos/for/gbol/").status_code == 404  # the fetch outlasts the bound
    refresher.wait_idle(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_cold_branding_is_not_waited_for_and_each_logo_url_answers_when_it_arrives(merchant_client, sandbox_faults):
    from django.test import Client

    catalogue_refresh(force=True)
    sandbox_faults.inject("get-integration-branding", latency_ms=200)
    html = merchant_client.get("/").content.decode()
    assert len(PENDING_LOGO.findall(html)) == 7 and not LOGO_SRC.findall(html)
    logo = merchant_client.get("/logos/for/gbol/")  # waits for the fetch the page started
    square = Logo.objects.get(integration_id="gbol", variant="square")
    assert logo.status_code == 200 and logo.content == bytes(square.data) and logo["Content-Type"] == "image/png"
    assert logo["Cache-Control"] == "public, no-cache" and logo["ETag"] == f'"{square.digest}"'
    assert Client().get("/logos/for/gbol/").status_code == 404  # only for someone logged in: nobody else waits
    assert merchant_client.get("/logos/for/GBOL/").status_code == 404
    refresher.wait_idle(timeout=5)
    html = merchant_client.get("/").content.decode()
    assert len(LOGO_SRC.findall(html)) == 7 and not PENDING_LOGO.findall(html)  # the immutable URLs now


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_cold_requests_fetch_each_key_at_most_once(live_server, merchant_and_user, client, sandbox_faults):
    client.force_login(merchant_and_user[1])
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    sandbox_faults.inject("get-integration-branding", latency_ms=300)
    sandbox_faults.inject("list-integrations", latency_ms=100)
    transport = CountingTransport()
    statuses, barrier = [], threading.Barrier(50)

    def view():
        with httpx.Client(cookies=cookies, timeout=30) as browser:
            barrier.wait()
            statuses.append(browser.get(f"{live_server.url}/").status_code)

    with use_client(sandbox_client(transport)):
        threads = [threading.Thread(target=view) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert refresher.wait_idle(timeout=30)
    assert statuses == [200] * 50
    assert transport.count("/config/integrations") - transport.branding_calls == 1  # the catalogue, once
    branding = {path: n for path, n in transport.paths.items() if path.endswith("/branding")}
    assert len(branding) == 7 and set(branding.values()) == {1}


@pytest.mark.django_db
def test_wrong_type_logo_is_rejected_logged_and_falls_back(warm_cache, sandbox_faults, caplog):
    caplog.set_level(logging.WARNING)
    previous = Logo.objects.get(integration_id="gbol", variant="square").digest
    sandbox_faults.inject("branding-image", status=200, content_type="text/html", body="<script>alert(1)</script>")
    assert branding_refresh("gbol", force=True)
    assert Logo.objects.get(integration_id="gbol", variant="square").digest == previous  # kept, not replaced
    assert "not an image type" in Integration.objects.get(pk="gbol").branding_error
    assert "logo gbol/full rejected" in caplog.text


@pytest.mark.django_db(transaction=True)  # the page view refreshes the other cold entries in the background
@pytest.mark.parametrize(
    "fault, problem",
    [
        (dict(content_type="image/png", body="\x89PNG\r\n\x1a\n", body_size=600 * 1024), "larger than 524288 bytes"),
        (dict(content_type="image/png", body='<svg xmlns="http://www.w3.org/2000/svg"/>'), "claims image/png but is image/svg+xml"),
        (dict(content_type="image/png", body="plain text"), "not a PNG, JPEG, GIF, WebP or SVG"),
    ],
    ids=["oversize", "mislabelled", "not-an-image"],
)
def test_bad_logos_on_a_cold_entry_leave_the_monogram(merchant_client, counting, sandbox_faults, fault, problem):
    catalogue_refresh(force=True)
    sandbox_faults.inject("branding-image", status=200, **fault)
    assert branding_refresh("gbol")
    assert not Logo.objects.filter(integration_id="gbol").exists()
    assert problem in Integration.objects.get(pk="gbol").branding_error
    html = merchant_client.get("/").content.decode()
    xero = html[html.index('<li class="tile">', html.index("Xero</h2>") - 600):html.index("Xero</h2>")]
    assert 'class="monogram"' in xero


@pytest.mark.django_db
def test_logos_are_served_immutable_with_etag_and_304(client, warm_cache):
    logo = Logo.objects.get(integration_id="gbol", variant="square")
    url = f"/logos/{logo.digest}.png"
    response = client.get(url)
    assert response.status_code == 200 and response.content == bytes(logo.data)
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["ETag"] == f'"{logo.digest}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    again = client.get(url, HTTP_IF_NONE_MATCH=f'"{logo.digest}"')
    assert again.status_code == 304 and again.content == b""
    assert client.get(f"/logos/{logo.digest}.svg").status_code == 404
    assert client.get(f"/logos/{'0' * 64}.png").status_code == 404


@pytest.mark.django_db
def test_svg_logos_cannot_run_script(client, warm_cache):
    logo = Logo.objects.get(integration_id="fbrh", variant="square")
    assert logo.content_type == "image/svg+xml"
    response = client.get(f"/logos/{logo.digest}.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@pytest.mark.django_db
def test_logo_hosts_are_restricted_outside_the_sandbox(settings, counting):
    catalogue_refresh(force=True)
    settings.CODAT_SANDBOX_ENABLED = False  # sandbox answers, but as if Codat's host list applied
    with use_client(sandbox_client(counting)):
        assert branding_refresh("gbol", force=True)
    assert "not in CODAT_LOGO_HOSTS" in Integration.objects.get(pk="gbol").branding_error
    assert counting.count("/sandbox/logos/") == 0  # never fetched


@pytest.mark.django_db
def test_empty_catalogue_is_not_taken_as_news(counting, sandbox_faults):
    from integrations.codat import CodatResponseError

    catalogue_refresh(force=True)
    sandbox_faults.inject("list-integrations", status=200, body='{"results": [], "pageNumber": 1, "pageSize": 100, "totalResults": 0, "_links": {"self": {"href": "/"}, "current": {"href": "/"}}}')
    with pytest.raises(CodatResponseError):
        catalogue_refresh(force=True)
    assert Integration.objects.count() == 14


def test_a_cached_offering_never_points_at_an_evicted_logo(merchant_client, warm_cache, settings):
    """Another process evicts Xero's logo; this process's cached offering still names it: monogram, not a 404."""
    from integrations.models import Logo

    settings.SHARED_CACHE = False  # each process's own memory (the default): evictions elsewhere go unheard

    first = merchant_client.get("/").content.decode()
    assert len(LOGO_SRC.findall(first)) == 7
    Logo.objects.filter(integration_id="gbol").delete()  # as another process's eviction does: our cache is not told
    html = merchant_client.get("/").content.decode()
    sources = [src for src, _ in LOGO_SRC.findall(html)]
    assert len(sources) == 6 and MONOGRAM.findall(html) == ["X"]
    for src in sources:
        assert merchant_client.get(src).status_code == 200  # every image on the page resolves


def test_with_a_shared_cache_a_warm_page_asks_the_database_nothing_about_logos(merchant_client, warm_cache, settings):
    """A shared cache (Redis) is dropped for every process on evict and refresh: no per-view check."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SHARED_CACHE = True
    merchant_client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert merchant_client.get("/").status_code == 200
    assert not [q for q in queries.captured_queries if "integrations_logo" in q["sql"]]


def test_tile_logos_have_empty_alt_beside_the_name_and_a_hidden_monogram_to_fall_back_to(merchant_client, warm_cache):
    html = merchant_client.get("/").content.decode()
    assert {alt for _, alt in LOGO_SRC.findall(html)} == {""}
    assert html.count("data-logo-fallback") == 7
    assert html.count('<span class="monogram" aria-hidden="true" hidden>') == 7


def test_each_link_button_has_an_empty_live_region_beside_it_and_no_template_comment_leaks(merchant_client, warm_cache):
    html = merchant_client.get("/").content.decode()
    assert html.count('<div class="link-wait" role="status" data-link-wait></div>') == html.count("Link your ") == 6
    assert "{#" not in html and "#}" not in html
