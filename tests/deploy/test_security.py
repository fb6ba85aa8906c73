"""Production settings: Django's deployment checks.

Settings are read once per process, so each environment runs in a fresh one (production.py).
Plain HTTP sent to HTTPS, except for the probes, and the headers of a rendered page are
checked against the image's own server (test_image.py), which has the collected static
files a production page needs.
"""

import pytest

from .production import manage, production_env

FRAMERS = ["https://pos.example.com", "https://backoffice.pos.example.com"]


@pytest.mark.parametrize(
    "extra",
    [{}, {"FRAME_ANCESTORS": ",".join(FRAMERS), "SECURE_PROXY_SSL_HEADER": "true"}],
    ids=["standalone", "framed-behind-proxy"],
)
def test_deploy_checks_are_clean_under_production_settings(extra):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(**extra))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_checks_would_catch_a_weak_secret_key():
    # Proves the clean result above comes from checks that run, not from checks that are off.
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(SECRET_KEY="short"))
    assert result.returncode != 0 and "security.W009" in result.stderr
