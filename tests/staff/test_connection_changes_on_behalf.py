"""Staff disconnect, switch and reconnect for a merchant: the merchant's own pages, their own password,
recorded as assisted, behind staff.change_merchant_connection."""

import json
from html import unescape

import pytest

from codat_sandbox import controls, faults
from integrations.models import CompanyBinding, ConnectionChange, LinkAttempt
from staff import roles
from tests.factories import MERCHANT_PASSWORD, STAFF_PASSWORD, make_staff

pytestmark = pytest.mark.django_db(transaction=True)  # each change re-reads Codat in a worker thread


def html_of(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def linked(merchant_client, merchant, warm_live_cache, counting):
    """Bean & Leaf, linked to Xero by its own login; then the staff member is who is logged in."""
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    company_id = CompanyBinding.objects.get().company_id
    controls.set_tenant_name(company_id, "Bean & Leaf Ltd")
    controls.link(company_id, "gbol")
    merchant_client.get("/link/return/")
    merchant_client.logout()
    counting.requests.clear()
    counting.paths.clear()
    faults.reset()
    counting.company_id = company_id
    return counting


@pytest.fixture
def staff(client, staff_user, linked):
    client.force_login(staff_user)
    return client


def base(merchant) -> str:
    return f"/staff/merchants/{merchant.pk}"


def test_the_merchant_page_offers_the_changes_and_the_confirmation_page_asks_for_staffs_own_password(staff, merchant):
    detail = html_of(staff.get(f"{base(merchant)}/"))
    assert "Their Xero connection" in detail
    assert f'<a class="button button--secondary" href="{base(merchant)}/connection/disconnect/">Disconnect Xero</a>' in detail
    assert f'<a class="button button--secondary" href="{base(merchant)}/connection/switch/">Switch platform</a>' in detail
    assert "Reconnect Xero" not in detail  # only once it is disconnected
    assert "No disconnects, switches or reconnects yet." in detail

    page = html_of(staff.get(f"{base(merchant)}/connection/disconnect/"))
    assert "<strong>You are acting on behalf of Bean & Leaf</strong>" in page and "recorded as made by you" in page
    assert "Sandbox POS stops sending Bean & Leaf’s sales to Xero" in page
    assert "To confirm, enter your own password." in page
    assert "Your own password: the one you log in with, not the merchant’s." in page
    assert f'action="{base(merchant)}/connection/disconnect/confirm/"' in page
    assert f'href="{base(merchant)}/">Keep Xero connected</a>' in page


def test_staff_disconnect_with_their_own_password_is_recorded_as_assisted(staff, staff_user, merchant, linked):
    response = staff.post(f"{base(merchant)}/connection/disconnect/confirm/", {"password": MERCHANT_PASSWORD})
    assert response.status_code == 400  # the merchant's password is not the staff member's
    assert [r for r in linked.requests if r.method == "PATCH"] == []

    response = staff.post(f"{base(merchant)}/connection/disconnect/confirm/", {"password": STAFF_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, f"{base(merchant)}/")
    (patch,) = [r for r in linked.requests if r.method == "PATCH"]
    assert json.loads(patch.content) == {"status": "Unlinked"}
    change = ConnectionChange.objects.get()
    assert (change.merchant, change.user, change.assisted, change.action, change.outcome) == (
        merchant, staff_user, True, "disconnect", "done"
    )

    detail = html_of(staff.get(f"{base(merchant)}/"))
    assert "Xero is disconnected" in detail and "Everything already in Bean & Leaf’s books stays" in detail
    assert "Disconnect Xero<span" in detail and "Linked → Unlinked" in detail
    assert "Sam Okafor" in detail and "staff, assisted" in detail and f"CC-{change.pk}" in detail
    assert ">Reconnect Xero</button>" in detail


def test_staff_reconnect_is_recorded_as_assisted_when_it_starts(staff, staff_user, merchant, linked):
    staff.post(f"{base(merchant)}/connection/disconnect/confirm/", {"password": STAFF_PASSWORD})
    response = staff.post(f"{base(merchant)}/link/start/", {"platform_key": "gbol"})
    assert response.status_code == 302 and "otp=" in response["Location"]
    reconnect = ConnectionChange.objects.get(action="reconnect")
    assert (reconnect.user, reconnect.assisted, reconnect.outcome) == (staff_user, True, "started")
    assert reconnect.link_attempt == LinkAttempt.objects.filter(assisted=True).get()
    assert "decided on Codat’s pages" in html_of(staff.get(f"{base(merchant)}/"))


def test_staff_switch_deletes_once_then_the_staff_picker_offers_everything(staff, merchant, linked):
    picker = html_of(staff.get(f"{base(merchant)}/link/"))
    assert "Switch from Xero first to use QuickBooks Online." in picker
    assert f'<a href="{base(merchant)}/connection/switch/">switch from Xero</a>' in picker
    assert staff.post(f"{base(merchant)}/link/start/", {"platform_key": "qhyg"}).status_code == 409

    response = staff.post(f"{base(merchant)}/connection/switch/confirm/", {"password": STAFF_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, f"{base(merchant)}/link/")
    assert faults.calls("delete-connection") == 1
    picker = html_of(staff.get(f"{base(merchant)}/link/"))
    assert "Xero is removed." in picker and "Link your QuickBooks Online account" in picker
    assert ConnectionChange.objects.get().assisted


def test_without_the_permission_staff_see_no_change_buttons_and_get_403(client, merchant, linked):
    client.force_login(make_staff("linker", group=False, permissions=[roles.VIEW_MERCHANTS, roles.ASSIST_LINKING]))
    detail = html_of(client.get(f"{base(merchant)}/"))
    assert "Disconnect Xero" not in detail and "Switch platform" not in detail
    response = client.post(f"{base(merchant)}/connection/disconnect/confirm/", {"password": STAFF_PASSWORD})
    assert response.status_code == 403
    assert [r for r in linked.requests if r.method in ("PATCH", "DELETE")] == []


def test_staff_act_only_for_the_merchant_in_the_url(staff, merchant, linked):
    from tests.factories import make_merchant

    other, _ = make_merchant(identifier="Other shop")
    response = staff.post(f"{base(other)}/connection/disconnect/confirm/", {"password": STAFF_PASSWORD})
    assert (response.status_code, response["Location"]) == (302, f"{base(other)}/")
    assert [r for r in linked.requests if r.method == "PATCH"] == []
    assert staff.get("/staff/merchants/999999/connection/disconnect/").status_code == 404
