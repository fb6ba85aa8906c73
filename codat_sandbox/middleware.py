"""Lets in-process sandbox calls answer on the origin the merchant is using.

Over HTTP the sandbox builds its Sync Flow and logo URLs from the Host it was
called on. Called in-process there is no such Host, so this middleware
records the current request's origin for the sandbox transport to use.
"""

import contextvars

public_origin: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sandbox_public_origin", default=None
)


class PublicOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = public_origin.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            public_origin.reset(token)
