"""list-connections, update-connection and delete-connection: a company's commerce and accounting connections.

update-connection (``PATCH /companies/{companyId}/connections/{connectionId}``, Sync for Commerce
spec) takes ``UpdateConnection``. Codat's docs: "Only Linked data connections can be unlinked", and
the Platform twin (unlink-connection) documents the body ``{"status": "Unlinked"}``. So the sandbox:

- ``{"status": "Unlinked"}`` on a ``Linked`` connection: 200 with the Connection, now ``Unlinked``
  (webhook ``connection.disconnected``);
- ``{"status": "Unlinked"}`` on an already ``Unlinked`` one: 200 with the Connection, no change, no webhook;
- any other body, any other status value, or a connection that is ``PendingAuth`` or
  ``Deauthorized``: **400** with Codat's error body. *A documented deviation*: the spec lists no 400
  for update-connection (only 401, 402, 403, 404, 429, 500, 503); Codat's docs say only Linked
  connections can be unlinked without saying how the refusal is answered, and a 400 ``BadRequest`` is
  how Codat refuses a request elsewhere.

delete-connection (``DELETE /companies/{companyId}/connections/{connectionId}``) is in the Platform
API only (Codat-Platform.yaml): 200 with no body, then 404 for that connection (webhook
``connection.deleted``, carrying the connection's last status as Codat's does).

An unknown connection is 404 ("Data connection … not found", PublicApi), as in the spec's examples.
"""

from __future__ import annotations

import json
import uuid

from .. import lifecycle
from ..messages import Reply, SandboxRequest, SandboxResponse, json_response
from ..models import SandboxCompany, SandboxConnection
from ..paging import paged
from ..routing import route
from ..wire import connection_json
from .companies import company_or_404

_CONNECTION = r"companies/(?P<company_id>[^/]+)/connections/(?P<connection_id>[^/]+)"
UNLINKED = SandboxConnection.Status.UNLINKED


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


@route("PATCH", _CONNECTION, "update-connection")
def update_connection(request: SandboxRequest, *, company_id: str, connection_id: str, fault=None) -> SandboxResponse:
    connection = connection_or_404(company_or_404(company_id), connection_id)
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise Reply(400, "The request body is not valid JSON.")
    if not isinstance(body, dict) or set(body) != {"status"} or body["status"] != UNLINKED:
        # UpdateConnection allows only `status`; the sandbox changes a status only to Unlinked.
        raise Reply(400, 'The only change the sandbox makes to a connection is {"status": "Unlinked"}.')
    try:
        connection = lifecycle.unlink(connection)
    except lifecycle.NotLinked as refused:
        raise Reply(400, str(refused))
    return json_response(200, connection_json(connection, request.origin))


@route("DELETE", _CONNECTION, "delete-connection")
def delete_connection(request: SandboxRequest, *, company_id: str, connection_id: str, fault=None) -> SandboxResponse:
    lifecycle.connection_delete(connection_or_404(company_or_404(company_id), connection_id))
    return SandboxResponse(200, b"", {})  # Codat-Platform.yaml: "200 OK", no content


def connection_or_404(company: SandboxCompany, connection_id: str) -> SandboxConnection:
    try:
        return company.connections.get(pk=uuid.UUID(connection_id))
    except (ValueError, SandboxConnection.DoesNotExist):
        raise Reply(404, f"Data connection {connection_id[:64]} not found")
