"""The merchant list: link status from LinkAttempts, search, sort, pagination, in a fixed number of queries."""

import re
from html import unescape
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import LinkAttempt
from merchants.models import Merchant
from staff.selectors import LinkStatus, merchant_list

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=10)


def attempt(merchant, *, minutes: int, outcome: str, returned: bool = False, reason: str = ""):
    started = T0 + timedelta(minutes=minutes)
    return LinkAttempt.objects.create(
        merchant=merchant,
        platform_key="gbol",
        platform_name="Xero",
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


@pytest.fixture
def scenarios():
    """One merchant per way a history can look, each named for the status it must show."""
    never = merchant("Never")
    started = merchant("Started")
    attempt(started, minutes=1, outcome="redirected")
    pending = merchant("Pending")
    attempt(pending, minutes=1, outcome="pending")
    failed = merchant("Failed")
    attempt(failed, minutes=1, outcome="redirected")
    attempt(failed, minutes=2, outcome="failed", reason="timeout")
    recovered = merchant("Recovered")
    attempt(recovered, minutes=1, outcome="failed", reason="timeout")
    attempt(recovered, minutes=2, outcome="redirected_after_remint")
    linked = merchant("Linked")
    attempt(linked, minutes=1, outcome="redirected", returned=True)
    linked_then_failed = merchant("Linked then failed")
    attempt(linked_then_failed, minutes=1, outcome="redirected_after_remint", returned=True)
    attempt(linked_then_failed, minutes=2, outcome="failed", reason="upstream_error")
    return {m.name: m for m in [never, started, pending, failed, recovered, linked, linked_then_failed]}


EXPECTED = {
    "Never": "never_started",
    "Started": "started",
    "Pending": "started",  # an attempt still in progress has started
    "Failed": "failed",
    "Recovered": "started",  # the latest attempt decides, not an earlier failure
    "Linked": "linked",
    "Linked then failed": "linked",  # came back once: linked, whatever a later visit did
}


def test_status_is_computed_from_the_attempts(scenarios):
    assert {m.name: m.status for m in merchant_list()} == EXPECTED


def test_the_list_shows_each_status_with_its_label(staff_client, scenarios):
    response = staff_client.get("/staff/")
    assert response.status_code == 200
    assert dict(rows(response)) == {name: LinkStatus.LABELS[status] for name, status in EXPECTED.items()}


def test_linked_at_and_last_attempt_come_from_the_attempts(scenarios):
    by_name = {m.name: m for m in merchant_list()}
    assert by_name["Never"].linked_at is None and by_name["Never"].last_attempt_at is None
    assert by_name["Linked then failed"].linked_at == T0 + timedelta(minutes=6)
    assert by_name["Linked then failed"].last_attempt_at == T0 + timedelta(minutes=2)


def test_status_filter(staff_client, scenarios):
    response = staff_client.get("/staff/", {"status": "linked"})
    assert [name for name, _ in rows(response)] == ["Linked", "Linked then failed"]
    assert "with status “Linked”" in response.content.decode()
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
        ("status", ["Delta", "Bravo", "charlie", "alpha"]),  # never started, failed, started, linked
        ("-status", ["alpha", "charlie", "Bravo", "Delta"]),
        ("nonsense", ["alpha", "Bravo", "charlie", "Delta"]),  # falls back to name
    ],
)
def test_sorting(staff_client, db, sort, expected):
    alpha = merchant("alpha", created_days_ago=2)
    attempt(alpha, minutes=1, outcome="redirected", returned=True)
    bravo = merchant("Bravo", created_days_ago=4)
    attempt(bravo, minutes=1, outcome="failed", reason="timeout")
    charlie = merchant("charlie", created_days_ago=1)
    attempt(charlie, minutes=1, outcome="redirected")
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


def test_the_list_costs_the_same_few_queries_however_many_merchants(staff_client, db):
    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/staff/").status_code == 200
        return [q["sql"] for q in captured.captured_queries]

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
    # session, user, membership, user and group permissions, the count, the page: no per-row queries
    assert len(many) == 7
    # statuses come from subqueries inside the page query (the count leaves them out)
    assert sum("integrations_linkattempt" in sql for sql in many) == 1


def test_the_detail_page_shows_logins_and_attempts_in_a_fixed_number_of_queries(staff_client, merchant_and_user):
    merchant, user = merchant_and_user
    for n in range(5):
        attempt(merchant, minutes=n, outcome="failed", reason="timeout")
    attempt(merchant, minutes=10, outcome="redirected", returned=True)
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(f"/staff/merchants/{merchant.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bean &amp; Leaf, Ltd. #42" in html and '<span class="status status--linked">Linked</span>' in html
    assert html.count("Codat timed out · LA-") == 5
    assert "Password set" in html and "No sign-in link issued." in html
    assert len(captured.captured_queries) <= 10


def test_the_detail_page_costs_the_same_however_many_logins_and_links(staff_client, staff_user, merchant_and_user):
    from django.contrib.auth import get_user_model

    from merchants.models import Membership
    from merchants.services import sign_in_link_issue

    merchant, user = merchant_and_user

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(f"/staff/merchants/{merchant.pk}/").status_code == 200
        return len(captured.captured_queries)

    sign_in_link_issue(user=user, created_by=staff_user)
    one = queries()
    for n in range(4):
        colleague = get_user_model().objects.create_user(f"colleague{n}")
        Membership.objects.create(user=colleague, merchant=merchant)
        sign_in_link_issue(user=colleague, created_by=staff_user)
    assert queries() == one
