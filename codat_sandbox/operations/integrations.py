"""list-integrations and get-integration-branding: the catalogue of platforms and their logos."""

from __future__ import annotations

from ..data import BY_KEY, PLATFORMS, Platform, logo_filename
from ..messages import Reply, SandboxRequest, SandboxResponse, json_response
from ..paging import paged
from ..query import QueryError, compile_query, order_key
from ..routing import route

LOGO_PREFIX = "/sandbox/logos/"


def _integration_json(platform: Platform, origin: str) -> dict:
    return {
        "key": platform.key,
        "logoUrl": f"{origin}{LOGO_PREFIX}{logo_filename(platform, 'square')}",
        "name": platform.name,
        "enabled": platform.enabled,
        "sourceId": platform.source_id,
        "sourceType": platform.source_type,
        "integrationId": platform.integration_id,
        "isOfflineConnector": False,
        "isBeta": platform.is_beta,
        "dataProvidedBy": "Codat",
        # Codat's examples (and the spec's `required`) spell it "datatype".
        "datatypeFeatures": [
            {"datatype": data_type, "supportedFeatures": [{"featureType": "Get", "featureState": "Release"}]}
            for data_type in platform.data_types
        ],
    }


@route("GET", r"config/integrations", "list-integrations")
def list_integrations(request: SandboxRequest, *, fault=None) -> SandboxResponse:
    items = [_integration_json(p, request.origin) for p in PLATFORMS]
    try:
        if request.query.get("query"):
            matches = compile_query(request.query["query"])
            items = [item for item in items if matches(item)]
        if request.query.get("orderBy"):
            items.sort(key=order_key(request.query["orderBy"]), reverse=request.query["orderBy"].startswith("-"))
    except QueryError as exc:
        raise Reply(400, f"Error parsing query - {exc}", "ClientsApi")
    return paged(request, items, "/config/integrations")


@route("GET", r"config/integrations/(?P<platform_key>[^/]+)/branding", "get-integration-branding")
def get_branding(request: SandboxRequest, *, platform_key: str, fault=None) -> SandboxResponse:
    platform = BY_KEY.get(platform_key)
    if platform is None:
        raise Reply(404, f"No integration was found with key {platform_key[:20]}.")

    def image(variant: str) -> dict:
        return {
            "image": {
                "src": f"{request.origin}{LOGO_PREFIX}{logo_filename(platform, variant)}",
                "alt": f"{platform.name.lower()} {variant} icon",
            }
        }

    return json_response(
        200,
        {"logo": {"full": image("full"), "square": image("square")}, "button": {}, "sourceId": platform.source_id},
    )
