"""The merchant list: status from connection snapshots, search, sort, pagination, in a fixed number of queries."""

import re
from html import unescape
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import ConnectionSnapshot
from merchants.models import Merchant
from staff.selectors import Status, merchant_list
from tests.factories import make_link_attempt, make_login

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=10)


def attempt(merchant, *, minutes: int, outcome: str, returned: bool = False, reason: str = ""):
    started = T0 + timedelta(minutes=minutes)
    return make_link_attempt(
        merchant,
        started_at=started,
        finished_at=started if outcome != "pending" else None,
        outcome=outcome,
        failure_reason=reason,
        returned_at=started + timedelta(minutes=5) if returned else None,
    )


def merchant(name, identifier=None, *, created_days_ago=0):
    created = Merchant.objects.create(name=name, identifier=identifier or name.lower())
    Merchant.objects.filter(pk=created.pk).update(created_at=timezone.now() - timedelta(days=created_days_ago))
    return created


def rows(response) -> list[tuple[str, str]]:
    """(merchant name, status label) for each row of the table."""
    html = response.content.decode()
    found = re.findall(
        r'class="data-table__primary" href="/staff/merchants/\d+/">([^<]+)</a>.*?<span class="status status--\w+">([^<]+)</span>',
        html,
        flags=re.S,
    )
    return [(unescape(name), unescape(label)) for name, label in found]


def snapshot(merchant, status: str, *, platform_name="Xero", fetched_minutes_ago=5):
    """What a refresh from Codat leaves behind, as far as the list reads it."""
    return ConnectionSnapshot.objects.create(
        merchant=merchant,
        company_id=f"company-{merchant.pk}",
        status=status,
        platform_name=platform_name,
        fetched_at=timezone.now() - timedelta(minutes=fetched_minutes_ago),
        expires_at=timezone.now() + timedelta(minutes=5),  # fresh: pages must not ask Codat
    )


@pytest.fixture
def scenarios():
    """One merchant per status, named for the status it must show; link attempts do not decide it."""
    never = merchant("Never")
    attempt(never, minutes=1, outcome="failed", reason="timeout")  # tried, but no company was ever made
    returned_only = merchant("Returned only")
    attempt(returned_only, minutes=1, outcome="redirected", returned=True)
    snapshot(returned_only, "not_finished")  # came back to /link/return/, but Codat says PendingAuth
    disconnected = merchant("Disconnected")
    snapshot(disconnected, "disconnected")
    attention = merchant("Attention")
    snapshot(attention, "needs_attention", platform_name="QuickBooks Online")
    linked = merchant("Linked")
    snapshot(linked, "linked")
    return {m.name: m for m in [never, returned_only, disconnected, attention, linked]}


EXPECTED = {
    "Never": "never_started",
    "Returned only": "not_finished",
    "Disconnected": "disconnected",
    "Attention": "needs_attention",
    "Linked": "linked",
}


def test_status_comes_from_the_connection_snapshot(scenarios):
    assert {m.name: m.status for m in merchant_list()} == EXPECTED


def test_the_list_shows_each_status_with_its_label_and_platform(staff_client, scenarios):
    response = staff_client.get("/staff/")
    assert response.status_code == 200
    assert dict(rows(response)) == {name: Status(status).label for name, status in EXPECTED.items()}
    html = response.content.decode()
    assert "QuickBooks Online" in html and "as of" in html


def test_platform_and_last_attempt(scenarios):
    by_name = {m.name: m for m in merchant_list()}
    assert by_name["Never"].platform_name == "" and by_name["Never"].status_as_of is None
    assert by_name["Never"].last_attempt_at == T0 + timedelta(minutes=1)
    assert by_name["Attention"].platform_name == "QuickBooks Online"
    assert by_name["Linked"].last_attempt_at is None


def test_status_filter(staff_client, scenarios):
    response = staff_client.get("/staff/", {"status": "linked"})
    assert [name for name, _ in rows(response)] == ["Linked"]
    assert "with status “Linked”" in response.content.decode()
    response = staff_client.get("/staff/", {"status": "never_started"})
    assert [name for name, _ in rows(response)] == ["Never"]
    # an unknown status is ignored, not an error
    assert len(rows(staff_client.get("/staff/", {"status": "bogus"}))) == len(EXPECTED)


def test_search_matches_name_or_identifier_case_insensitively(staff_client, db):
    merchant("Bean & Leaf", "POS-0042")
    merchant("Corner Deli", "pos-0043")
    merchant("Bakery", "x-1")
    assert [n for n, _ in rows(staff_client.get("/staff/", {"q": "bean"}))] == ["Bean & Leaf"]
    assert [n for n, _ in rows(staff_client.get("/staff/", {"q": "POS-004"}))] == ["Bean & Leaf", "Corner Deli"]
    response = staff_client.get("/staff/", {"q": "nothing like it"})
    assert rows(response) == [] and "No merchants matching “nothing like it”" in response.content.decode()


