"""Staff link a platform on a merchant's behalf: the merchant's own page and hand-off, recorded as assisted."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from codat_sandbox import controls
from integrations.models import CompanyBinding, LinkAttempt
from staff.selectors import merchant_get
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db


def test_the_selection_page_with_a_banner_posting_to_the_staff_hand_off(staff_client, merchant, warm_cache):
    response = staff_client.get(f"/staff/merchants/{merchant.pk}/link/")
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "<strong>You are connecting on behalf of Bean & Leaf</strong>" in html
    assert '<div class="banner banner--assist" role="region" aria-label="Connecting on a merchant’s behalf">' in html
    assert "Connect your accounting software" in html
    actions = set(re.findall(r'<form method="post" action="([^"]+)" class="tiles-form"', html))
    assert actions == {f"/staff/merchants/{merchant.pk}/link/start/"}
    assert "Link your Xero account" in html
    assert warm_cache.mints == 0


def test_the_hand_off_is_for_the_merchant_in_the_url_and_records_the_staff_member(
    staff_client, staff_user, merchant, warm_cache
):
    other, _ = make_merchant(identifier="someone else")
    response = staff_client.post(
        f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol", "merchantIdentifier": "someone else"}
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["merchantIdentifier"] == [CompanyBinding.objects.get(merchant=merchant).company_id]
    assert query["redirectUrl"] == [f"http://testserver/staff/merchants/{merchant.pk}/link/return/"]
    assert response["Referrer-Policy"] == "no-referrer"
    attempt = LinkAttempt.objects.get()
    assert (attempt.merchant, attempt.user, attempt.assisted, attempt.outcome) == (
        merchant, staff_user, True, "redirected"
    )
    assert not other.link_attempts.exists()
    assert warm_cache.mints == 1


@pytest.mark.django_db(transaction=True)  # the return refreshes the snapshot in a worker thread
def test_coming_back_shows_what_codat_says_and_records_the_return(staff_client, merchant, warm_cache):
    staff_client.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"})
    assert merchant_get(merchant_id=merchant.pk).status == "not_finished"
    response = staff_client.get(f"/staff/merchants/{merchant.pk}/link/return/")
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Back from Codat" in html and "You are connecting on behalf of Bean & Leaf" in html
    assert "Connection not finished" in html  # coming back proves nothing: Codat says PendingAuth
    assert LinkAttempt.objects.get().returned_at is not None
    assert merchant_get(merchant_id=merchant.pk).status == "not_finished"

    controls.link(CompanyBinding.objects.get(merchant=merchant).company_id, "gbol", tenant_name="Bean & Leaf Trading")
    html = unescape(staff_client.get(f"/staff/merchants/{merchant.pk}/link/return/").content.decode())
    assert "Connected to Bean & Leaf Trading on Xero" in html
    assert merchant_get(merchant_id=merchant.pk).status == "linked"
    detail = unescape(staff_client.get(f"/staff/merchants/{merchant.pk}/").content.decode())
    assert "Sam Okafor" in detail and "staff, assisted" in detail
    assert "Bean & Leaf Trading" in detail and '<span class="status status--linked">Linked</span>' in detail


def test_a_get_on_the_staff_hand_off_mints_nothing(staff_client, merchant, warm_cache):
    response = staff_client.get(f"/staff/merchants/{merchant.pk}/link/start/?platform_key=gbol")
    assert response.status_code == 405
    assert warm_cache.mints == 0 and not LinkAttempt.objects.exists()


def test_a_tampered_key_is_refused_without_minting(staff_client, merchant, warm_cache):
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "lqai"})
    assert response.status_code == 400
    assert warm_cache.mints == 0


def test_codat_trouble_offers_a_retry_on_the_staff_hand_off(staff_client, merchant, warm_cache, sandbox_faults):
    sandbox_faults.inject("get-sync-flow-url", status=503)
    response = staff_client.post(f"/staff/merchants/{merchant.pk}/link/start/", {"platform_key": "gbol"}, follow=True)
    attempt = LinkAttempt.objects.get()
    assert response.redirect_chain == [(f"/staff/merchants/{merchant.pk}/link/failed/{attempt.pk}/", 303)]
    assert response.status_code == 502
    html = response.content.decode()
    assert f'action="/staff/merchants/{merchant.pk}/link/start/"' in html
    attempt = LinkAttempt.objects.get()
    assert attempt.outcome == "failed" and attempt.assisted
    # The company was made before the mint failed: started, not finished.
    assert merchant_get(merchant_id=merchant.pk).status == "not_finished"
