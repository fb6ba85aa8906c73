"""Shared fixtures. The only fake is at the Codat boundary: the embedded sandbox."""

from __future__ import annotations

import collections
import threading

import httpx
import pytest
from django.core.cache import cache

from codat_sandbox import faults
from codat_sandbox.transport import SandboxTransport
from integrations.codat import CodatClient, use_client
from integrations.codat.factory import IN_PROCESS_ORIGIN as SANDBOX_ORIGIN, default_user_agent
from integrations.services import refresher
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
    cache.clear()
    yield
    # Background refreshes must not outlive the test that started them.
    refresher.wait_idle(timeout=10)
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


@pytest.fixture
def warm_cache(db, counting):
    """Catalogue and branding fetched once; returns the counting transport, reset to zero."""
    from integrations.models import Integration
    from integrations.services.branding import branding_refresh
    from integrations.services.catalogue import catalogue_refresh

    catalogue_refresh(force=True)
    for key in Integration.objects.values_list("key", flat=True):
        branding_refresh(key, force=True)
    counting.paths.clear()
    counting.requests.clear()
    return counting
