"""One-time sign-in links: open, set a password (validated), land on the selection page; once, before expiry."""

import hashlib
import logging
import threading
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.utils import timezone

from merchants.models import SignInLink
from merchants.selectors import SignInLinkState
from merchants.services import SignInLinkUnusable, sign_in_link_issue, sign_in_link_redeem
from tests.factories import make_merchant, make_staff

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "plum-orchard-Tuesday-47"


@pytest.fixture
def newcomer(db):
    """A freshly onboarded merchant's user: no password yet."""
    merchant, user = make_merchant(
        identifier="deli-43", name="Corner Deli", username="amelie@example.com", email="amelie@example.com",
        first_name="Amélie Dubois", password=None,
    )
    return user


@pytest.fixture
def issued(newcomer, staff_user):
    return sign_in_link_issue(user=newcomer, created_by=staff_user)


def open_link(client, token, *, follow=False):
    """What opening the link does; with follow, the page the browser ends up showing."""
    response = client.get("/sign-in/", {"token": token}, follow=follow)
    if follow:
        assert response.redirect_chain == [("/sign-in/set-password/", 302)]  # never an error at the token's URL
    return response


def set_password(client, password=GOOD_PASSWORD, again=None, *, reference=None):
    """Submit the form as a browser would: with the link reference the page it shows carries."""
    if reference is None:
        reference = form_reference(client.get("/sign-in/set-password/"))
    data = {"new_password1": password, "new_password2": again or password}
    if reference:
        data["link"] = reference
    return client.post("/sign-in/set-password/", data)


def form_reference(response) -> str:
    html = response.content.decode()
    marker = 'name="link" value="'
    return html.split(marker, 1)[1].split('"', 1)[0] if marker in html else ""


def text(response) -> str:
    return unescape(response.content.decode())


def test_only_a_hash_of_the_token_is_stored_and_the_link_expires_after_the_setting(newcomer, staff_user, settings):
    settings.SIGN_IN_LINK_TTL = 3600
    issued = sign_in_link_issue(user=newcomer, created_by=staff_user)
    link = SignInLink.objects.get()
    assert len(issued.token) >= 43  # 32 random bytes
    assert link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    stored = " ".join(str(value) for value in SignInLink.objects.values().get().values())
    assert issued.token not in stored
    assert link.expires_at - link.created_at == timedelta(seconds=3600)
    assert issued.token not in repr(issued)


def test_a_link_lasts_72_hours_by_default(newcomer, staff_user):
    link = sign_in_link_issue(user=newcomer, created_by=staff_user).link
    assert link.expires_at - link.created_at == timedelta(hours=72)


def test_open_set_password_and_land_on_the_selection_page(client, issued, newcomer, warm_cache):
    opened = open_link(client, issued.token)
    assert opened.status_code == 302 and opened["Location"] == "/sign-in/set-password/"
    assert opened["Referrer-Policy"] == "no-referrer" and "no-store" in opened["Cache-Control"]

    form = client.get("/sign-in/set-password/")
    html = text(form)
    assert form.status_code == 200
    assert "<h1>Set your password</h1>" in html and "Welcome, Amélie Dubois" in html and "Corner Deli" in html
    assert 'value="amelie@example.com" autocomplete="username" readonly' in html
    assert 'autocomplete="new-password"' in html
    assert issued.token not in html

    done = set_password(client)
    assert done.status_code == 302 and done["Location"] == "/"
    newcomer.refresh_from_db()
    assert newcomer.check_password(GOOD_PASSWORD)
    assert SignInLink.objects.get().used_at is not None
    assert int(client.session["_auth_user_id"]) == newcomer.pk
    landing = client.get("/")
    assert landing.status_code == 200 and "Connect your accounting software" in text(landing)


def test_the_same_link_again_is_refused_with_410(client, issued):
    open_link(client, issued.token)
    set_password(client)
    again = open_link(Client(), issued.token, follow=True)
    assert again.status_code == 410
    assert "This sign-in link has already been used" in text(again)
    assert "ask Sandbox POS staff" in text(again)


