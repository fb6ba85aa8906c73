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


@pytest.mark.django_db
def test_a_racer_whose_clock_read_came_first_is_counted_in_the_window_the_creator_opens(monkeypatch):
    """Seen in CI with two workers: the first start created the key's row, another start whose
    clock read came a few milliseconds earlier counted in it before the first opened the window,
    and that count was lost — five of ten concurrent starts got through a 4/m limit."""
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import RateLimitWindow
    from integrations.services import rate_limits

    later = timezone.now()
    earlier = later - timedelta(milliseconds=5)
    clock = iter([later, earlier])
    monkeypatch.setattr(rate_limits.timezone, "now", lambda: next(clock, later))
    manager = type(RateLimitWindow.objects)
    real_get_or_create = manager.get_or_create
    racer_ran = []
    racer_started = []

    def get_or_create_then_let_the_racer_in(self, *args, **kwargs):
        result = real_get_or_create(self, *args, **kwargs)
        if not racer_started:
            racer_started.append(True)
            racer_ran.append(rate_limits._take("k", limit=2, period=timedelta(minutes=1)))
        return result

    monkeypatch.setattr(manager, "get_or_create", get_or_create_then_let_the_racer_in)
    first = rate_limits._take("k", limit=2, period=timedelta(minutes=1))

    assert first.allowed and racer_ran[0].allowed
    assert RateLimitWindow.objects.get(key="k").count == 2  # both starts counted
    assert not rate_limits._take("k", limit=2, period=timedelta(minutes=1)).allowed
