"""Production settings: Django's deployment checks, and plain HTTP sent to HTTPS.

Settings are read once per process, so each environment runs in a fresh one (production.py).
The headers of a rendered page are checked against the image (test_image.py), which has the
collected static files a production page needs.
"""

import pytest

from .production import HOST, django_get, last_json_line, manage, production_env

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


def test_plain_http_is_redirected_to_https_except_for_health_probes(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    page = last_json_line(django_get("/accounts/login/", **env).stdout)
    assert page["status"] == 301 and page["headers"]["Location"] == f"https://{HOST}/accounts/login/"
    for probe in ("/healthz", "/readyz"):
        result = django_get(probe, **env)
        assert last_json_line(result.stdout)["status"] == 200, result.stderr
