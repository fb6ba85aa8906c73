"""Liveness and readiness for load balancers and orchestrators."""

import logging
import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
@require_GET
def healthz(request):
    """The process is alive and serving; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Database and cache must answer; Codat's reachability is reported, not required."""
    database = _check(_database)
    checks = {"database": database, "cache": _check(_cache), "codat": _codat(database_ok=database["ok"])}
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


def _codat(*, database_ok: bool) -> dict:
    """The last catalogue fetch says whether Codat answered; no call is made from a probe.

    Informational only, so it never raises: a database that is down (already reported, and
    not asked twice) or not yet migrated leaves Codat's state unknown.
    """
    from integrations.models import CatalogueState

    if not database_ok:
        return {"ok": None, "detail": "unknown: database unavailable"}
    try:
        state = CatalogueState.objects.filter(pk=1).first()
    except Exception as exc:
        logger.warning("readiness probe codat failed: %s", exc)
        return {"ok": None, "error": type(exc).__name__}
    if state is None or state.fetched_at is None:
        return {"ok": None, "detail": "catalogue never fetched"}
    failing = bool(state.last_error_at and state.last_error_at > state.fetched_at)
    return {"ok": not failing, "last_success": state.fetched_at.isoformat()}
