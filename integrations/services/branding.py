"""Codat's branding for each integration, with its logo bytes, cached in the database."""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from .. import logos
from ..codat import CodatClient, CodatError, get_codat_client
from ..models import Integration, Logo
from . import leases
from .freshness import due_filter
from .offers_cache import forget_offers

logger = logging.getLogger(__name__)


def branding_refresh(key: str, *, force: bool = False, codat: CodatClient | None = None) -> bool:
    """Fetch one integration's branding and logos if due (or ``force``).

    False if it was not due or another worker holds the lease. Raises CodatError
    when the branding itself cannot be fetched; what was cached stays served.
    A logo that cannot be fetched or is not an acceptable image is logged and
    recorded, and the previous logo (or the monogram) is used instead.
    """
    due = None if force else due_filter(expires="branding_expires_at", error_at="branding_error_at")
    if not leases.acquire(Integration.objects.filter(pk=key), also=due):
        return False
    codat = codat or get_codat_client()
    try:
        branding = codat.get_integration_branding(key)
    except CodatError as exc:
        Integration.objects.filter(pk=key).update(
            branding_error=str(exc), branding_error_at=timezone.now(), lease_until=None
        )
        logger.warning("branding refresh for %s failed: %s", key, exc)
        raise
    except BaseException:
        Integration.objects.filter(pk=key).update(lease_until=None)
        raise

    fetched, problems = {}, []
    images = {variant: image for variant in Logo.Variant.values if (image := branding.logo(variant))}
    for variant, outcome in _fetch_logos(codat, images).items():
        if isinstance(outcome, Exception):
            problems.append(f"{variant} logo: {outcome}")
            logger.warning("logo %s/%s rejected, keeping the fallback: %s", key, variant, outcome)
            continue
        fetched[variant] = (images[variant], *outcome)

    now = timezone.now()
    with transaction.atomic():
        for variant, (image, content_type, data) in fetched.items():
            Logo.objects.update_or_create(
                integration_id=key,
                variant=variant,
                defaults={
                    "digest": hashlib.sha256(data).hexdigest(),
                    "content_type": content_type,
                    "data": data,
                    "size": len(data),
                    "alt": image.alt[:300],
                    "source_url": image.src[:1000],
                    "fetched_at": now,
                },
            )
        Integration.objects.filter(pk=key).update(
            branding=branding.raw,
            branding_fetched_at=now,
            branding_expires_at=now + timedelta(seconds=settings.CODAT_BRANDING_TTL),
            branding_error="; ".join(problems),
            branding_error_at=now if problems else None,
            lease_until=None,
        )
    forget_offers()
    return True


def branding_evict(key: str) -> None:
    """Forget an integration's branding and logos; the next view fetches them afresh."""
    with transaction.atomic():
        Logo.objects.filter(integration_id=key).delete()
        Integration.objects.filter(pk=key).update(
            branding=None,
            branding_fetched_at=None,
            branding_expires_at=None,
            branding_error="",
            branding_error_at=None,
            lease_until=None,
        )
    forget_offers()


def _fetch_logos(codat: CodatClient, images: dict) -> dict[str, tuple[str, bytes] | Exception]:
    """Every variant's image at once (a cold page waits one round trip for them, not one each):
    (content type, bytes) or the CodatError / LogoRejected that refused it, by variant."""
    if len(images) < 2 or connection.in_atomic_block:
        # Inside a transaction (a caller's, or a test's) threads of ours would not see its rows,
        # and on SQLite would wait for its lock: one after another then.
        return {variant: _fetch_or_error(codat, image.src) for variant, image in images.items()}
    # Short-lived threads of our own: this already runs on the refresher's pool, and waiting on
    # that pool from inside it could leave every thread waiting on the others.
    with ThreadPoolExecutor(max_workers=len(images), thread_name_prefix="logo") as pool:
        futures = {variant: pool.submit(_fetch_in_thread, codat, image.src) for variant, image in images.items()}
        return {variant: future.result() for variant, future in futures.items()}


def _fetch_in_thread(codat: CodatClient, url: str):
    try:
        return _fetch_or_error(codat, url)
    finally:
        connections.close_all()  # the embedded sandbox records its calls from this thread


def _fetch_or_error(codat: CodatClient, url: str) -> tuple[str, bytes] | Exception:
    try:
        return _fetch_logo(codat, url)
    except (CodatError, logos.LogoRejected) as exc:
        return exc


def _fetch_logo(codat: CodatClient, url: str) -> tuple[str, bytes]:
    parts = urlsplit(url)
    if not settings.CODAT_SANDBOX_ENABLED and (
        parts.scheme != "https" or parts.hostname not in settings.CODAT_LOGO_HOSTS
    ):
        raise logos.LogoRejected(f"logo host {parts.hostname!r} is not in CODAT_LOGO_HOSTS")
    declared, data = codat.get_image(url, max_bytes=settings.CODAT_LOGO_MAX_BYTES)
    return logos.validate(declared, data, max_bytes=settings.CODAT_LOGO_MAX_BYTES), data
