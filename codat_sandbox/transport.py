"""An httpx transport that answers from the sandbox in-process, without a socket.

Injected latency is honoured against the request's own read timeout, so a
client sees ``httpx.ReadTimeout`` exactly as it would from a slow server.
"""

import time

import httpx

from . import api
from .middleware import public_origin


class SandboxTransport(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        url = request.url
        origin = public_origin.get() or f"{url.scheme}://{url.netloc.decode('ascii')}"
        answer = api.handle(
            api.SandboxRequest(
                method=request.method,
                path=url.path,
                query=dict(url.params),
                headers={name.lower(): value for name, value in request.headers.items()},
                origin=origin,
                body=body,
                internal=True,
            )
        )
        if answer.delay:
            read_timeout = (request.extensions.get("timeout") or {}).get("read")
            if read_timeout is not None and answer.delay > read_timeout:
                time.sleep(read_timeout)
                raise httpx.ReadTimeout("sandbox answer held past the read timeout", request=request)
            time.sleep(answer.delay)
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)
