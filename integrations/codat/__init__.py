"""Codat's Sync for Commerce API: one client, typed errors, typed answers."""

from .client import CodatClient
from .errors import (
    CodatAPIError,
    CodatAuthError,
    CodatBadRequestError,
    CodatConnectionError,
    CodatError,
    CodatNotFoundError,
    CodatRateLimitedError,
    CodatResponseError,
    CodatServerError,
    CodatTimeoutError,
)
from .factory import build_client, get_codat_client, use_client
from .schemas import (
    Branding,
    BrandingImage,
    Company,
    CompanySyncStatus,
    Configuration,
    Connection,
    ConnectionStatus,
    DataConnectionError,
    Integration,
    SyncFlowUrl,
    SyncSchedule,
    parse_datetime,
)

__all__ = [
    "Branding",
    "BrandingImage",
    "CodatAPIError",
    "CodatAuthError",
    "CodatBadRequestError",
    "CodatClient",
    "CodatConnectionError",
    "CodatError",
    "CodatNotFoundError",
    "CodatRateLimitedError",
    "CodatResponseError",
    "CodatServerError",
    "CodatTimeoutError",
    "Company",
    "CompanySyncStatus",
    "Configuration",
    "Connection",
    "ConnectionStatus",
    "DataConnectionError",
    "Integration",
    "SyncFlowUrl",
    "SyncSchedule",
    "build_client",
    "get_codat_client",
    "parse_datetime",
    "use_client",
]
