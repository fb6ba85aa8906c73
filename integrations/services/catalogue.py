"""Codat's catalogue of integrations, cached in the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..codat import CodatClient, CodatError, CodatResponseError, get_codat_client
from ..models import CatalogueState, Integration
from . import leases
from .freshness import due_filter
from .offers_cache import forget_offers

logger = logging.getLogger(__name__)


def catalogue_state() -> CatalogueState:
    state, _ = CatalogueState.objects.get_or_create(pk=1)
    return state


def catalogue_refresh(*, force: bool = False, codat: CodatClient | None = None) -> bool:
    """Fetch the catalogue from Codat if it is due (or ``force``); False if another worker has it.

    Raises CodatError when Codat fails; the cached catalogue is left as it was.
    """
    catalogue_state()
    due = None if force else due_filter(expires="expires_at", error_at="last_error_at")
    if not leases.acquire(CatalogueState.objects.filter(pk=1), also=due):
        return False
    codat = codat or get_codat_client()
    try:
        listed = codat.list_integrations()
    except CodatError as exc:
        CatalogueState.objects.filter(pk=1).update(
            last_error=str(exc), last_error_at=timezone.now(), lease_until=None
        )
        logger.warning("catalogue refresh failed: %s", exc)
        raise
    except BaseException:
        CatalogueState.objects.filter(pk=1).update(lease_until=None)
        raise
    if not listed:  # an empty catalogue is a fault, not news: keep what we have
        CatalogueState.objects.filter(pk=1).update(
            last_error="Codat listed no integrations", last_error_at=timezone.now(), lease_until=None
        )
        raise CodatResponseError(
            operation="list-integrations", status=200, error="Codat listed no integrations"
        )
    now = timezone.now()
    with transaction.atomic():
        for item in listed:
            Integration.objects.update_or_create(
                key=item.key,
                defaults={
                    "name": item.name,
                    "enabled": item.enabled,
                    "is_beta": item.is_beta,
                    "source_type": item.source_type,
                    "listed_at": now,
                },
            )
        Integration.objects.exclude(key__in=[item.key for item in listed]).delete()
        CatalogueState.objects.filter(pk=1).update(
            fetched_at=now,
            expires_at=now + timedelta(seconds=settings.CODAT_BRANDING_TTL),
            last_error="",
            last_error_at=None,
            lease_until=None,
        )
    forget_offers()
    logger.info("catalogue refreshed: %d integrations", len(listed))
    return True
