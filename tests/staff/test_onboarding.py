"""Onboarding: merchant, first user and sign-in link together or not at all; bad input explains itself."""

import hashlib
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from merchants.models import Membership, Merchant
from merchants import services
from merchants.models import SignInLink

pytestmark = pytest.mark.django_db

User = get_user_model()
VALID = {
    "merchant_name": "Corner Deli",
    "identifier": "POS 0043 / Deli",
    "contact_name": "Amélie Dubois-Ng",
    "email": "Amelie.Dubois@Example.COM",
}


def counts():
    return (Merchant.objects.count(), User.objects.count(), Membership.objects.count(), SignInLink.objects.count())


def issued_url(response) -> str:
    match = re.search(r'<textarea id="sign-in-url"[^>]*>([^<]+)</textarea>', response.content.decode())
    return unescape(match.group(1))


def test_the_form_asks_for_the_four_things_with_labels(staff_client):
    response = staff_client.get("/staff/merchants/new/")
    html = response.content.decode()
    assert response.status_code == 200
    for field, label in [
        ("merchant_name", "Merchant name"),
        ("identifier", "Merchant identifier"),
        ("contact_name", "Their first user’s full name"),
        ("email", "Their first user’s email address"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in html
    assert 'aria-describedby="id_identifier_helptext"' in html
    assert "There’s a problem" not in html


def test_onboarding_creates_merchant_user_membership_and_a_link_in_one_go(staff_client, staff_user):
    posted = staff_client.post("/staff/merchants/new/", VALID)
    merchant = Merchant.objects.get(identifier="POS 0043 / Deli")
    user = Membership.objects.get(merchant=merchant).user
    shown_at = f"/staff/merchants/{merchant.pk}/logins/{user.pk}/sign-in-link/issued/"
    assert posted.status_code == 303 and posted["Location"] == shown_at
    response = staff_client.get(shown_at)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert merchant.name == "Corner Deli"
    user = Membership.objects.get(merchant=merchant).user
    assert user.username == "amelie.dubois@example.com"
    assert user.email == "Amelie.Dubois@example.com"  # the domain normalised, the mailbox as typed
    assert user.get_full_name() == "Amélie Dubois-Ng"
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser and not user.groups.exists()

    url = issued_url(response)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", "/sign-in/")
    token = parse_qs(parts.query)["token"][0]
    link = SignInLink.objects.get()
    assert link.user == user and link.created_by == staff_user
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    html = response.content.decode()
    assert 'data-copy="#sign-in-url"' in html and 'data-copy-status="#copy-status"' in html
    assert "Corner Deli is set up" in html and "amelie.dubois@example.com" in html


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"identifier": "bean & leaf, LTD. #42"}, "identifier", "A merchant with the identifier"),
        ({"identifier": " padded"}, "identifier", "can't start or end with a space"),
        ({"identifier": "tab\there"}, "identifier", "can't contain control characters"),
        ({"identifier": "x" * 101}, "identifier", "Use at most 100 characters."),
        ({"identifier": ""}, "identifier", "Enter a merchant identifier."),
        ({"email": "not-an-email"}, "email", "Enter an email address in the form name@example.com."),
        ({"email": "a@b"}, "email", "Enter an email address in the form name@example.com."),
        ({"email": ""}, "email", "Enter an email address."),
        ({"email": "BEAN@example.com"}, "email", "A login with this email address already exists."),
        ({"merchant_name": ""}, "merchant_name", "Enter the merchant’s name."),
        ({"merchant_name": "   "}, "merchant_name", "Enter the merchant’s name."),
        ({"contact_name": "  "}, "contact_name", "Enter the person’s name."),
        ({"merchant_name": "x" * 201}, "merchant_name", "Ensure this value has at most 200 characters"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else None,
)
def test_bad_input_gives_form_errors_and_creates_nothing(staff_client, merchant_and_user, change, field, message):
    merchant_and_user[1].email = "bean@example.com"
    merchant_and_user[1].save()
    before = counts()
    response = staff_client.post("/staff/merchants/new/", {**VALID, **change})
    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert counts() == before
    assert message in html
    # the summary links to the field, and the field points at its message
    assert re.search(rf'<li><a href="#id_{field}">[^<]*{re.escape(message[:20])}', html)
    assert f'id="id_{field}_error"' in html
    assert re.search(rf'<input[^>]*aria-describedby="[^"]*id_{field}_error[^"]*"[^>]*id="id_{field}"', html) or re.search(
        rf'<input[^>]*id="id_{field}"[^>]*aria-describedby="[^"]*id_{field}_error', html
    )
    assert "<title>Error: " in html
    # what was typed is kept
    if change.get("merchant_name", "x").strip() and field != "merchant_name":
        assert 'value="Corner Deli"' in html


