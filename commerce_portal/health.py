"""Liveness and readiness for load balancers and orchestrators."""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


class ProbeMiddleware:
    """Answers /healthz and /readyz before host checks and HTTPS redirects.

    Load balancers and orchestrators probe over plain HTTP, often by IP
    address, which ALLOWED_HOSTS and SECURE_SSL_REDIRECT would refuse.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = {"/healthz": healthz, "/readyz": readyz}.get(request.path_info)
        return probe(request) if probe else self.get_response(request)


@never_cache
@require_safe
def healthz(request):
    """The process is alive and serving; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Database and cache must answer; READINESS_REPORTS (Codat's reachability) are reported, not required."""
    database = _check(_database)
    checks = {"database": database, "cache": _check(_cache)}
    for name, path in settings.READINESS_REPORTS.items():
        checks[name] = _report(path, database_ok=database["ok"])
    ready = database["ok"] and checks["cache"]["ok"]
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)


def _check(probe) -> dict:
    started = time.monotonic()
    try:
        probe()
    except Exception as exc:  # readiness reports any failure instead of raising it
        logger.warning("readiness probe %s failed: %s", probe.__name__, exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    cache.set("readyz", "1", 5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was stored")


def _report(path: str, *, database_ok: bool) -> dict:
    """An app's informational report; it never fails the probe, even by raising."""
    try:
        return import_string(path)(database_ok=database_ok)
    except Exception as exc:
        logger.warning("readiness report %s failed: %s", path, exc)
        return {"ok": None, "error": type(exc).__name__}
