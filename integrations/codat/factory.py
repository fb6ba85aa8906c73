"""The process-wide Codat client, built from settings on first use.

In sandbox mode the client talks to the embedded emulator in-process, so a
single gunicorn worker never waits on itself. Tests and tools that need a
different client (a counting transport, a short timeout) install one with
``use_client``, an explicit seam rather than monkey patching.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .client import CodatClient

_lock = threading.Lock()
_client: CodatClient | None = None
_override: CodatClient | None = None

# httpx needs an absolute URL; the in-process transport ignores the host.
SANDBOX_ORIGIN = "http://codat-sandbox.internal"


def build_client(**overrides) -> CodatClient:
    """A new client configured from settings; keyword arguments override any of them."""
    options = dict(
        base_url=settings.CODAT_BASE_URL,
        api_key=settings.CODAT_API_KEY,
        connect_timeout=settings.CODAT_CONNECT_TIMEOUT,
        read_timeout=settings.CODAT_READ_TIMEOUT,
        max_retries=settings.CODAT_MAX_RETRIES,
        retry_after_cap=settings.CODAT_RETRY_AFTER_CAP,
    )
    if settings.CODAT_SANDBOX_ENABLED:
        from codat_sandbox.transport import SandboxTransport

        options["api_key"] = settings.CODAT_SANDBOX_API_KEY
        if options["base_url"].startswith("/"):
            options["base_url"] = SANDBOX_ORIGIN + options["base_url"]
            options["transport"] = SandboxTransport()
    options.update(overrides)
    return CodatClient(**options)


def get_codat_client() -> CodatClient:
    if _override is not None:
        return _override
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = build_client()
    return _client


@contextmanager
def use_client(client: CodatClient):
    """Make ``client`` the process-wide Codat client for the duration of the block."""
    global _override
    previous, _override = _override, client
    try:
        yield client
    finally:
        _override = previous


@receiver(setting_changed)
def _reset_on_settings_change(*, setting, **kwargs):
    global _client
    if setting.startswith("CODAT_"):
        with _lock:
            stale, _client = _client, None
        if stale is not None:
            stale.close()