@pytest.mark.parametrize(
    "password, message",
    [
        ("amelie@example", "The password is too similar to the"),
        ("password123", "This password is too common."),
        ("Xy7!", "This password is too short."),
        ("4815162342874", "This password is entirely numeric."),
    ],
)
def test_the_password_validators_apply(client, issued, newcomer, password, message):
    open_link(client, issued.token)
    response = set_password(client, password)
    assert response.status_code == 400
    assert message in text(response)
    assert '<a href="#id_new_password1">' in text(response)  # the summary points at the password itself
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()
    assert SignInLink.objects.get().used_at is None
    assert "_auth_user_id" not in client.session
    # and the link still works once the password is acceptable
    assert set_password(client).status_code == 302


def test_mismatched_passwords_are_refused(client, issued):
    open_link(client, issued.token)
    response = set_password(client, GOOD_PASSWORD, "something-else-entirely-9")
    assert response.status_code == 400
    assert "The two password fields didn’t match." in text(response)


def test_an_expired_link_is_refused_with_410(client, issued):
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = open_link(client, issued.token, follow=True)
    assert response.status_code == 410
    assert "This sign-in link has expired" in text(response)
    assert "ask Sandbox POS staff" in text(response)


def test_a_link_that_expires_while_the_form_is_open_sets_nothing(client, issued, newcomer):
    open_link(client, issued.token)
    assert client.get("/sign-in/set-password/").status_code == 200
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = set_password(client)
    assert response.status_code == 410 and "expired" in text(response)
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()
    assert "_auth_user_id" not in client.session


def test_issuing_a_new_link_voids_the_old_one(client, issued, newcomer, staff_user):
    newer = sign_in_link_issue(user=newcomer, created_by=staff_user)
    old = SignInLink.objects.get(token_hash=hashlib.sha256(issued.token.encode()).hexdigest())
    assert old.voided_at is not None and newer.link.voided_at is None
    refused = open_link(client, issued.token, follow=True)
    assert refused.status_code == 410 and "This sign-in link has been replaced" in text(refused)
    assert open_link(client, newer.token).status_code == 302


def test_voiding_while_the_form_is_open_sets_nothing(client, issued, newcomer, staff_user):
    open_link(client, issued.token)
    sign_in_link_issue(user=newcomer, created_by=staff_user)
    response = set_password(client)
    assert response.status_code == 410 and "has been replaced" in text(response)
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_a_double_submit_spends_the_link_once(issued, newcomer):
    first, second = Client(), Client()
    open_link(first, issued.token)
    open_link(second, issued.token)
    assert set_password(first).status_code == 302
    late = set_password(second, "another-Password-entirely-5")
    assert late.status_code == 410 and "already been used" in text(late)
    newcomer.refresh_from_db()
    assert newcomer.check_password(GOOD_PASSWORD)
    assert "_auth_user_id" not in second.session


def test_redeeming_a_stale_copy_of_a_spent_link_raises(issued):
    link = SignInLink.objects.select_related("user").get()
    stale = SignInLink.objects.select_related("user").get()
    sign_in_link_redeem(link=link, password=GOOD_PASSWORD)
    with pytest.raises(SignInLinkUnusable) as refused:
        sign_in_link_redeem(link=stale, password="another-Password-entirely-5")
    assert refused.value.state == SignInLinkState.USED


@pytest.mark.django_db(transaction=True)
def test_concurrent_redeems_let_exactly_one_through(newcomer_tx):
    user, issued = newcomer_tx
    barrier = threading.Barrier(4)
    outcomes = []

    def redeem(n):
        try:
            link = SignInLink.objects.select_related("user").get()
            barrier.wait(timeout=10)
            sign_in_link_redeem(link=link, password=f"racing-Password-{n}-x")
            outcomes.append(("ok", n))
        except SignInLinkUnusable as refused:
            outcomes.append((refused.state, n))
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(state for state, _ in outcomes) == ["ok", "used", "used", "used"]
    winner = next(n for state, n in outcomes if state == "ok")
    user.refresh_from_db()
    assert user.check_password(f"racing-Password-{winner}-x")


