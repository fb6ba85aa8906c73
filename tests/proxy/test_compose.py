"""compose.yaml runs proxy + web + worker + PostgreSQL + Redis and a one-off migrate, as production should."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_services_and_the_order_they_start_in():
    services = compose()["services"]
    assert set(services) == {"proxy", "web", "worker", "migrate", "db", "redis"}
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no" and "migrate" not in services["migrate"]["depends_on"]
    assert services["worker"]["command"] == ["docker/worker.sh"]
    assert services["web"]["command"] == ["docker/start.sh"] and "ports" not in services["web"]
    assert services["proxy"]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_the_proxy_runs_deploy_nginx_conf_in_front_of_web():
    proxy = compose()["services"]["proxy"]
    assert "./deploy/nginx.conf:/etc/nginx/templates/default.conf.template:ro" in proxy["volumes"]
    assert proxy["environment"]["PORTAL_UPSTREAM"] == "web:8000"
    assert proxy["ports"] == ["${PORTAL_PORT:-8080}:8080"]


def test_the_app_runs_on_postgres_and_redis_behind_one_proxy_with_secrets_required():
    env = compose()["services"]["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["CACHE_URL"] == "redis://redis:6379/0"
    assert env["PROXY_COUNT"] == "${PROXY_COUNT:-1}" and env["SECURE_PROXY_SSL_HEADER"] == "true"
    for secret in ("SECRET_KEY", "CODAT_API_KEY", "CODAT_WEBHOOK_SECRETS", "ALLOWED_HOSTS"):
        assert env[secret].startswith("${" + secret + ":?"), secret  # compose refuses to start without it
    assert compose()["services"]["worker"]["environment"] == env  # one environment for every app process
