"""The Sync Flow's settings: its texts per locale and the accounts merchants may map per commerce platform.

    GET|PATCH /sync/commerce/config/ui/text?locale=                           get-/update-config-text-sync-flow
    GET       /clients/{clientId}/config/ui/accounts/platform/{platformKey}   get-visible-accounts
    POST      /sync/commerce/config/ui/accounts/platform/{platformKey}        update-visible-accounts-sync-flow

Paths follow the spec. Codat's docs read visible accounts at
``GET sync/commerce/config/ui/accounts/platform/{platformKey}``: that path answers only POST here (405).
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings

from .. import sync_flow_settings as state
from ..data import BY_KEY
from ..messages import Reply, SandboxRequest, SandboxResponse, json_response
from ..routing import route
from ..sync_flow_data import LOCALES

_TEXT = r"sync/commerce/config/ui/text"


def _refuse(problems: state.Problems, validator: str) -> Reply:
    return Reply(
        400,
        " ".join(message for _, message in problems.items),
        validation=[{"itemId": item, "message": message, "validatorName": validator} for item, message in problems.items],
    )


def _locale(request: SandboxRequest) -> str:
    locale = request.query.get("locale", "")
    if locale not in LOCALES:
        problems = state.Problems()
        problems.add("locale", f"locale must be one of {', '.join(LOCALES)}.")
        raise _refuse(problems, "Locale")
    return locale


def _body(request: SandboxRequest):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise Reply(400, "The request body is not valid JSON.") from None


def _commerce_platform(platform_key: str) -> str:
    # Codat's docs: the platform is the commerce one ("POST …/platform/{commerceKey}").
    platform = BY_KEY.get(platform_key)
    if platform is None or platform.source_type != "Commerce":
        raise Reply(404, f"No commerce integration was found with key {platform_key[:20]}.")
    return platform_key


@route("GET", _TEXT, "get-config-text-sync-flow")
def get_texts(request: SandboxRequest, *, fault=None) -> SandboxResponse:
    return json_response(200, state.texts_json(_locale(request)))


@route("PATCH", _TEXT, "update-config-text-sync-flow")
def update_texts(request: SandboxRequest, *, fault=None) -> SandboxResponse:
    locale = _locale(request)
    changes, problems = state.texts_check(_body(request))
    if problems:  # all or nothing: one bad key changes no text
        raise _refuse(problems, "LocalizationInfo")
    state.texts_apply(locale, changes)
    return json_response(200, state.texts_json(locale))


@route(
    "GET",
    r"clients/(?P<client_id>[^/]+)/config/ui/accounts/platform/(?P<platform_key>[^/]+)",
    "get-visible-accounts",
)
def get_visible_accounts(request: SandboxRequest, *, client_id: str, platform_key: str, fault=None) -> SandboxResponse:
    try:
        known = uuid.UUID(client_id) == uuid.UUID(settings.CODAT_SANDBOX_CLIENT_ID)
    except ValueError:
        known = False
    if not known:
        raise Reply(404, f"No client was found with ID {client_id[:64]}.", "ClientsApi")
    return json_response(200, {"visibleAccounts": state.visible_accounts(_commerce_platform(platform_key))})


@route("POST", r"sync/commerce/config/ui/accounts/platform/(?P<platform_key>[^/]+)", "update-visible-accounts-sync-flow")
def update_visible_accounts(request: SandboxRequest, *, platform_key: str, fault=None) -> SandboxResponse:
    platform_key = _commerce_platform(platform_key)
    accounts, problems = state.visible_accounts_check(_body(request))
    if problems:
        raise _refuse(problems, "VisibleAccounts")
    state.visible_accounts_set(platform_key, accounts)
    return json_response(200, {"visibleAccounts": state.visible_accounts(platform_key)})