@pytest.fixture
def newcomer_tx(transactional_db):
    merchant, user = make_merchant(username="race@example.com", password=None)
    return user, sign_in_link_issue(user=user, created_by=make_staff())


@pytest.mark.parametrize("query", [{}, {"token": ""}, {"token": "not-a-real-token"}, {"token": "x" * 5000}])
def test_unknown_tokens_get_404(client, issued, query):
    response = client.get("/sign-in/", query, follow=True)
    assert response.redirect_chain == [("/sign-in/set-password/", 302)]
    assert response.status_code == 404
    assert "We don’t recognise this sign-in link" in text(response)


def test_a_refusal_survives_a_reload_and_a_new_link_clears_it(client, issued, newcomer, staff_user):
    sign_in_link_issue(user=newcomer, created_by=staff_user)
    assert open_link(client, issued.token, follow=True).status_code == 410
    assert client.get("/sign-in/set-password/").status_code == 410
    newest = sign_in_link_issue(user=newcomer, created_by=staff_user)
    assert open_link(client, newest.token, follow=True).status_code == 200


def test_back_to_the_form_after_setting_the_password_says_the_link_is_used(client, issued):
    open_link(client, issued.token)
    set_password(client)
    response = client.get("/sign-in/set-password/")
    assert response.status_code == 410 and "already been used" in text(response)


def test_the_set_password_page_without_an_opened_link_is_404(client, db):
    assert client.get("/sign-in/set-password/").status_code == 404
    assert set_password(client).status_code == 404


def test_a_deactivated_user_cannot_use_their_link(client, issued, newcomer):
    get_user_model().objects.filter(pk=newcomer.pk).update(is_active=False)
    response = open_link(client, issued.token, follow=True)
    assert response.status_code == 410 and "switched off" in text(response)


def test_a_login_removed_from_its_merchant_cannot_use_its_link(client, issued, newcomer):
    newcomer.membership.delete()
    response = open_link(client, issued.token, follow=True)
    assert response.status_code == 410 and "switched off" in text(response)


def test_links_are_only_for_merchants_logins(staff_user, newcomer):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    for target in [admin, staff_user]:
        with pytest.raises(PermissionDenied):
            sign_in_link_issue(user=target, created_by=staff_user)
    assert not SignInLink.objects.exists()


def test_a_logged_in_staff_member_opening_the_link_is_told_whose_login_it_is(staff_client, issued, newcomer, staff_user):
    open_link(staff_client, issued.token)
    html = text(staff_client.get("/sign-in/set-password/"))
    assert "You’re logged in as Sam Okafor. Setting this password logs you in as amelie@example.com instead." in html
    set_password(staff_client)
    assert int(staff_client.session["_auth_user_id"]) == newcomer.pk


# --- staff issue a new link from the merchant's page ----------------------------------------


def test_staff_issue_a_new_link_from_the_merchants_page(staff_client, issued, newcomer, staff_user):
    merchant = newcomer.membership.merchant
    page = text(staff_client.get(f"/staff/merchants/{merchant.pk}/"))
    assert "No password yet" in page and "Sign-in link issued" in page and "Either way, the unused link stops working." in page
    posted = staff_client.post(f"/staff/merchants/{merchant.pk}/logins/{newcomer.pk}/sign-in-link/")
    shown_at = f"/staff/merchants/{merchant.pk}/logins/{newcomer.pk}/sign-in-link/issued/"
    assert posted.status_code == 303 and posted["Location"] == shown_at  # post/redirect/get
    assert "token" not in posted["Location"]
    response = staff_client.get(shown_at)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Hand over this sign-in link" in text(response)
    new_token = text(response).split("/sign-in/?token=", 1)[1].split("<", 1)[0]
    assert len(new_token) >= 43
    assert SignInLink.objects.filter(user=newcomer, voided_at__isnull=True, used_at__isnull=True).count() == 1
    assert open_link(Client(), issued.token, follow=True).status_code == 410
    # The new link is shown once, on that page: never again, not on a reload, not on the merchant's page.
    assert new_token not in text(staff_client.get(f"/staff/merchants/{merchant.pk}/"))
    reloaded = staff_client.get(shown_at)
    assert reloaded.status_code == 200 and new_token not in text(reloaded)
    assert "This sign-in link has already been shown" in text(reloaded)
    assert f'action="/staff/merchants/{merchant.pk}/logins/{newcomer.pk}/sign-in-link/"' in text(reloaded)
    assert SignInLink.objects.filter(user=newcomer, voided_at__isnull=True, used_at__isnull=True).count() == 1


