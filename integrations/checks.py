"""System checks that refuse dangerous configurations before the app serves anyone."""

from django.conf import settings
from django.core import checks

from .services.offering import PLATFORM_KEY
from .services.rate_limits import parse_rate
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
        return [
            checks.Warning(
                "The public sandbox demo accepts the default key 'sandbox': anyone can script its faults.",
                hint="Set CODAT_SANDBOX_API_KEY to a secret value for a public demo.",
                id="commerce_portal.W004",
            )
        ]
    return []


@checks.register()
def check_codat_settings(app_configs=None, **kwargs):
    problems = []
    if not settings.CODAT_SANDBOX_ENABLED and not settings.CODAT_CONNECTOR_KEY:
        problems.append(
            checks.Error(
                "CODAT_API_KEY is set but CODAT_CONNECTOR_KEY is not.",
                hint="Set CODAT_CONNECTOR_KEY to the platform key of your Codat connector.",
                id="commerce_portal.E002",
            )
        )
    elif settings.CODAT_CONNECTOR_KEY and not PLATFORM_KEY.match(settings.CODAT_CONNECTOR_KEY):
        problems.append(
            checks.Error(
                f"CODAT_CONNECTOR_KEY {settings.CODAT_CONNECTOR_KEY!r} is not a 4-letter platform key.",
                id="commerce_portal.E003",
            )
        )
    if settings.CODAT_CONNECTOR_TYPE not in ("commerce", "accounting"):
        problems.append(
            checks.Error(
                f"CODAT_CONNECTOR_TYPE must be 'commerce' or 'accounting', not {settings.CODAT_CONNECTOR_TYPE!r}.",
                id="commerce_portal.E004",
            )
        )
    if settings.CODAT_SYNC_FLOW_CODE_TTL <= 0:
        problems.append(
            checks.Error("CODAT_SYNC_FLOW_CODE_TTL must be a positive number of seconds.", id="commerce_portal.E005")
        )
    if not settings.CODAT_SANDBOX_ENABLED and not settings.CODAT_BASE_URL.startswith("https://"):
        problems.append(
            checks.Warning(
                f"CODAT_BASE_URL {settings.CODAT_BASE_URL!r} is not https: the API key would travel in clear.",
                id="commerce_portal.W001",
            )
        )
    if not HEX_COLOR.match(settings.PARTNER_BRAND_COLOR):
        problems.append(
            checks.Warning(
                f"PARTNER_BRAND_COLOR {settings.PARTNER_BRAND_COLOR!r} is not a #rrggbb colour; the default is used.",
                id="commerce_portal.W002",
            )
        )
    try:
        parse_rate(settings.LINK_RATE_LIMIT)
    except Exception as exc:
        problems.append(checks.Error(str(exc), id="commerce_portal.E006"))
    return problems


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
