"""Project-wide system checks: refuse dangerous configurations before the app serves anyone."""

from django.conf import settings
from django.core import checks

from .theme import HEX_COLOR


@checks.register(checks.Tags.security, deploy=False)
def check_sandbox_exposure(app_configs=None, **kwargs):
    if settings.CODAT_SANDBOX_ENABLED and not settings.DEBUG and not settings.CODAT_SANDBOX_DEMO:
        return [
            checks.Error(
                "The embedded Codat sandbox is active with DEBUG off.",
                hint=(
                    "Production needs CODAT_API_KEY (real Codat). For a deliberately public demo "
                    "of the sandbox, set CODAT_SANDBOX_DEMO=true."
                ),
                id="commerce_portal.E001",
            )
        ]
    if settings.CODAT_SANDBOX_ENABLED and settings.CODAT_SANDBOX_DEMO and settings.CODAT_SANDBOX_API_KEY == "sandbox":
        # The sandbox itself refuses the well-known key in a demo, so
        # the demo would not work either: refuse to start, and say how to get a key.
        return [
            checks.Error(
                "A public sandbox demo (CODAT_SANDBOX_DEMO) cannot use the default key 'sandbox': "
                "anyone could call its API and script its faults.",
                hint=(
                    "Run `python manage.py sandbox_demo_key` once per deployment: it prints a random key. "
                    "Keep it in the deployment's secrets as CODAT_SANDBOX_API_KEY."
                ),
                id="commerce_portal.E009",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_allowed_hosts(app_configs=None, **kwargs):
    if settings.ALLOWED_HOSTS:
        return []
    level = checks.Warning if settings.DEBUG else checks.Error
    return [
        level(
            "ALLOWED_HOSTS is empty.",
            hint="Set ALLOWED_HOSTS to the host names the portal is served on.",
            id="commerce_portal.E007" if level is checks.Error else "commerce_portal.W003",
        )
    ]


@checks.register()
def check_brand_color(app_configs=None, **kwargs):
    if HEX_COLOR.match(settings.PARTNER_BRAND_COLOR):
        return []
    return [
        checks.Warning(
            f"PARTNER_BRAND_COLOR {settings.PARTNER_BRAND_COLOR!r} is not a #rrggbb colour; the default is used.",
            id="commerce_portal.W002",
        )
    ]


@checks.register(checks.Tags.security)
def check_proxy_count(app_configs=None, **kwargs):
    """PROXY_COUNT set, but axes would still lock out the proxy's address (and so everyone)."""
    if not getattr(settings, "PROXY_COUNT", 0):
        return []
    from axes import helpers

    from .client_ip import probe_request

    client = "203.0.113.9"
    seen = helpers.get_client_ip_address(probe_request(settings.PROXY_COUNT, client=client, forged="198.51.100.66"))
    if seen == client:
        return []
    return [
        checks.Error(
            f"PROXY_COUNT={settings.PROXY_COUNT} is set but has no effect: behind that many proxies, "
            f"failed logins from {client} would be counted against {seen!r}.",
            hint=(
                "Install django-ipware (pinned in requirements.lock) and leave AXES_IPWARE_* and "
                "AXES_CLIENT_IP_CALLABLE to settings.py; each proxy must append to X-Forwarded-For."
                if helpers.IPWARE_INSTALLED
                else "django-ipware is not installed: install it (pip install -c requirements.lock .)."
            ),
            id="commerce_portal.E010",
        )
    ]
