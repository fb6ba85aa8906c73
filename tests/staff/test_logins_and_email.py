"""Staff add another login to a merchant and email sign-in links (through a real SMTP server)."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model

from django_tasks_db.models import DBTaskResult
from merchants.models import Membership, SignInLink
from tests.factories import make_link_attempt, make_merchant
from tests.webhook_helpers import run_tasks

User = get_user_model()


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.mark.django_db
def test_add_another_login_shows_its_sign_in_link_once(staff_client, merchant):
    page = text(staff_client.get(f"/staff/merchants/{merchant.pk}/"))
    assert f'href="/staff/merchants/{merchant.pk}/logins/new/">Add another login' in page
    form = staff_client.get(f"/staff/merchants/{merchant.pk}/logins/new/")
    assert form.status_code == 200 and "Add another login for Bean & Leaf" in text(form)
    posted = staff_client.post(f"/staff/merchants/{merchant.pk}/logins/new/", {"contact_name": "Ravi Shah", "email": "ravi@bean.example"})
    user = User.objects.get(email="ravi@bean.example")
    assert Membership.objects.get(user=user).merchant == merchant and not user.has_usable_password()
    assert posted.status_code == 303
    assert posted["Location"] == f"/staff/merchants/{merchant.pk}/logins/{user.pk}/sign-in-link/issued/"
    shown = text(staff_client.get(posted["Location"]))
    assert "Hand over this sign-in link" in shown and "/sign-in/?token=" in shown
    assert "/sign-in/?token=" not in text(staff_client.get(posted["Location"]))  # once


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        ({"contact_name": "", "email": "x@bean.example"}, "Enter the person’s name."),
        ({"contact_name": "X", "email": "not-an-address"}, "Enter an email address in the form name@example.com."),
        ({"contact_name": "X", "email": "TAKEN@bean.example"}, "A login with this email address already exists."),
    ],
)
def test_add_another_login_refuses_bad_input_clearly(staff_client, merchant, data, message):
    make_merchant(username="taken", email="taken@bean.example")
    before = User.objects.count()
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/logins/new/", data)
    assert response.status_code == 400 and message in text(response)
    assert "<title>Error: Add another login" in text(response)
    assert User.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_link_emailed_reaches_a_real_smtp_server_and_works(staff_client, smtp, client):
    merchant, user = make_merchant(name="Harbour Café", username="noor", email="noor@harbour.example", password=None)
    detail = text(staff_client.get(f"/staff/merchants/{merchant.pk}/"))
    assert "Email a new sign-in link" in detail
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/logins/{user.pk}/sign-in-link/email/", follow=True)
    assert "A new sign-in link is on its way to noor@harbour.example." in text(response)
    assert "token" not in str(DBTaskResult.objects.get().args_kwargs)  # the worker makes the link
    assert not smtp.messages
    run_tasks()
    [(recipients, message)] = smtp.messages
    assert recipients == ["noor@harbour.example"]
    assert "Subject: Your sign-in link for Sandbox POS" in message
    url = re.search(r"http://testserver/sign-in/\?token=\S+", message).group(0)
    arrival = client.get(url.replace("http://testserver", ""))
    assert arrival.status_code == 302 and arrival["Location"] == "/sign-in/set-password/"
    assert SignInLink.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_emailing_by_get_sends_nothing(staff_client, merchant_and_user):
    merchant, user = merchant_and_user
    response = staff_client.get(f"/staff/merchants/{merchant.pk}/logins/{user.pk}/sign-in-link/email/")
    assert response.status_code == 405 and not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_the_list_shows_the_platform_tried_and_the_last_attempts_outcome(staff_client, merchant):
    make_link_attempt(merchant, platform_name="Exact (UK)", outcome="failed", failure_reason="timeout")
    html = text(staff_client.get("/staff/"))
    assert "Failed: Codat timed out" in html and "Exact (UK)" in html and "tried, not connected" in html
    assert "Last connection attempt" in html
