"""Management commands, run through call_command."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from integrations.models import Integration, Logo
from merchants.models import Membership, Merchant

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_refresh_branding_warms_everything_with_progress_and_summary(counting):
    out, err = run("refresh_branding")
    assert "catalogue: refreshed" in out
    assert "[1/14] aiwb: refreshed" in out and "[14/14] ugxp: refreshed" in out
    assert out.strip().endswith("14 refreshed, 0 kept, 0 failed")
    assert Logo.objects.count() == 28
    out, _ = run("refresh_branding")
    assert "0 refreshed, 14 kept, 0 failed" in out
    assert counting.branding_calls == 14


def test_refresh_branding_force_and_keys(counting):
    run("refresh_branding")
    out, _ = run("refresh_branding", "--force", "gbol", "qhyg")
    assert "[1/2] gbol: refreshed" in out and "2 refreshed, 0 kept, 0 failed" in out
    assert counting.branding_calls == 16


def test_refresh_branding_exits_non_zero_when_codat_fails(counting, sandbox_faults):
    run("refresh_branding")
    sandbox_faults.inject("get-integration-branding", status=500)
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"0 refreshed, 0 kept, 1 failed: gbol"):
        call_command("refresh_branding", "--force", "gbol", stdout=io.StringIO(), stderr=err)
    assert "[1/1] gbol: FAILED Codat get-integration-branding failed with HTTP 500" in err.getvalue()


def test_refresh_branding_reports_rejected_logos_as_failures(counting, sandbox_faults):
    run("refresh_branding")
    sandbox_faults.inject("branding-image", status=200, content_type="text/html", body="<html>")
    with pytest.raises(CommandError, match="1 refreshed, 0 kept, 1 failed: gbol"):
        run("refresh_branding", "--force", "gbol")


def test_platforms_with_no_logo_in_the_error_back_off_are_reported_failed_not_fresh(counting, sandbox_faults):
    """The bug: a first warm-up failed for every logo; the second run (within the back-off) said "14 kept, 0 failed"."""
    sandbox_faults.inject("get-integration-branding", status=503)
    with pytest.raises(CommandError, match=r"0 refreshed, 0 kept, 14 failed"):
        run("refresh_branding")
    sandbox_faults.reset()
    asked = counting.branding_calls
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"0 refreshed, 0 kept, 14 failed: aiwb, .*gbol"):
        call_command("refresh_branding", stdout=io.StringIO(), stderr=err)
    assert counting.branding_calls == asked  # within the back-off: Codat not asked again
    assert "gbol: FAILED no logo cached (waiting to retry; last refresh failed " in err.getvalue()
    assert "HTTP 503" in err.getvalue() and "fresh, kept" not in err.getvalue()


def test_a_copy_served_while_refreshes_fail_is_kept_and_says_so(counting, sandbox_faults):
    from django.utils import timezone

    run("refresh_branding")
    Integration.objects.filter(pk="gbol").update(branding_error="Codat … HTTP 503", branding_error_at=timezone.now())
    out, err = run("refresh_branding")  # warm: exits zero
    assert "0 refreshed, 14 kept, 0 failed" in out
    assert "gbol: kept, serving the copy from " in err and "; last refresh failed " in err


def test_refresh_branding_unknown_key_fails(counting):
    with pytest.raises(CommandError, match="1 failed: zzzz"):
        run("refresh_branding", "zzzz")


def test_refresh_branding_catalogue_failure_fails(counting, sandbox_faults):
    sandbox_faults.inject("list-integrations", status=503)
    with pytest.raises(CommandError, match="failed: catalogue"):
        run("refresh_branding")
    assert not Integration.objects.exists()


def test_create_merchant_with_generated_password():
    out, _ = run("create_merchant", "Corner Café & Co.", "--name", "Corner Café", "--username", "corner")
    password = out.split("(shown once): ")[1].strip()
    assert len(password) >= 20
    merchant = Merchant.objects.get(identifier="Corner Café & Co.")
    user = get_user_model().objects.get(username="corner")
    assert user.check_password(password) and Membership.objects.get(user=user).merchant == merchant


def test_create_merchant_with_given_password_prints_none():
    out, _ = run("create_merchant", "m-1", "--name", "M", "--username", "m1", "--password", "a-long-pass-phrase")
    assert "shown once" not in out and "a-long-pass-phrase" not in out
    assert get_user_model().objects.get(username="m1").check_password("a-long-pass-phrase")


@pytest.mark.parametrize(
    "args, message",
    [
        (["Bean & Leaf, Ltd. #42", "--name", "X", "--username", "new"], "already exists"),
        (["bean & leaf, ltd. #42", "--name", "X", "--username", "new"], "already exists"),
        (["fresh", "--name", "X", "--username", "bean"], "is taken"),
        ([" padded", "--name", "X", "--username", "new"], "start or end with a space"),
        (["tab\there", "--name", "X", "--username", "new"], "control characters"),
        (["fresh", "--name", "  ", "--username", "new"], "Enter the merchant's name"),
    ],
)
def test_create_merchant_refuses_clearly(merchant, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_merchant", *args)
    assert Merchant.objects.count() == 1


def test_demo_merchant_is_created_once():
    out, _ = run("ensure_demo_merchant")
    run("ensure_demo_merchant")
    assert "demo / demo" in out and "linked / demo" in out
    assert sorted(Merchant.objects.values_list("identifier", flat=True)) == ["Demo Linked Ltd.", "Demo Merchant Ltd."]
    assert get_user_model().objects.get(username="demo").check_password("demo")
    assert get_user_model().objects.get(username="linked").check_password("demo")


def test_demo_merchant_is_refused_outside_the_sandbox(settings):
    settings.CODAT_SANDBOX_ENABLED = False
    with pytest.raises(CommandError, match="only in sandbox mode"):
        run("ensure_demo_merchant")


def test_refresh_branding_reports_a_decompression_bomb_as_a_failure(counting, sandbox_faults):
    from tests.integrations.test_logos import HUGE_GIF

    run("refresh_branding")
    sandbox_faults.inject("branding-image", status=200, content_type="image/gif", body=HUGE_GIF.decode("ascii"))
    with pytest.raises(CommandError, match="1 refreshed, 0 kept, 1 failed: gbol"):
        out, err = run("refresh_branding", "--force", "gbol")
    integration = Integration.objects.get(pk="gbol")
    assert "pixels" in integration.branding_error
    assert Logo.objects.filter(integration_id="gbol").count() == 2  # the previous logos stay served
