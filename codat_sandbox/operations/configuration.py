"""get-configuration: whether a company's sync is configured and enabled, and its schedule."""

from __future__ import annotations

from ..messages import SandboxRequest, SandboxResponse, json_response
from ..routing import route
from ..wire import configuration_json
from .companies import company_or_404


@route("GET", r"config/companies/(?P<company_id>[^/]+)/sync/commerce", "get-configuration")
def get_configuration(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    return json_response(200, configuration_json(company_or_404(company_id).configuration))