def test_the_token_waits_only_in_the_issuers_session_and_never_in_a_log(staff_client, issued, newcomer, caplog):
    import logging

    from django.contrib.sessions.models import Session

    caplog.set_level(logging.DEBUG)
    merchant = newcomer.membership.merchant
    staff_client.post(f"/staff/merchants/{merchant.pk}/logins/{newcomer.pk}/sign-in-link/")
    stored = staff_client.session["staff:sign_in_link_to_show"]
    token = stored["token"]
    assert Session.objects.count() == 1  # the server-side store: the cookie holds only the session key
    assert token not in staff_client.cookies.output()
    # another login of staff (another session) does not see it
    other = Client()
    other.force_login(issued.link.created_by)
    other_page = text(other.get(f"/staff/merchants/{merchant.pk}/logins/{newcomer.pk}/sign-in-link/issued/"))
    assert token not in other_page and "already been shown" in other_page
    assert token in text(staff_client.get(f"/staff/merchants/{merchant.pk}/logins/{newcomer.pk}/sign-in-link/issued/"))
    assert "staff:sign_in_link_to_show" not in staff_client.session
    assert all(token not in f"{r.getMessage()} {r.__dict__}" for r in caplog.records)


def test_issuing_by_get_does_nothing(staff_client, issued, newcomer):
    merchant = newcomer.membership.merchant
    response = staff_client.get(f"/staff/merchants/{merchant.pk}/logins/{newcomer.pk}/sign-in-link/")
    assert response.status_code == 405
    assert SignInLink.objects.count() == 1 and SignInLink.objects.get().voided_at is None


def test_the_detail_page_reports_used_and_expired_links(staff_client, issued, newcomer, staff_user):
    merchant = newcomer.membership.merchant
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(hours=1))
    assert "Sign-in link expired" in text(staff_client.get(f"/staff/merchants/{merchant.pk}/"))
    renewed = sign_in_link_issue(user=newcomer, created_by=staff_user)
    sign_in_link_redeem(link=renewed.link, password=GOOD_PASSWORD)
    html = text(staff_client.get(f"/staff/merchants/{merchant.pk}/"))
    assert "Password set" in html and "Sign-in link used" in html


# --- secrets -------------------------------------------------------------------------------


def test_the_token_never_reaches_the_logs_and_leaves_the_session_once_shown(staff_client, warm_cache, caplog):
    caplog.set_level(logging.DEBUG)
    posted = staff_client.post(
        "/staff/merchants/new/",
        {"merchant_name": "Log Test", "identifier": "log-1", "contact_name": "Lee", "email": "lee@example.com"},
    )
    # Between the POST and the page that shows it, the token waits in the issuer's session only.
    onboarded = staff_client.get(posted["Location"])
    token = unescape(onboarded.content.decode()).split("/sign-in/?token=", 1)[1].split('"', 1)[0]
    assert len(token) >= 43
    merchant_browser = Client()
    open_link(merchant_browser, token)
    set_password(merchant_browser, "short")  # a 400, logged by Django with the path
    set_password(merchant_browser)
    open_link(Client(), token, follow=True)  # a 410, logged too
    open_link(Client(), token + "x", follow=True)  # a 404
    # a stray POST gets the same redirect, not a 403 (CSRF) or a 405: those are logged with the URL
    assert Client(enforce_csrf_checks=True).post(f"/sign-in/?token={token}").status_code == 302
    records = caplog.records
    assert any(r.name == "django.request" and r.levelno == logging.WARNING for r in records)
    assert any("sign-in link" in r.getMessage() for r in records)
    for record in records:
        assert token not in record.getMessage() and token not in str(record.__dict__)
    for session in Session.objects.all():
        assert token not in str(session.get_decoded())


