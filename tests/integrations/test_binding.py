"""Each merchant is bound to exactly one Codat company, made on its first link start."""

import threading
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections as db_connections
from django.test import Client

from codat_sandbox import controls
from integrations.codat import CodatTimeoutError
from integrations.models import CompanyBinding, ConnectionSnapshot, LinkAttempt
from integrations.services.companies import company_bind, company_name
from tests.conftest import CountingTransport, sandbox_client
from tests.factories import make_merchant


@pytest.mark.parametrize(
    "identifier, pk, expected",
    [
        ("Bean & Leaf, Ltd. #42", 7, "Bean & Leaf, Ltd. 42"),  # '#' is outside Codat's name pattern
        ("Café—Crème (Paris)", 7, "Cafe-Creme Paris"),  # accents keep their letter, dashes become "-"
        ("  spaced\tout  ", 7, "spaced out"),
        ("#*%", 9, "merchant-9"),  # nothing left
    ],
)
def test_company_name_keeps_only_what_codat_accepts(identifier, pk, expected):
    assert company_name(SimpleNamespace(identifier=identifier, pk=pk)) == expected


@pytest.mark.django_db
def test_the_first_link_start_creates_the_company_and_later_ones_reuse_it(merchant_client, merchant, warm_cache):
    first = merchant_client.post("/link/", {"platform_key": "gbol"})
    binding = CompanyBinding.objects.get(merchant=merchant)
    company = controls.describe(binding.company_id)
    assert company["name"] == "Bean & Leaf, Ltd. 42"
    assert "Bean & Leaf, Ltd. #42" in company["description"] and "Bean & Leaf" in company["description"]
    assert company["tags"] == {
        "merchantIdentifier": "Bean & Leaf, Ltd. #42",
        "merchantName": "Bean & Leaf",
        "portalMerchantId": str(merchant.pk),
    }
    second = merchant_client.post("/link/", {"platform_key": "qhyg"})
    minted_for = {parse_qs(urlsplit(r["Location"]).query)["merchantIdentifier"][0] for r in (first, second)}
    assert minted_for == {binding.company_id}
    assert warm_cache.count("/companies") - warm_cache.count("/companies/") == 1  # one create-company
    snapshot = ConnectionSnapshot.objects.get(merchant=merchant)
    assert (snapshot.company_id, snapshot.status, snapshot.fetched_at) == (binding.company_id, "not_finished", None)


@pytest.mark.django_db
def test_codat_refusing_to_create_the_company_fails_the_attempt_and_binds_nothing(merchant_client, warm_cache, sandbox_faults):
    sandbox_faults.inject("create-company", status=503, times=1)
    response = merchant_client.post("/link/", {"platform_key": "gbol"}, follow=True)
    assert response.status_code == 502 and "Try again" in response.content.decode()
    assert warm_cache.mints == 0 and warm_cache.count("/companies") == 1  # a POST is never retried
    assert LinkAttempt.objects.get().failure_reason == "upstream_error"
    assert not CompanyBinding.objects.filter(company_id__isnull=False).exists()
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302  # the next start binds


@pytest.mark.django_db
def test_a_lost_answer_is_not_a_second_company(merchant, sandbox_faults, settings):
    """Codat created the company but its answer never came: the next attempt adopts it."""
    sandbox_faults.inject("create-company", latency_ms=500, times=1)
    client = sandbox_client(read_timeout=0.1)
    with pytest.raises(CodatTimeoutError):
        company_bind(merchant=merchant, deadline=time.monotonic() + 5, codat=client)
    assert len(controls.companies()) == 1
    transport = CountingTransport()
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 5, codat=sandbox_client(transport))
    assert [c["id"] for c in controls.companies()] == [company_id]
    assert transport.count("/companies") == 1 and transport.requests[0].method == "GET"  # listed, not created


@pytest.mark.django_db
def test_a_merchant_with_a_company_never_calls_create_again(merchant):
    transport = CountingTransport()
    first = company_bind(merchant=merchant, deadline=time.monotonic() + 5, codat=sandbox_client(transport))
    second = company_bind(merchant=merchant, deadline=time.monotonic() + 5, codat=sandbox_client(transport))
    assert first == second and transport.total == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_clicks_make_one_company(warm_live_cache, sandbox_faults):
    """Two browsers click at once; Codat is slow to create, so both are in flight together."""
    merchant, user = make_merchant(identifier="Racer", username="racer")
    sandbox_faults.inject("create-company", latency_ms=300)
    barrier = threading.Barrier(4)
    statuses = []

    def click():
        browser = Client()
        browser.force_login(user)
        barrier.wait()
        statuses.append(browser.post("/link/", {"platform_key": "gbol"}).status_code)
        db_connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [302] * 4
    assert len(controls.companies()) == 1
    company_id = CompanyBinding.objects.get(merchant=merchant).company_id
    assert controls.companies()[0]["id"] == company_id
