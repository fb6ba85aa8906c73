"""Per-merchant limits on hand-off starts, and throttled failed logins."""

import pytest
from django.core.management import call_command
from django.test import Client

from integrations.models import LinkAttempt
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db


def test_link_starts_are_limited_per_merchant(merchant_client, warm_cache, settings, django_user_model):
    settings.LINK_RATE_LIMIT = "3/m"
    statuses = [merchant_client.post("/link/", {"platform_key": "gbol"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    limited = merchant_client.post("/link/", {"platform_key": "gbol"})
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 61
    assert "Please wait a moment" in limited.content.decode()
    assert warm_cache.mints == 3 and LinkAttempt.objects.count() == 3


def test_the_limit_is_per_merchant(merchant_client, warm_cache, settings):
    settings.LINK_RATE_LIMIT = "1/m"
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 429
    _, other = make_merchant()
    second = Client()
    second.force_login(other)
    assert second.post("/link/", {"platform_key": "gbol"}).status_code == 302


def test_refused_selections_still_count_against_the_limit(merchant_client, warm_cache, settings):
    settings.LINK_RATE_LIMIT = "2/m"
    assert merchant_client.post("/link/", {"platform_key": "zzzz"}).status_code == 404
    assert merchant_client.post("/link/", {"platform_key": "zzzz"}).status_code == 404
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 429


def login(client, password):
    return client.post("/accounts/login/", {"username": "bean", "password": password}, REMOTE_ADDR="203.0.113.7")


def test_failed_logins_are_throttled_per_account_and_address(client, merchant_and_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    locked = login(client, "wrong")
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.content.decode()
    # even the right password is refused from there while locked
    assert login(client, "correct horse battery staple").status_code == 429
    # another address is not locked out of the same account
    other = client.post("/accounts/login/", {"username": "bean", "password": "correct horse battery staple"}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 302


def test_staff_can_unlock_an_account(client, merchant_and_user, settings, django_user_model):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong")
    assert login(client, "correct horse battery staple").status_code == 429
    call_command("axes_reset_username", "bean")
    assert login(client, "correct horse battery staple").status_code == 302


def test_staff_unlock_through_the_admin(client, merchant_and_user, settings, django_user_model):
    from axes.models import AccessAttempt
    from django.contrib.auth.models import Permission

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong")
    attempt = AccessAttempt.objects.get(username="bean")
    operator = django_user_model.objects.create_user("operator", password="x", is_staff=True)
    operator.user_permissions.set(Permission.objects.filter(codename__in=["view_accessattempt", "delete_accessattempt"]))
    admin = Client()
    admin.force_login(operator)
    assert "bean" in admin.get("/admin/axes/accessattempt/").content.decode()
    admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert login(client, "correct horse battery staple").status_code == 302


# --- limits that mean what they say (issue 15, item 8) -----------------------------------------


def test_staff_assisting_a_merchant_have_their_own_allowance(merchant_client, merchant, staff_client, warm_cache, settings):
    settings.LINK_RATE_LIMIT = "2/m"
    merchant_browser = Client()
    merchant_browser.force_login(merchant.memberships.get().user)
    assert [merchant_browser.post("/link/", {"platform_key": "gbol"}).status_code for _ in range(3)] == [302, 302, 429]
    # The merchant used theirs up: staff helping them on the phone still can ...
    assisted = [staff_client.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"}).status_code
                for _ in range(3)]
    assert assisted == [302, 302, 429]
    # ... and staff using theirs up takes nothing from the merchant's next window.
    assert LinkAttempt.objects.filter(assisted=True).count() == 2


def test_each_staff_member_has_an_allowance_per_merchant(merchant, warm_cache, settings):
    from tests.factories import make_staff

    settings.LINK_RATE_LIMIT = "1/m"
    other, _ = make_merchant()
    first, second = Client(), Client()
    first.force_login(make_staff("ana", permissions=["staff.assist_linking"]))
    second.force_login(make_staff("ben", permissions=["staff.assist_linking"]))
    assert first.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"}).status_code == 302
    assert first.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"}).status_code == 429
    assert second.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"}).status_code == 302
    assert first.post(f"/staff/merchants/{other.pk}/link/start/", {"platform_key": "gbol"}).status_code == 302


def test_the_limit_is_counted_in_the_database_not_the_per_process_cache(merchant_client, warm_cache, settings):
    from django.core.cache import cache

    settings.LINK_RATE_LIMIT = "2/m"
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    cache.clear()  # what another worker's local-memory cache looks like: empty
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    cache.clear()
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 429


def test_a_window_starts_again_once_it_has_passed(merchant_client, merchant, warm_cache, settings):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import RateLimitWindow

    settings.LINK_RATE_LIMIT = "1/m"
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 429
    RateLimitWindow.objects.update(started_at=timezone.now() - timedelta(seconds=61))
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