def test_a_link_failure_rolls_back_the_merchant_and_user(staff_user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "sign_in_link_issue", broken)
    before = counts()
    with pytest.raises(RuntimeError):
        services.merchant_onboard(
            merchant_name="Rollback", identifier="rb-1", contact_name="R B", email="rb@example.com", created_by=staff_user
        )
    assert counts() == before


def test_an_identifier_taken_by_a_concurrent_request_becomes_a_form_error(staff_client, monkeypatch):
    """Both requests pass the checks; the database constraint stops the second; the user sees why."""
    real = services.validate_identifier
    calls = []

    def first_checks_miss_the_rival(value):
        calls.append(value)
        if len(calls) == 1:
            Merchant.objects.create(identifier=value.upper(), name="The rival")  # lands just after our check
        if len(calls) <= 2:  # onboarding's check and merchant_create's own both ran before the rival landed
            return value
        return real(value)

    monkeypatch.setattr(services, "validate_identifier", first_checks_miss_the_rival)
    before = counts()
    response = staff_client.post("/staff/merchants/new/", VALID)
    assert response.status_code == 400
    assert "A merchant with the identifier" in unescape(response.content.decode())
    assert counts() == (before[0] + 1, *before[1:])  # the rival's merchant only: ours rolled back whole
    assert len(calls) == 3  # the third is the re-check that names the field


def test_usernames_are_unique_even_when_an_email_was_reused_as_someone_elses_username(staff_client):
    User.objects.create_user(username="amelie.dubois@example.com", email="someone@else.com")
    assert staff_client.post("/staff/merchants/new/", VALID).status_code == 303
    assert User.objects.get(email__iexact=VALID["email"]).username == "amelie.dubois@example.com-2"


def test_an_email_django_refuses_as_a_username_is_tidied(staff_client):
    response = staff_client.post("/staff/merchants/new/", {**VALID, "email": "o'brien@example.com"})
    assert response.status_code == 303
    assert User.objects.get(email="o'brien@example.com").username == "o-brien@example.com"


def test_the_service_refuses_missing_names_itself(staff_user):
    with pytest.raises(ValidationError) as raised:
        services.merchant_onboard(
            merchant_name=" ", identifier="svc", contact_name="", email="svc@example.com", created_by=staff_user
        )
    assert set(raised.value.message_dict) == {"merchant_name", "contact_name"}
    assert not Merchant.objects.filter(identifier="svc").exists()


def test_merchant_create_keeps_its_contract(db):
    """The shared service the onboarding builds on: unusable password without one, errors on duplicates."""
    merchant, user = services.merchant_create(identifier="keep", name="Keep", username="keep")
    assert not user.has_usable_password() and user.membership.merchant == merchant
    with pytest.raises(ValidationError):
        services.merchant_create(identifier="KEEP", name="Again", username="keep2")


# --- one login per email, enforced by the database (issue 15, item 8) ----------------------------


def test_the_database_refuses_a_second_login_with_the_same_email_in_any_case(db):
    from django.contrib.auth import get_user_model
    from django.db import IntegrityError, transaction

    User = get_user_model()
    User.objects.create_user("first", email="Ama@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("second", email="ama@example.COM")
    User.objects.create_user("third", email="")  # logins without an email are not constrained
    User.objects.create_user("fourth", email="")


def test_concurrent_onboarding_with_the_same_email_is_a_form_error_not_a_second_login(staff_client, warm_cache, monkeypatch):
    """Another login with the email appears between our check and our insert (here inside our own
    transaction, so it is rolled back with it; in production the other request's commit)."""
    from django.contrib.auth import get_user_model

    from merchants import services

    real = services.username_for_email

    def racing(email):
        username = real(email)
        get_user_model().objects.create_user("the-other-request", email=email.upper())
        return username

    monkeypatch.setattr(services, "username_for_email", racing)
    response = staff_client.post(
        "/staff/merchants/new/",
        {"merchant_name": "Race Ltd", "identifier": "race-1", "contact_name": "Ria", "email": "ria@example.com"},
    )
    assert response.status_code == 400
    assert "A login with this email address already exists." in response.content.decode()
    from merchants.models import Merchant

    assert not Merchant.objects.filter(identifier="race-1").exists()


def test_reloading_the_hand_over_page_never_onboards_again(staff_client):
    posted = staff_client.post("/staff/merchants/new/", VALID)
    shown = staff_client.get(posted["Location"])
    assert "Hand over this sign-in link" in shown.content.decode()
    reloaded = staff_client.get(posted["Location"])
    html = unescape(reloaded.content.decode())
    assert reloaded.status_code == 200
    assert "already exists" not in html and "already been shown" in html and "Issue a new sign-in link" in html
    assert issued_url(shown) not in html
    assert counts() == (1, 2, 1, 1)  # the staff user and the merchant's login; one link
