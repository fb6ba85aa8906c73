"""Always a way onward: forgotten passwords, lock-outs, support contacts, expired sandbox links, unknown URLs."""

import re
import uuid
from html import unescape

import pytest
from django.test import Client

from django_tasks_db.models import DBTaskResult
from tests.factories import make_merchant, make_staff
from tests.webhook_helpers import run_tasks

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "lantern-Orchard-tuesday-58"
RESET_LINK = re.compile(r"http://testserver(/accounts/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def shopkeeper(db):
    return make_merchant(username="pat", email="pat@shop.example")[1]


def text(response) -> str:
    return unescape(response.content.decode())


def test_the_login_page_offers_forgot_your_password(client):
    html = text(client.get("/accounts/login/"))
    assert '<a href="/accounts/password-reset/">Forgot your password?</a>' in html


@pytest.mark.django_db(transaction=True)
def test_a_merchant_resets_their_password_by_email_through_a_real_smtp_server(client, shopkeeper, smtp):
    response = client.post("/accounts/password-reset/", {"email": "PAT@shop.example"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert not smtp.messages  # sent by the worker, not in the request
    token_args = DBTaskResult.objects.get().args_kwargs
    assert "token" not in str(token_args)  # the queue holds the user and origin, never a reset token
    run_tasks()
    [(recipients, message)] = smtp.messages
    assert recipients == ["pat@shop.example"]
    assert "Subject: Reset your Sandbox POS password" in message
    path = RESET_LINK.search(message).group(1)

    opened = client.get(path)  # Django swaps the token for one kept in the session
    assert opened.status_code == 302 and "set-password" in opened["Location"]
    form = client.get(opened["Location"])
    assert "Choose a new password" in text(form) and 'value="pat"' in text(form)
    weak = client.post(opened["Location"], {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200 and "This password is too common." in text(weak)
    done = client.post(opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/password-reset/done/"
    assert "Your password has been changed" in text(client.get(done["Location"]))
    logged_in = Client().post("/accounts/login/", {"username": "pat", "password": NEW_PASSWORD})
    assert logged_in.status_code == 302 and logged_in["Location"] == "/"
    # once used, the link is dead, and the page says what to do
    again = Client().get(path, follow=True)
    assert "This reset link no longer works" in text(again)
    assert 'href="/accounts/password-reset/"' in text(again)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["unknown", "staff", "superuser", "never_set"])
def test_no_reset_email_for_unknown_addresses_staff_or_logins_without_a_password(client, who, smtp, django_user_model):
    if who == "staff":
        staff = make_staff()
        staff.email = "who@shop.example"
        staff.save()
    elif who == "superuser":
        django_user_model.objects.create_superuser("op", "who@shop.example", "x-Operator-pass-1")
    elif who == "never_set":
        make_merchant(username="new", email="who@shop.example", password=None)
    response = client.post("/accounts/password-reset/", {"email": "who@shop.example"}, follow=True)
    # the same answer for all: the page tells no one who has an account
    assert "If that address belongs to a Sandbox POS merchant login" in text(response)
    run_tasks()
    assert smtp.messages == []


def test_a_bad_address_is_explained(client):
    response = client.post("/accounts/password-reset/", {"email": "not an address"})
    assert response.status_code == 200
    html = text(response)
    assert "<title>Error: Reset your password" in html and "Enter an email address like name@example.com." in html
    assert 'href="#id_email"' in html


def test_the_lock_out_page_says_how_long_and_leads_on(client, shopkeeper, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post("/accounts/login/", {"username": "pat", "password": "wrong"})
    assert locked.status_code == 429
    html = text(locked)
    assert "paused for 15 minutes" in html
    assert 'href="/accounts/login/">Back to log in' in html and 'href="/accounts/password-reset/">Reset your password' in html
    assert "ask your POS provider to unlock it" in html


@pytest.mark.parametrize(
    "email, url, shown",
    [
        ("", "", "your POS provider"),
        ("help@pos.example", "", 'Sandbox POS support at <a href="mailto:help@pos.example">help@pos.example</a>'),
        ("", "https://pos.example/help", '<a href="https://pos.example/help">Sandbox POS support</a>'),
        ("help@pos.example", "https://pos.example/help", '<a href="https://pos.example/help">Sandbox POS support</a> (<a href="mailto:help@pos.example">'),
    ],
)
def test_contact_support_comes_from_settings(client, settings, django_user_model, email, url, shown):
    settings.SUPPORT_EMAIL, settings.SUPPORT_URL = email, url
    client.force_login(django_user_model.objects.create_user("drifter", password="x"))
    no_merchant = client.get("/")
    assert no_merchant.status_code == 403 and shown in no_merchant.content.decode()
    reset = Client().get("/accounts/password-reset/")
    assert shown in reset.content.decode()


def test_the_sandbox_expired_page_links_back_to_the_portal(client):
    expired = client.get(f"/sandbox/sync-flow/{uuid.uuid4()}/pos/gbol/start", {"otp": "123456"})
    assert expired.status_code == 401
    assert 'href="http://testserver/">Back to the portal</a>' in expired.content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_urls_get_the_designed_404_even_with_debug_on(client, settings, debug):
    settings.DEBUG = debug
    for path in ("/no-such-page/", "/staff/merchants/999999/"):
        if path.startswith("/staff/"):
            client.force_login(make_staff(username=f"s{debug}{len(path)}"))
        response = client.get(path)
        assert response.status_code == 404
        html = response.content.decode()
        assert "We can’t find that page" in html and "URLconf" not in html and "Django" not in html


def test_append_slash_still_redirects_before_the_404(client, settings):
    settings.DEBUG = True
    response = client.get("/accounts/login")
    assert response.status_code == 301 and response["Location"] == "/accounts/login/"
