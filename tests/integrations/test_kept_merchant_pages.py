"""The merchant's own pages kept rendered (commerce_portal.kept_pages): a repeat view renders no
template, yet says the same as a fresh render, carries a working CSRF token of its own, and the
next view after any change to what it shows is built afresh."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone

from codat_sandbox import controls
from commerce_portal import kept_pages
from integrations import views
from integrations.models import ConnectionSnapshot, Integration
from integrations.services import freshness, refresher
from integrations.services.companies import company_bind
from integrations.services.connections import connection_refresh
from integrations.services.offers_cache import OFFERING_TOKEN_KEY, forget_offers
from tests.factories import make_staff

# Writes commit as they happen (autocommit), so the tokens are dropped at once, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def shared_cache(settings):
    settings.SHARED_CACHE = True  # the tests' local-memory cache is one process's: shared enough here
    kept_pages.forget_all()  # as a fresh process
    yield
    kept_pages.forget_all()


def view(client, path="/"):
    """(HTML, whether it was rendered now): a kept page renders no template."""
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), bool(response.templates)


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


def linked(merchant) -> None:
    """Bound to a company in the sandbox, linked to Xero there, and the snapshot fresh."""
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 10)
    controls.link(company_id, "gbol")
    connection_refresh(merchant.pk, True)


def message_waiting(client, text: str) -> None:
    """A message left for the next page, as a redirect after a change leaves one (in its cookie)."""
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(messages.SUCCESS, text)])


@pytest.mark.parametrize("path", ["/", "/connection/"])
def test_a_repeat_view_is_the_kept_page_and_says_what_a_fresh_render_says(merchant_client, warm_cache, path):
    first, rendered = view(merchant_client, path)
    assert rendered
    again, rendered = view(merchant_client, path)
    assert not rendered and without_tokens(again) == without_tokens(first)
    kept_pages.forget_all()  # another process, which renders it
    fresh, rendered = view(merchant_client, path)
    assert rendered and without_tokens(fresh) == without_tokens(again)
    assert kept_pages.CSRF_MARKER not in first + again


def test_the_kept_pages_token_is_this_browsers_and_is_accepted(merchant_and_user, warm_cache):
    _, user = merchant_and_user
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    view(browser)
    html, rendered = view(browser)
    assert not rendered
    tokens = set(TOKEN.findall(html))
    assert len(tokens) == 1  # the tile form's and the log-out form's
    response = browser.post("/link/", {"platform_key": "gbol", "csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302  # to the Sync Flow; a token the cookie did not match: 403


def test_another_browser_gets_its_own_token(merchant_and_user, warm_cache):
    _, user = merchant_and_user
    one, two = Client(), Client()
    for browser in (one, two):
        browser.force_login(user)
    html_one, _ = view(one)
    html_two, rendered = view(two)
    assert not rendered
    assert one.cookies["csrftoken"].value != two.cookies["csrftoken"].value
    assert TOKEN.findall(html_one)[0] != TOKEN.findall(html_two)[0]


def test_a_renamed_merchant_and_a_renamed_login_show_at_once(merchant_client, merchant_and_user, warm_cache):
    merchant, user = merchant_and_user
    view(merchant_client)
    merchant.name = "Bean & Leaf Roasters"
    merchant.save()
    html, rendered = view(merchant_client)
    assert rendered and "Bean &amp; Leaf Roasters" in html
    user.first_name, user.last_name = "Ada", "Byron"
    user.save()
    assert "Ada Byron" in view(merchant_client)[0]


def test_a_connection_alert_written_by_update_shows_on_the_next_view(merchant_client, merchant, warm_cache):
    linked(merchant)
    html, _ = view(merchant_client)
    assert "stopped working" not in html and not view(merchant_client)[1]
    ConnectionSnapshot.objects.filter(pk=merchant.pk).update(alert="connection.disconnected", alert_at=timezone.now())
    html, rendered = view(merchant_client)
    assert rendered and "stopped working" in html


def test_a_change_to_the_offering_shows_on_the_next_view(merchant_client, warm_cache):
    html, _ = view(merchant_client)
    assert "Link your Xero account" in html
    Integration.objects.filter(key="gbol").update(enabled=False)
    forget_offers()  # as a catalogue refresh does once it has written
    html, rendered = view(merchant_client)
    assert rendered and "Link your Xero account" not in html


def test_a_page_holds_no_longer_than_the_offering_token(merchant_client, warm_cache):
    view(merchant_client)
    assert not view(merchant_client)[1]
    cache.delete(OFFERING_TOKEN_KEY)  # as when it runs out, OFFERS_CACHE_SECONDS after it was made
    assert view(merchant_client)[1]


def test_a_message_is_shown_once_and_the_page_after_it_is_kept_without_it(merchant_client, warm_cache):
    view(merchant_client)
    assert not view(merchant_client)[1]
    message_waiting(merchant_client, "Xero is disconnected.")
    html, rendered = view(merchant_client)
    assert rendered and "Xero is disconnected." in html
    html, rendered = view(merchant_client)
    assert not rendered and "Xero is disconnected." not in html


def test_the_next_sync_past_builds_the_connection_page_again(merchant_client, merchant, warm_cache, monkeypatch):
    linked(merchant)
    html, _ = view(merchant_client, "/connection/")
    assert "Expected after" in html
    assert not view(merchant_client, "/connection/")[1]
    later = timezone.now() + timedelta(days=1, hours=1)  # past the next daily sync
    monkeypatch.setattr(kept_pages.time, "time", later.timestamp)
    assert view(merchant_client, "/connection/")[1]


def test_a_kept_connection_page_still_starts_the_refresh_that_is_due(merchant_client, merchant, warm_cache,
                                                                     monkeypatch):
    linked(merchant)
    view(merchant_client, "/connection/")
    calls = warm_cache.total
    later = timezone.now() + timedelta(days=1)  # the snapshot is due by then
    monkeypatch.setattr(freshness.timezone, "now", lambda: later)
    assert not view(merchant_client, "/connection/")[1]  # kept: nothing it shows has changed yet
    refresher.wait_idle(timeout=10)
    assert warm_cache.total > calls  # and the view asked Codat again, in the background


def test_a_page_built_from_rows_read_before_a_write_is_never_served(merchant_client, merchant, warm_cache,
                                                                     monkeypatch):
    build = views.SelectView.build

    def build_then_a_write_lands(self):
        built = build(self)  # read the old name...
        if not getattr(build_then_a_write_lands, "done", False):
            build_then_a_write_lands.done = True
            merchant.name = "Renamed Meanwhile"
            merchant.save()  # ...and a write commits before the page is kept
        return built

    monkeypatch.setattr(views.SelectView, "build", build_then_a_write_lands)
    assert "Renamed Meanwhile" not in view(merchant_client)[0]
    html, rendered = view(merchant_client)
    assert rendered and "Renamed Meanwhile" in html


def test_staffs_view_of_a_merchants_page_is_never_kept(client, merchant, warm_cache):
    staff = make_staff(permissions=["staff.assist_linking"])
    client.force_login(staff)
    path = f"/staff/merchants/{merchant.pk}/link/"
    assert client.get(path).status_code == 200
    response = client.get(path)
    assert response.status_code == 200 and response.templates
    assert not kept_pages._pages


def test_without_a_shared_cache_nothing_is_kept(merchant_client, warm_cache, settings):
    settings.SHARED_CACHE = False  # per-process caches: a write in one worker could not reach the others
    view(merchant_client)
    assert view(merchant_client)[1] and not kept_pages._pages
