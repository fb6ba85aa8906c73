"""What a merchant is offered: the integrations on the far side of our connector.

Page views read the database only. Stale entries are served while a
background refresh runs (stale-while-revalidate); with Codat down they are
served as they are (stale-if-error). A cold catalogue holds the page at most
CODAT_BRANDING_COLD_WAIT seconds. A cold entry's branding never holds it: the
tile's logo points at /logos/for/<key>/, which waits (as long at most) for the
fetch under way, so the page costs one Codat round trip, not three (catalogue,
branding, logos); past the bound the tile shows its monogram.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from .. import logos
from ..catalogue_fallback import FALLBACK_CATALOGUE
from ..models import CatalogueState, Integration, Logo
from . import branding, catalogue, refresher
from .freshness import is_due, is_leased
from .offers_cache import OFFERS_CACHE_SECONDS, offers_cache_key

PLATFORM_KEY = re.compile(r"^[a-z]{4}$")  # Codat's platformKey pattern
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Offer:
    key: str
    name: str
    enabled: bool
    is_beta: bool
    logo_url: str | None = None
    logo_alt: str = ""

    @property
    def initials(self) -> str:
        words = [w for w in re.split(r"[\s()]+", self.name) if w[:1].isalnum()]
        return "".join(word[0] for word in words[:2]).upper() or "?"

    @property
    def sort_key(self):
        # One order a merchant can scan: everything linkable A-Z (beta keeps its badge, not a
        # place at the back: "Exact (UK)" sits beside "Exact (NL)"), then coming soon A-Z.
        return (not self.enabled, self.name.casefold())


class NotOffered(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason  # malformed | connector | unknown | disabled | switch_first


def offered_source_type() -> str:
    return "Accounting" if settings.CODAT_CONNECTOR_TYPE == "commerce" else "Commerce"


def offers(*, wait: float | None = None) -> list[Offer]:
    """The tiles for the selection page, in display order."""
    return offering(wait=wait)[0]


def offering(*, wait: float | None = None) -> tuple[list[Offer], bool]:
    """The tiles, and whether they are settled: complete and fresh, so that until the offering
    token (offers_cache.OFFERING_TOKEN_KEY) changes, the next view would show the same.

    A settled answer is kept in the Django cache for a little while (never past the first
    entry's expiry), so most views skip the database.
    """
    cache_key = offers_cache_key(offered_source_type())
    cached = cache.get(cache_key)
    if cached is not None:
        return _without_missing_logos(cached), True
    wait = settings.CODAT_BRANDING_COLD_WAIT if wait is None else wait
    deadline = time.monotonic() + wait
    catalogue_expires = _ensure_catalogue(deadline)
    entries = _offered_entries()
    if not entries:
        return sorted(_fallback_offers(), key=lambda offer: offer.sort_key), False
    fetching = _ensure_branding(entries)
    result = sorted((_offer(entry, fetching=entry.key in fetching) for entry in entries), key=lambda o: o.sort_key)
    expiries = [entry.branding_expires_at for entry in entries] + [catalogue_expires]
    if all(expiries):
        fresh_for = (min(expiries) - timezone.now()).total_seconds()
        if fresh_for > 1:
            cache.set(cache_key, result, timeout=min(OFFERS_CACHE_SECONDS, fresh_for))
            return result, True
    return result, False


def _without_missing_logos(cached: list[Offer]) -> list[Offer]:
    """A cached offering may name a logo another process has since evicted or replaced
    (per-process caches hear of it only when they run out): those tiles get the monogram
    rather than a broken image. One indexed query, only where the cache is per process: a
    shared one is dropped for everyone on refresh and evict (the page's script covers a race)."""
    if settings.SHARED_CACHE:
        return cached
    digests = {_digest(offer.logo_url) for offer in cached if offer.logo_url}
    if not digests:
        return cached
    present = set(Logo.objects.filter(digest__in=digests).values_list("digest", flat=True))
    if present == digests:
        return cached
    return [
        offer if not offer.logo_url or _digest(offer.logo_url) in present else replace(offer, logo_url=None, logo_alt="")
        for offer in cached
    ]


def _digest(logo_url: str) -> str:
    return logo_url.rsplit("/", 1)[-1].split(".", 1)[0]


def offer_for(key: str) -> Offer:
    """The integration a merchant selected, checked against the current catalogue."""
    if not PLATFORM_KEY.match(key or ""):
        raise NotOffered("malformed", "That is not a valid platform key.")
    if key == settings.CODAT_CONNECTOR_KEY:
        raise NotOffered("connector", "That is our own connector, not a platform to link.")
    cached = cache.get(offers_cache_key(offered_source_type()))
    if cached is not None:  # what the merchant was just shown: no query on the hand-off's path
        offer = next((offer for offer in cached if offer.key == key), None)
    else:
        entry = Integration.objects.filter(pk=key, source_type=offered_source_type()).first()
        offer = _offer(entry, with_logo=False) if entry else None
    if offer is None and cached is None and not Integration.objects.exists():
        offer = next((o for o in _fallback_offers() if o.key == key), None)
    if offer is None:
        raise NotOffered("unknown", "We don't offer that platform.")
    if not offer.enabled:
        raise NotOffered("disabled", f"{offer.name} is coming soon and can't be linked yet.")
    return offer


# --- internals -------------------------------------------------------------------------


def _offered_entries() -> list[Integration]:
    return list(
        Integration.objects.filter(source_type=offered_source_type())
        .exclude(key=settings.CODAT_CONNECTOR_KEY)
        .prefetch_related(Prefetch("logos", queryset=Logo.objects.defer("data")))
    )


def _offer(entry: Integration, *, with_logo: bool = True, fetching: bool = False) -> Offer:
    logo = None
    if with_logo:
        by_variant = {logo.variant: logo for logo in entry.logos.all()}
        logo = by_variant.get(Logo.Variant.SQUARE) or by_variant.get(Logo.Variant.FULL)
    return Offer(
        key=entry.key,
        name=entry.name,
        enabled=entry.enabled,
        is_beta=entry.is_beta,
        logo_url=(
            reverse("integrations:logo", args=[logo.digest, logos.EXTENSIONS[logo.content_type]])
            if logo
            else reverse("integrations:logo_for", args=[entry.key]) if fetching and with_logo else None
        ),
        logo_alt=logo.alt if logo else "",
    )


def _fallback_offers() -> list[Offer]:
    return [
        Offer(key=item.key, name=item.name, enabled=item.enabled, is_beta=item.is_beta)
        for item in FALLBACK_CATALOGUE
        if item.source_type == offered_source_type() and item.key != settings.CODAT_CONNECTOR_KEY
    ]


def _refreshable(expires_at, error_at, lease_until) -> bool:
    """Due, and nobody is refreshing it: worth handing to a background refresh."""
    return is_due(expires_at, error_at) and not is_leased(lease_until)


def _ensure_catalogue(deadline: float):
    """Refresh or fetch the catalogue as needed; its expiry when it is fresh, else None."""
    state = CatalogueState.objects.filter(pk=1).first()
    if state and state.fetched_at:
        if state.expires_at > timezone.now():
            return state.expires_at
        if _refreshable(state.expires_at, state.last_error_at, state.lease_until):
            refresher.submit(catalogue.catalogue_refresh)
        return None
    if state is None or _refreshable(None, state.last_error_at, state.lease_until):
        wait_futures([refresher.submit(catalogue.catalogue_refresh)], timeout=_left(deadline))
    # Then wait for a fetch another worker may be running, but not past the deadline.
    while _left(deadline) and CatalogueState.objects.filter(
        fetched_at__isnull=True, lease_until__gt=timezone.now()
    ).exists():
        time.sleep(POLL_SECONDS)
    return None  # just fetched (or not): not cached this time round


def _ensure_branding(entries: list[Integration]) -> set[str]:
    """Start the refreshes that are due, without waiting for any; the keys whose first logo is on
    its way (no logo yet, and a fetch started here or under way elsewhere)."""
    fetching = set()
    for entry in entries:
        started = _refreshable(entry.branding_expires_at, entry.branding_error_at, entry.lease_until)
        if started:
            refresher.submit(branding.branding_refresh, entry.key)
        if not entry.logos.all() and (started or is_leased(entry.lease_until)):
            fetching.add(entry.key)
    return fetching


def logo_for(key: str, *, wait: float | None = None) -> Logo | None:
    """The platform's logo (square first), waiting at most ``wait`` seconds (CODAT_BRANDING_COLD_WAIT)
    while a fetch of it is under way; None when there is none to show."""
    deadline = time.monotonic() + (settings.CODAT_BRANDING_COLD_WAIT if wait is None else wait)
    while True:
        # The entry first, then its logos: a refresh writes both in one transaction, so logos read
        # after an entry that says "done" are that refresh's.
        entry = Integration.objects.filter(pk=key).values("branding_fetched_at", "branding_error_at", "lease_until").first()
        found = {logo.variant: logo for logo in Logo.objects.filter(integration_id=key).defer("data")}
        logo = found.get(Logo.Variant.SQUARE) or found.get(Logo.Variant.FULL)
        if logo is not None or not _left(deadline):
            return logo
        # Fetched with no logo, or failed, and nobody trying again: the monogram. Never fetched
        # yet: the refresh the page view handed to a worker may not have started; wait for it.
        if entry is None or (
            (entry["branding_fetched_at"] or entry["branding_error_at"]) and not is_leased(entry["lease_until"])
        ):
            return None
        time.sleep(POLL_SECONDS)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
