"""LINK_RATE_LIMIT as written in settings: '<count>/<period>', or off. (The limit at work: test_abuse_limits.py.)"""

import pytest
from django.core.exceptions import ImproperlyConfigured

from integrations.services.rate_limits import parse_rate


@pytest.mark.parametrize(
    "rate, parsed",
    [
        ("10/m", (10, 60)),
        ("5/s", (5, 1)),
        ("100/h", (100, 3600)),
        ("3/minute", (3, 60)),  # only the period's first letter counts
        ("2/Hour", (2, 3600)),
        (" 7 / M ", (7, 60)),
        ("", (0, 0)),  # off
        ("0", (0, 0)),
        (" 0 ", (0, 0)),
    ],
)
def test_rates(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["lots", "10", "10/d", "x/m", "1/2/m", "/m", "10/", "1.5/m"])
def test_anything_else_is_a_configuration_error_that_quotes_it(rate):
    with pytest.raises(ImproperlyConfigured, match="LINK_RATE_LIMIT must look like '10/m'") as refused:
        parse_rate(rate)
    assert repr(rate) in str(refused.value)
