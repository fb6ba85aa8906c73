"""The parts of Codat's responses we rely on, parsed strictly per the spec.

Only the fields the spec marks required are insisted upon; everything else is
optional, so that Codat adding fields never breaks us.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class SchemaError(ValueError):
    """A response body that does not have the documented shape."""


def _require(data: Any, name: str, kind: type, where: str) -> Any:
    if not isinstance(data, dict):
        raise SchemaError(f"{where} is not a JSON object")
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SchemaError(f"{where}.{name} is missing or not a {kind.__name__}")
    return value


def _optional(data: dict, name: str, kind: type, default: Any = None) -> Any:
    value = data.get(name)
    return value if isinstance(value, kind) else default


@dataclass(frozen=True)
class Integration:
    key: str
    name: str
    logo_url: str
    enabled: bool
    source_type: str = ""
    source_id: str = ""
    is_beta: bool = False

    @classmethod
    def from_json(cls, data: Any) -> Integration:
        where = "integration"
        return cls(
            key=_require(data, "key", str, where),
            name=_require(data, "name", str, where),
            logo_url=_require(data, "logoUrl", str, where),
            enabled=_require(data, "enabled", bool, where),
            source_type=_optional(data, "sourceType", str, ""),
            source_id=_optional(data, "sourceId", str, ""),
            is_beta=_optional(data, "isBeta", bool, False),
        )


@dataclass(frozen=True)
class IntegrationsPage:
    results: list[Integration]
    page_number: int
    page_size: int
    total_results: int
    next_href: str | None

    @classmethod
    def from_json(cls, data: Any) -> IntegrationsPage:
        where = "integrations page"
        results = _require(data, "results", list, where) if "results" in (data or {}) else []
        links = _require(data, "_links", dict, where)
        next_link = links.get("next")
        return cls(
            results=[Integration.from_json(item) for item in results],
            page_number=_require(data, "pageNumber", int, where),
            page_size=_require(data, "pageSize", int, where),
            total_results=_require(data, "totalResults", int, where),
            next_href=next_link.get("href") if isinstance(next_link, dict) else None,
        )


@dataclass(frozen=True)
class BrandingImage:
    src: str
    alt: str


@dataclass(frozen=True)
class Branding:
    """Codat's branding document, kept whole (``raw``) with typed access to the logos."""

    raw: dict = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Branding:
        if not isinstance(data, dict):
            raise SchemaError("branding is not a JSON object")
        return cls(raw=data)

    def logo(self, variant: str) -> BrandingImage | None:
        """``variant`` is ``full`` or ``square``; None when Codat has no such image."""
        logo = self.raw.get("logo")
        slot = logo.get(variant) if isinstance(logo, dict) else None
        image = slot.get("image") if isinstance(slot, dict) else None
        if not isinstance(image, dict) or not isinstance(image.get("src"), str):
            return None
        alt = image.get("alt")
        return BrandingImage(src=image["src"], alt=alt if isinstance(alt, str) else "")


@dataclass(frozen=True)
class SyncFlowUrl:
    """A freshly minted Sync Flow URL.

    ``requested_at`` is the ``time.monotonic()`` at which the request that
    produced it was sent: the code's age is measured from then.
    """

    url: str = field(repr=False)  # carries a one-time code: never printed
    requested_at: float

    @classmethod
    def from_json(cls, data: Any, *, requested_at: float) -> SyncFlowUrl:
        return cls(url=_require(data, "url", str, "sync flow url"), requested_at=requested_at)