# --- the role is checked again when the link is used (issue 15, item 1) -------------------


def _promote_to_staff(user):
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True)


def _promote_to_superuser(user):
    get_user_model().objects.filter(pk=user.pk).update(is_superuser=True)


def _add_to_a_group(user):
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get_or_create(name="POS staff")[0])


def _deactivate(user):
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)


ROLE_CHANGES = [_promote_to_staff, _promote_to_superuser, _add_to_a_group, _deactivate]


@pytest.mark.parametrize("change", ROLE_CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_a_link_whose_user_changed_role_since_it_was_issued_is_refused_when_opened(client, issued, newcomer, change, caplog):
    caplog.set_level(logging.DEBUG)
    change(newcomer)
    response = open_link(client, issued.token, follow=True)
    assert response.status_code == 410
    assert "This sign-in link no longer works" in text(response)
    assert set_password(client).status_code == 410
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password() and "_auth_user_id" not in client.session
    for record in caplog.records:
        assert issued.token not in record.getMessage() and issued.token not in str(record.__dict__)


@pytest.mark.parametrize("change", ROLE_CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_a_user_who_changed_role_while_the_form_was_open_gets_no_password(client, issued, newcomer, change):
    open_link(client, issued.token)
    assert client.get("/sign-in/set-password/").status_code == 200
    change(newcomer)
    response = set_password(client)
    assert response.status_code == 410 and "This sign-in link no longer works" in text(response)
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password() and "_auth_user_id" not in client.session


@pytest.mark.parametrize("change", ROLE_CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_redeeming_refuses_a_user_who_changed_role(issued, newcomer, change):
    change(newcomer)
    with pytest.raises(SignInLinkUnusable):
        sign_in_link_redeem(link=SignInLink.objects.get(pk=issued.link.pk), password=GOOD_PASSWORD)
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


# --- the form is bound to the link it shows (issue 15, item 10) ------------------------------------


@pytest.fixture
def attackers_link(db, staff_user):
    """A link to a merchant login the attacker controls (their own shop, say)."""
    _, mallory = make_merchant(identifier="mallory-1", name="Mallory's", username="mallory", password=None)
    return mallory, sign_in_link_issue(user=mallory, created_by=staff_user)


def test_a_cross_site_visit_to_another_link_cannot_swap_what_the_open_form_sets(client, issued, newcomer, attackers_link):
    mallory, theirs = attackers_link
    open_link(client, issued.token)
    form = client.get("/sign-in/set-password/")
    assert "Corner Deli" in text(form)
    reference = form_reference(form)
    assert reference and str(issued.token) not in reference
    # A page elsewhere navigates this browser to the attacker's link: the session now holds it.
    open_link(client, theirs.token)
    response = set_password(client, reference=reference)  # the victim submits the form they see
    assert response.status_code == 409
    assert "This form was for another sign-in link" in text(response)
    newcomer.refresh_from_db()
    mallory.refresh_from_db()
    assert not newcomer.has_usable_password() and not mallory.has_usable_password()
    assert "_auth_user_id" not in client.session
    assert not SignInLink.objects.filter(used_at__isnull=False).exists()


def test_a_post_without_the_forms_reference_sets_nothing(client, issued, newcomer):
    open_link(client, issued.token)
    assert set_password(client, reference="").status_code == 409
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_the_reference_is_no_secret_and_the_form_still_works_after_a_reload(client, issued, newcomer):
    open_link(client, issued.token)
    first = form_reference(client.get("/sign-in/set-password/"))
    assert first and first == form_reference(client.get("/sign-in/set-password/"))
    assert issued.token not in first and issued.link.token_hash not in first
    assert set_password(client, reference=first).status_code == 302
