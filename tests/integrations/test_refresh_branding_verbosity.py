"""``refresh_branding -v 0``, as ``make run`` warms the cache: one line, however many platforms and logos."""

import io
import logging

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_a_quiet_warm_up_prints_only_the_summary_and_logs_nothing(counting, caplog):
    out, err = io.StringIO(), io.StringIO()
    with caplog.at_level(logging.INFO):
        call_command("refresh_branding", verbosity=0, stdout=out, stderr=err)
    assert out.getvalue() == "Branding cache: 14 refreshed, 0 kept, 0 failed\n"
    assert err.getvalue() == "" and caplog.records == []
    assert counting.branding_calls == 14
    assert logging.root.manager.disable == logging.NOTSET  # logging is back as it was
    with caplog.at_level(logging.INFO):
        logging.getLogger("integrations.codat").info("still heard")
    assert [r.getMessage() for r in caplog.records] == ["still heard"]


def test_a_quiet_warm_up_that_fails_says_what_and_why_in_one_line(counting, sandbox_faults, caplog):
    sandbox_faults.inject("get-integration-branding", status=503)
    out, err = io.StringIO(), io.StringIO()
    with caplog.at_level(logging.INFO), pytest.raises(CommandError) as raised:
        call_command("refresh_branding", "-v", "0", stdout=out, stderr=err)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("Branding cache: 0 refreshed, 0 kept, 14 failed: aiwb, dfxm,")
    assert "(first, aiwb: " in message and "HTTP 503" in message and "without -v 0" in message
    assert out.getvalue() == err.getvalue() == "" and caplog.records == []
    assert logging.root.manager.disable == logging.NOTSET


def test_the_default_verbosity_still_shows_each_platform(counting):
    out = io.StringIO()
    call_command("refresh_branding", stdout=out, stderr=io.StringIO())
    assert "[6/14] gbol: refreshed" in out.getvalue()
    assert out.getvalue().strip().endswith("Branding cache: 14 refreshed, 0 kept, 0 failed")