def test_search_input_is_escaped_and_bounded(staff_client, db):
    merchant("Plain")
    response = staff_client.get("/staff/", {"q": "<script>alert(1)</script>" + "x" * 500})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()
    # a NUL byte is not an error (PostgreSQL would refuse it in a query)
    response = staff_client.get("/staff/?q=Pl%00ain&page=%00&sort=%00&status=%00")
    assert response.status_code == 200 and [n for n, _ in rows(response)] == ["Plain"]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["alpha", "Bravo", "charlie", "Delta"]),
        ("-name", ["Delta", "charlie", "Bravo", "alpha"]),
        ("created", ["Bravo", "Delta", "alpha", "charlie"]),
        ("-created", ["charlie", "alpha", "Delta", "Bravo"]),
        ("status", ["Delta", "Bravo", "charlie", "alpha"]),  # never started, not finished, needs attention, linked
        ("-status", ["alpha", "charlie", "Bravo", "Delta"]),
        ("nonsense", ["alpha", "Bravo", "charlie", "Delta"]),  # falls back to name
    ],
)
def test_sorting(staff_client, db, sort, expected):
    snapshot(merchant("alpha", created_days_ago=2), "linked")
    snapshot(merchant("Bravo", created_days_ago=4), "not_finished")
    snapshot(merchant("charlie", created_days_ago=1), "needs_attention")
    merchant("Delta", created_days_ago=3)
    response = staff_client.get("/staff/", {"sort": sort})
    assert response.status_code == 200
    assert [name for name, _ in rows(response)] == expected


def test_column_headers_sort_and_say_how(staff_client, db):
    merchant("Only")
    html = staff_client.get("/staff/", {"sort": "name", "q": "on"}).content.decode()
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a class="sort-link" href="\?sort=-name&amp;q=on"', html)
    html = staff_client.get("/staff/", {"sort": "-created"}).content.decode()
    assert re.search(r'<th scope="col" aria-sort="descending"[^>]*>\s*<a class="sort-link" href="\?sort=created"', html)
    assert html.count("aria-sort=") == 1


def test_pagination_25_a_page_keeping_search_and_sort(staff_client, db):
    for n in range(30):
        merchant(f"Shop {n:02d}", f"shop-{n:02d}")
    merchant("Elsewhere", "else")
    first = staff_client.get("/staff/", {"q": "shop", "sort": "-name"})
    names = [n for n, _ in rows(first)]
    assert len(names) == 25 and names[0] == "Shop 29" and names[-1] == "Shop 05"
    html = first.content.decode()
    assert "1–25 of 30 merchants" in html and "Page 1 of 2" in html
    assert 'href="?q=shop&amp;sort=-name&amp;page=2" rel="next"' in html
    second = staff_client.get("/staff/", {"q": "shop", "sort": "-name", "page": 2})
    assert [n for n, _ in rows(second)] == [f"Shop {n:02d}" for n in range(4, -1, -1)]
    assert 'rel="prev"' in second.content.decode() and 'rel="next"' not in second.content.decode()
    # out-of-range and malformed page numbers land on a real page instead of failing
    assert [n for n, _ in rows(staff_client.get("/staff/", {"q": "shop", "sort": "-name", "page": 99}))][0] == "Shop 04"
    assert staff_client.get("/staff/", {"q": "shop", "page": "abc"}).status_code == 200


def test_the_list_costs_the_same_few_queries_however_many_merchants(staff_client, db, settings):
    settings.SHARED_CACHE = False  # what building the list costs (kept: tests/staff/test_merchant_list_cache.py)

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/staff/").status_code == 200
        # The session is read from Redis when the cache is shared, from the database otherwise.
        return [q["sql"] for q in captured.captured_queries if "django_session" not in q["sql"]]

    for n in range(3):
        m = merchant(f"Few {n}")
        attempt(m, minutes=n, outcome="redirected", returned=n == 0)
    few = queries()
    for n in range(40):
        m = merchant(f"Many {n}")
        attempt(m, minutes=1, outcome="failed", reason="timeout")
        attempt(m, minutes=2, outcome="redirected", returned=n % 2 == 0)
    many = queries()
    assert len(many) == len(few)
    # user (its membership with it), user and group permissions, the count, the page: no per-row queries
    assert len(many) == 5
    # statuses come from subqueries inside the page query (the count leaves them out)
    assert sum("integrations_linkattempt" in sql for sql in many) == 1


def test_the_detail_page_shows_logins_and_attempts_in_a_fixed_number_of_queries(staff_client, merchant_and_user):
    merchant, user = merchant_and_user
    for n in range(5):
        attempt(merchant, minutes=n, outcome="failed", reason="timeout")
    attempt(merchant, minutes=10, outcome="redirected", returned=True)
    snapshot(merchant, "linked")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(f"/staff/merchants/{merchant.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bean &amp; Leaf, Ltd. #42" in html and '<span class="status status--linked">Linked</span>' in html
    assert html.count("Codat timed out · LA-") == 5
    assert "Password set" in html and "No sign-in link issued." in html
    assert len(captured.captured_queries) <= 11  # a fixed number; one per section, not per row


def test_the_detail_page_costs_the_same_however_many_logins_and_links(staff_client, staff_user, merchant_and_user,
                                                                     settings):
    from merchants.services import sign_in_link_issue

    settings.SHARED_CACHE = False  # the login read each time, as on the first view (integrations/login_cache.py)

    merchant, user = merchant_and_user

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(f"/staff/merchants/{merchant.pk}/").status_code == 200
        return len(captured.captured_queries)

    sign_in_link_issue(user=user, created_by=staff_user)
    one = queries()
    for n in range(4):
        colleague = make_login(merchant, password=None)
        sign_in_link_issue(user=colleague, created_by=staff_user)
    assert queries() == one
