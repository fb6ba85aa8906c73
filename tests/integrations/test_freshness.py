"""The one freshness rule, on loaded values (is_due) and as a query (due_filter): they must agree."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import Integration
from integrations.services.freshness import ERROR_BACKOFF, due_filter, is_due, is_leased

NOW = timezone.now()
AGO, AHEAD = timedelta(seconds=-10), timedelta(seconds=10)

# (expires_at, error_at) as offsets from NOW (None: never), and whether the row is due.
CASES = {
    "never fetched": (None, None, True),
    "expired": (AGO, None, True),
    "expires this instant": (timedelta(0), None, True),
    "fresh": (AHEAD, None, False),
    "expired, failed just now": (AGO, AGO, False),  # Codat is down: not asked on every view
    "never fetched, failed just now": (None, AGO, False),
    "expired, failed one backoff ago": (AGO, -ERROR_BACKOFF, True),
    "expired, failed long ago": (AGO, -2 * ERROR_BACKOFF, True),
    "fresh, failed long ago": (AHEAD, -2 * ERROR_BACKOFF, False),
}


def at(offset):
    return None if offset is None else NOW + offset


@pytest.mark.parametrize("expires, error, due", CASES.values(), ids=CASES.keys())
def test_is_due(expires, error, due):
    assert is_due(at(expires), at(error), now=NOW) is due


@pytest.mark.django_db
def test_due_filter_agrees_with_is_due():
    for n, (expires, error, _) in enumerate(CASES.values()):
        Integration.objects.create(
            key=f"k{n:03d}", name=f"case {n}", listed_at=NOW, branding_expires_at=at(expires), branding_error_at=at(error)
        )
    due = set(
        Integration.objects.filter(due_filter(expires="branding_expires_at", error_at="branding_error_at", now=NOW))
        .values_list("name", flat=True)
    )
    assert due == {f"case {n}" for n, (*_, is_due_) in enumerate(CASES.values()) if is_due_}


@pytest.mark.parametrize("lease_until, leased", [(None, False), (AHEAD, True), (timedelta(0), False), (AGO, False)])
def test_is_leased(lease_until, leased):
    assert is_leased(at(lease_until), now=NOW) is leased
