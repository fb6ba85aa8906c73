"""What a merchant page and a hand-off cost in round trips (issue 17): the login, membership,
merchant, company and connection snapshot in one query (integrations.auth), and none while the
login's entry is warm in the shared cache (integrations.login_cache); the session from the shared
cache when there is one, the offering from the cache. Counts, not timings: the benchmark
(bench/load.py) has the timings."""

from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from codat_sandbox import controls
from integrations.models import CompanyBinding
from integrations.services import side_writes

pytestmark = pytest.mark.django_db(transaction=True)  # snapshot refreshes run in worker threads


def product_queries(client, method, path, data=None) -> list[str]:
    """The queries a request makes, less the session's (one Redis GET with a shared cache, one query
    without) and the embedded sandbox's (Codat's own work, not ours)."""
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, data or {})
    assert response.status_code in (200, 302), response.content[:300]
    return [
        q["sql"] for q in captured.captured_queries
        if "django_session" not in q["sql"] and "codat_sandbox_" not in q["sql"]
        and q["sql"].split()[0] not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")  # the sandbox's transactions
    ]


@pytest.fixture
def linked(merchant_client, warm_live_cache, counting, settings):
    settings.SHARED_CACHE = True  # as in production (Redis): evictions reach every process
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    controls.link(CompanyBinding.objects.get().company_id, "gbol")
    assert merchant_client.get("/link/return/").status_code == 302  # reads Codat: a fresh snapshot
    counting.paths.clear()
    return merchant_client


@pytest.mark.parametrize("path", ["/", "/connection/"])
def test_a_merchant_page_is_one_query_then_none_and_no_codat_call(linked, counting, path, merchant_and_user):
    linked.get(path)  # the offering into the cache
    _, user = merchant_and_user
    user.save(update_fields=["first_name"])  # the login's cached entry forgotten
    queries = product_queries(linked, "get", path)
    assert len(queries) == 1, queries
    assert "merchants_merchant" in queries[0] and "integrations_connectionsnapshot" in queries[0]
    assert product_queries(linked, "get", path) == []  # the login's entry is warm
    assert counting.total == 0


def test_a_hand_off_writes_its_attempt_and_reads_nothing_else(linked, counting):
    linked.get("/")
    with writer_queries() as beside:
        queries = product_queries(linked, "post", "/link/", {"platform_key": "gbol"})
    # On the merchant's path (the login with its merchant from the cache, warm since the page):
    # one more start counted (LINK_RATE_LIMIT), then the outcome. Beside it while Codat mints
    # (services/side_writes): abandoned attempts closed, the attempt.
    assert [sql.split()[0] for sql in queries] == ["UPDATE", "UPDATE"], queries
    assert "integrations_ratelimitwindow" in queries[0] and "integrations_linkattempt" in queries[1]
    assert [sql.split()[0] for sql in beside] == ["UPDATE", "INSERT"], beside
    assert all("integrations_linkattempt" in sql for sql in beside)
    assert counting.mints == 1


@contextmanager
def writer_queries():
    """The queries the side writes' thread makes on its own connection during the block."""
    # connections["default"] read on that thread is its own connection (``connection`` would be whichever
    # thread reads it).
    captured = side_writes.submit(lambda: CaptureQueriesContext(connections["default"]).__enter__()).result()
    found = []
    yield found
    side_writes.submit(captured.__exit__, None, None, None).result()
    found += [q["sql"] for q in captured.captured_queries]


def test_a_deactivated_login_is_signed_out_on_its_next_page(linked, merchant_and_user):
    _, user = merchant_and_user
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = linked.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
