"""Operators see sign-in links in the admin, read-only, without their hashes."""

import pytest
from django.contrib.auth import get_user_model

from merchants.models import SignInLink
from merchants.services import sign_in_link_issue
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db


def test_sign_in_links_are_listed_read_only_and_never_show_their_hash(client, staff_user):
    _, user = make_merchant(username="adm@example.com", password=None)
    issued = sign_in_link_issue(user=user, created_by=staff_user)
    client.force_login(get_user_model().objects.create_superuser("op", "op@example.com", "x"))
    listing = client.get("/admin/merchants/signinlink/")
    assert listing.status_code == 200 and "adm@example.com" in listing.content.decode()
    detail = client.get(f"/admin/merchants/signinlink/{issued.link.pk}/change/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert issued.link.token_hash not in html  # the token itself is never stored, so only its hash could show
    assert client.get("/admin/merchants/signinlink/add/").status_code == 403
    response = client.post(f"/admin/merchants/signinlink/{issued.link.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and SignInLink.objects.filter(pk=issued.link.pk).exists()
