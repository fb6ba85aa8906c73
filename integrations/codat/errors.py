"""Typed errors for calls to Codat, carrying Codat's own evidence.

    CodatError
    ├── CodatConnectionError      network trouble; no answer from Codat
    │   └── CodatTimeoutError
    └── CodatAPIError             Codat answered, and not with what we asked for
        ├── CodatBadRequestError        400
        ├── CodatAuthError              401, 402, 403
        ├── CodatNotFoundError          404
        ├── CodatRateLimitedError       429
        ├── CodatServerError            5xx
        └── CodatResponseError          2xx whose body is not what the spec promises

Messages show the status, Codat's ``error`` and ``correlationId``; never the API key.
"""

from __future__ import annotations


class CodatError(Exception):
    """Anything that stopped a Codat operation from giving an answer."""

    operation: str = ""

    def __init__(self, message: str, *, operation: str = ""):
        super().__init__(message)
        self.operation = operation


class CodatConnectionError(CodatError):
    """Codat could not be reached: DNS, refused connection, reset, TLS."""


class CodatTimeoutError(CodatConnectionError):
    """Codat did not answer within the configured (or remaining) time."""


class CodatAPIError(CodatError):
    """Codat answered with an error status or an unusable body."""

    def __init__(
        self,
        *,
        operation: str,
        status: int,
        error: str = "",
        correlation_id: str = "",
        body: dict | str | None = None,
        retry_after: float | None = None,
    ):
        self.status = status
        self.error = error
        self.correlation_id = correlation_id
        self.body = body
        self.retry_after = retry_after
        parts = [f"Codat {operation or 'call'} failed with HTTP {status}"]
        if error:
            parts.append(f": {error}")
        if correlation_id:
            parts.append(f" (correlationId {correlation_id})")
        super().__init__("".join(parts), operation=operation)


class CodatBadRequestError(CodatAPIError):
    pass


class CodatAuthError(CodatAPIError):
    """The API key is wrong, outdated, or the account is over a limit."""


class CodatNotFoundError(CodatAPIError):
    pass


class CodatRateLimitedError(CodatAPIError):
    pass


class CodatServerError(CodatAPIError):
    pass


class CodatResponseError(CodatAPIError):
    """A success status whose body is not JSON of the documented shape."""


# One flat table from status to error class; 5xx and the rest are handled by error_for_status.
_STATUS_ERRORS: dict[int, type[CodatAPIError]] = {
    400: CodatBadRequestError,
    401: CodatAuthError,
    402: CodatAuthError,
    403: CodatAuthError,
    404: CodatNotFoundError,
    429: CodatRateLimitedError,
}


def error_class_for_status(status: int) -> type[CodatAPIError]:
    if status >= 500:
        return CodatServerError
    return _STATUS_ERRORS.get(status, CodatAPIError)
