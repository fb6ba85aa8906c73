"""What the emulated API exchanges: a plain request, a plain response, and Codat's error body."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Mapping

_STANDARD_ERRORS = {
    400: "Error processing request - not valid.",
    401: "Unauthorized",
    402: "You have exceeded the 50-company limit that applies to a Free plan.",
    403: "You are using an outdated API key or a key not associated with that resource.",
    404: "The requested resource could not be found.",
    405: "The requested method is not allowed on this resource.",
    408: "The request timed out.",
    409: "The data set has not been requested.",
    429: "You have made too many requests in a given amount of time; please retry later.",
    500: "There is a problem with our server. Please try again later.",
    502: "Bad gateway.",
    503: "The Codat API is temporarily offline for maintenance. Please try again later.",
    504: "Gateway timeout.",
}


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    origin: str  # scheme://host the sandbox was reached on; public URLs are built on it
    body: bytes = b""
    # True for the app's own calls through SandboxTransport: they count (faults, the call log)
    # even where Codat asks for no key, as for logos on its static host.
    internal: bool = False


@dataclass
class SandboxResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds the answer is still held back, so that it leaves an injected latency after arriving


class Reply(Exception):
    """Raised by an operation to answer with a Codat error."""

    def __init__(
        self, status: int, error: str = "", service: str = "PublicApi", validation: list[dict] | None = None
    ):
        self.status, self.error, self.service, self.validation = status, error, service, validation


def json_response(status: int, data) -> SandboxResponse:
    return SandboxResponse(
        status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8"}
    )


def error_response(
    status: int, error: str = "", *, service: str = "PublicApi", validation: list[dict] | None = None
) -> SandboxResponse:
    """Codat's ErrorMessage; ``validation`` lists ``{itemId, message, validatorName}`` errors."""
    body = {
        "statusCode": status,
        "service": service,
        "error": error or _STANDARD_ERRORS.get(status, "Error."),
        "correlationId": uuid.uuid4().hex,
        "canBeRetried": "Unknown",
        "detailedErrorCode": 0,
    }
    if validation:
        body["validation"] = {"errors": validation, "warnings": []}
    return json_response(status, body)
