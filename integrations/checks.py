"""System checks on the Codat settings: refuse a live deployment that cannot work."""

from django.conf import settings
from django.core import checks
from standardwebhooks import Webhook

from .services.offering import PLATFORM_KEY
from .services.rate_limits import parse_rate
from .services.sync_flow_settings import ClientIdProblem, sync_flow_client_id


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
    if settings.CODAT_CLIENT_ID and isinstance(sync_flow_client_id(), ClientIdProblem):
        problems.append(
            checks.Warning(
                f"CODAT_CLIENT_ID {settings.CODAT_CLIENT_ID!r} is not a UUID: the Sync Flow's visible accounts "
                "cannot be read.",
                hint="Set it to your Codat client id (see the admin's Sync Flow visible accounts page).",
                id="commerce_portal.W006",
            )
        )
    try:
        parse_rate(settings.LINK_RATE_LIMIT)
    except Exception as exc:
        problems.append(checks.Error(str(exc), id="commerce_portal.E006"))
    return problems


@checks.register(checks.Tags.security, deploy=True)
def check_webhook_secrets(app_configs=None, **kwargs):
    if not settings.CODAT_SANDBOX_ENABLED and not settings.CODAT_WEBHOOK_SECRETS:
        return [
            checks.Warning(
                "CODAT_WEBHOOK_SECRETS is empty: every Codat webhook will be refused, so disconnections "
                "made outside the portal go unnoticed until the next snapshot refresh.",
                hint="Copy the signing secret (whsec_…) from Codat's portal, Settings > Webhooks.",
                id="commerce_portal.W005",
            )
        ]
    return []


@checks.register()
def check_webhook_secret_format(app_configs=None, **kwargs):
    problems = []
    for secret in settings.CODAT_WEBHOOK_SECRETS:
        try:
            Webhook(secret)
        except Exception:
            problems.append(
                checks.Error(
                    "A CODAT_WEBHOOK_SECRETS entry is not a whsec_ signing secret.",  # never echo the secret
                    hint="Use the secrets exactly as Codat's portal shows them, comma-separated.",
                    id="commerce_portal.E008",
                )
            )
    return problems
