"""The process-wide Codat client, built from settings on first use.

``CODAT_TRANSPORT`` (a dotted path, like Django's ``EMAIL_BACKEND``) names an
httpx transport class to send requests through; in sandbox mode settings point
it at the embedded emulator, answered in-process so that a single gunicorn
worker never waits on itself. Product code never imports the emulator. Tests
and tools that need a different client (a counting transport, a short timeout)
install one with ``use_client``, an explicit seam rather than monkey patching.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from importlib import metadata

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .client import CodatClient

_lock = threading.Lock()
_client: CodatClient | None = None
_override: CodatClient | None = None

# httpx needs an absolute URL; an in-process transport ignores the host.
IN_PROCESS_ORIGIN = "http://codat-sandbox.internal"


def default_user_agent() -> str:
    try:
        return f"commerce-portal/{metadata.version('commerce-portal')}"
    except metadata.PackageNotFoundError:
        return "commerce-portal"


def build_client(**overrides) -> CodatClient:
    """A new client configured from settings; keyword arguments override any of them."""
    options = dict(
        base_url=settings.CODAT_BASE_URL,
        # Without a real key the client talks to the sandbox, with the key the sandbox accepts.
        api_key=settings.CODAT_API_KEY or settings.CODAT_SANDBOX_API_KEY,
        connect_timeout=settings.CODAT_CONNECT_TIMEOUT,
        read_timeout=settings.CODAT_READ_TIMEOUT,
        max_retries=settings.CODAT_MAX_RETRIES,
        retry_after_cap=settings.CODAT_RETRY_AFTER_CAP,
        max_response_bytes=settings.CODAT_MAX_RESPONSE_BYTES,
        user_agent=default_user_agent(),
    )
    if settings.CODAT_TRANSPORT:
        options["transport"] = import_string(settings.CODAT_TRANSPORT)()
    if options["base_url"].startswith("/"):  # answered in-process by the transport
        options["base_url"] = IN_PROCESS_ORIGIN + options["base_url"]
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
