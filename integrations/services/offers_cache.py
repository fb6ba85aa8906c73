"""The Django cache in front of the offering: one key per side of the connector."""

from django.conf import settings
from django.core.cache import cache

# Per-process caches only hear of a refresh elsewhere when this runs out.
OFFERS_CACHE_SECONDS = 30
# Pages built from the offering are kept under this token (commerce_portal.kept_pages): dropped
# with the offering, and lasting no longer than it would.
OFFERING_TOKEN_KEY = "offering-token"


def offers_cache_key(source_type: str) -> str:
    return f"offering:offers:v1:{source_type}:{settings.CODAT_CONNECTOR_KEY}"


def forget_offers() -> None:
    """Drop the cached offering, and the pages built from it, after the catalogue or branding changed."""
    cache.delete_many([*(offers_cache_key(side) for side in ("Accounting", "Commerce")), OFFERING_TOKEN_KEY])
