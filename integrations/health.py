"""What /readyz says about Codat: read from the catalogue cache, never by calling Codat."""

import logging

from .models import CatalogueState

logger = logging.getLogger(__name__)


def codat_readiness(*, database_ok: bool) -> dict:
    """The last catalogue fetch says whether Codat answered; no call is made from a probe.

    Informational only, so it never raises: a database that is down (already reported, and
    not asked twice) or not yet migrated leaves Codat's state unknown.
    """
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


def webhook_readiness(*, database_ok: bool) -> dict:
    """When the last verified webhook arrived: a silently disabled endpoint shows as an old date."""
    from .services.webhooks import last_verified_at

    if not database_ok:
        return {"ok": None, "detail": "unknown: database unavailable"}
    last = last_verified_at()
    return {"ok": None, "last_verified": last.isoformat() if last else None}
