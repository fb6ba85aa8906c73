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
from .schemas import Branding, BrandingImage, Integration, SyncFlowUrl

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
    "Integration",
    "SyncFlowUrl",
    "build_client",
    "get_codat_client",
    "use_client",
]
