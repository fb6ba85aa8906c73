"""/healthz says the process serves; /readyz says whether it can do its work, and never raises."""

import json

import pytest
from django.test import override_settings

from .production import django_get, last_json_line

UNREACHABLE_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_when_database_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True and body["checks"]["cache"]["ok"] is True
    assert body["checks"]["codat"] == {"ok": None, "detail": "catalogue never fetched"}


@pytest.mark.django_db
def test_readyz_is_not_ready_when_the_cache_is_unreachable(client):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True


def _readyz(**env) -> tuple[dict, str]:
    result = django_get("/readyz", ALLOWED_HOSTS="portal.example.com", **env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return last_json_line(result.stdout), result.stderr


def test_readyz_is_not_ready_when_the_database_is_unreachable():
    response, log = _readyz(DATABASE_URL="postgres://postgres@127.0.0.1:1/commerce_portal")
    assert response["status"] == 503
    checks = json.loads(response["body"])["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError"}
    # Codat's state lives in that database: reported unknown, not asked for a second time.
    assert checks["codat"] == {"ok": None, "detail": "unknown: database unavailable"}
    assert "readiness probe _database failed" in log


def test_readyz_reports_a_codat_probe_failure_without_raising(tmp_path):
    # A database that answers but was never migrated: the Codat state query itself fails.
    response, log = _readyz(DATABASE_URL=f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}")
    assert response["status"] == 200
    checks = json.loads(response["body"])["checks"]
    assert checks["database"]["ok"] is True
    assert checks["codat"] == {"ok": None, "error": "OperationalError"}
    assert "readiness probe codat failed" in log


@pytest.mark.django_db
def test_probes_answer_any_host_over_plain_http(client, settings):
    """Load balancers probe by IP over HTTP: no ALLOWED_HOSTS refusal, no HTTPS redirect."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400
