"""Shared fixtures. The only fake is at the Codat boundary: the embedded sandbox."""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from codat_sandbox import faults
from codat_sandbox.transport import SandboxTransport
from commerce_portal import kept_pages
from integrations.codat import CodatClient, use_client
from integrations.codat.factory import IN_PROCESS_ORIGIN as SANDBOX_ORIGIN, default_user_agent
from integrations.models import CatalogueState, Integration, Logo
from integrations.services import refresher, side_writes
from integrations.services.offers_cache import forget_offers
from integrations.services.refresh_all import branding_refresh_all
from tests.factories import MERCHANT_PASSWORD, make_merchant, make_staff
from tests.browser import browser, page, warm_live_cache  # noqa: F401  (fixtures, one per session)

SANDBOX_KEY = "sandbox"


class CountingTransport(httpx.BaseTransport):
    """Counts the requests that reach Codat, by path, then passes them on."""

    def __init__(self, inner: httpx.BaseTransport | None = None):
        self.inner = inner or SandboxTransport()
        self.paths: collections.Counter[str] = collections.Counter()
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def handle_request(self, request):
        with self._lock:
            self.paths[request.url.path] += 1
            self.requests.append(request)
        return self.inner.handle_request(request)

    @property
    def total(self) -> int:
        return sum(self.paths.values())

    def count(self, fragment: str) -> int:
        return sum(n for path, n in self.paths.items() if fragment in path)

    @property
    def mints(self) -> int:
        return self.count("/start")

    @property
    def branding_calls(self) -> int:
        return sum(n for path, n in self.paths.items() if path.endswith("/branding"))


def sandbox_client(transport: httpx.BaseTransport | None = None, **options) -> CodatClient:
    options = {
        "base_url": f"{SANDBOX_ORIGIN}/sandbox/codat",
        "api_key": SANDBOX_KEY,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "user_agent": default_user_agent(),
        **options,
    }
    return CodatClient(transport=transport or SandboxTransport(), **options)


@pytest.fixture(autouse=True)
def _isolation(settings):
    # Password hashing is deliberately slow; tests need it correct, not slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The sandbox's webhooks are recorded, not sent, unless a test asks (tests/integrations/test_webhooks.py).
    settings.CODAT_SANDBOX_WEBHOOK_DELIVERY = False
    cache.clear()
    kept_pages.forget_all()  # each test starts as a fresh process would
    yield
    # Background refreshes must not outlive the test that started them.
    refresher.wait_idle(timeout=10)
    side_writes.shutdown()  # nor their writes, and no connection of theirs stays open
    cache.clear()


@pytest.fixture
def counting():
    """The process-wide Codat client, counting every request it sends to the sandbox."""
    transport = CountingTransport()
    with use_client(sandbox_client(transport)):
        yield transport


@pytest.fixture
def sandbox_faults(db):
    yield faults
    faults.reset()


@pytest.fixture
def merchant_and_user(db):
    return make_merchant(identifier="Bean & Leaf, Ltd. #42", name="Bean & Leaf", username="bean", password=MERCHANT_PASSWORD)


@pytest.fixture
def merchant(merchant_and_user):
    return merchant_and_user[0]


@pytest.fixture
def merchant_client(client, merchant_and_user):
    client.force_login(merchant_and_user[1])
    return client


@pytest.fixture
def staff_user(db):
    return make_staff()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@dataclass(frozen=True)
class WarmCatalogue:
    """The catalogue, branding and logos a forced refresh from the sandbox leaves, as plain field values."""

    state: dict
    integrations: list[dict]
    logos: list[dict]

    def install(self) -> None:
        """Copies of the rows, fetched just now and fresh for CODAT_BRANDING_TTL, as `make run` leaves them."""
        now = timezone.now()
        expires = now + timedelta(seconds=settings.CODAT_BRANDING_TTL)
        CatalogueState.objects.bulk_create([CatalogueState(**{**self.state, "fetched_at": now, "expires_at": expires})])
        Integration.objects.bulk_create(
            Integration(**{**row, "listed_at": now, "branding_fetched_at": now, "branding_expires_at": expires})
            for row in self.integrations
        )
        Logo.objects.bulk_create(Logo(**{**row, "fetched_at": now}) for row in self.logos)
        forget_offers()


@pytest.fixture(scope="session")
def warm_catalogue(django_db_setup, django_db_blocker) -> WarmCatalogue:
    """Fetched from the sandbox once per session, in a transaction rolled back; tests get copies."""
    with django_db_blocker.unblock(), use_client(sandbox_client()), transaction.atomic():
        report = branding_refresh_all(force=True)
        assert report.ok and report.count("refreshed") == Integration.objects.count() > 0, report
        warm = WarmCatalogue(
            state=CatalogueState.objects.values().get(),
            integrations=list(Integration.objects.values()),
            # ids left to the database: on PostgreSQL an explicit id would not advance the sequence
            logos=[
                {**{k: v for k, v in row.items() if k != "id"}, "data": bytes(row["data"])}
                for row in Logo.objects.values().order_by("id")
            ],
        )
        transaction.set_rollback(True)
    return warm


@pytest.fixture
def warm_cache(db, counting, warm_catalogue):
    """Catalogue and branding fresh in the database; returns the counting transport, at zero."""
    warm_catalogue.install()
    return counting


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) that Django's SMTP backend sends to; yields its inbox."""
    from tests.webhook_helpers import smtp_server

    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield inbox


def start_link(client, data):
    """POST a link start as a browser does: a failure answers 303 and the browser GETs the failure
    page (post/redirect/get), whose status and headers are what the merchant sees; a success is the
    302 to the Sync Flow, returned as it is."""
    response = client.post("/link/", data)
    if response.status_code == 303:
        return client.get(response["Location"])
    return response
