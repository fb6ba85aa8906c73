"""list-connections: a company's commerce and accounting connections."""

from __future__ import annotations

from ..messages import SandboxRequest, SandboxResponse
from ..paging import paged
from ..routing import route
from ..wire import connection_json
from .companies import company_or_404


@route("GET", r"companies/(?P<company_id>[^/]+)/connections", "list-connections")
def list_connections(request: SandboxRequest, *, company_id: str, fault=None) -> SandboxResponse:
    company = company_or_404(company_id)
    # Codat's docs: `query` does not work on data connections, so it is ignored here too.
    return paged(
        request,
        company.connections.all(),
        f"/companies/{company.id}/connections",
        lambda connection: connection_json(connection, request.origin),
    )
