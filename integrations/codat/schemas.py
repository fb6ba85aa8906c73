"""The parts of Codat's responses we rely on, parsed strictly per the spec.

Only the fields the spec marks required (of those we keep) are insisted upon;
everything else is optional, so that Codat adding fields never breaks us.

The records the product keeps (companies, connections, configuration, syncs)
also have ``to_json()``: Codat's own shape, trimmed to what we keep, so that a
snapshot stored in a JSONField is rebuilt by the same ``from_json()``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class SchemaError(ValueError):
    """A response body that does not have the documented shape."""


def _object(data: Any, where: str) -> dict:
    if not isinstance(data, dict):
        raise SchemaError(f"{where} is not a JSON object")
    return data


def _require(data: Any, name: str, kind: type, where: str) -> Any:
    value = _object(data, where).get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SchemaError(f"{where}.{name} is missing or not a {kind.__name__}")
    return value


def _optional(data: dict, name: str, kind: type, default: Any = None) -> Any:
    value = data.get(name)
    if kind is int and isinstance(value, bool):
        return default
    return value if isinstance(value, kind) else default


def parse_datetime(value: Any) -> datetime | None:
    """A Codat date-time as an aware UTC datetime; None when absent or unreadable.

    Codat sends 'Z', offsets, no zone at all ("unqualified local time", taken
    as UTC) and bare dates, sometimes with 7 fractional digits; Python 3.11's
    ``fromisoformat`` reads all of these (digits past 6 are dropped).
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def parse_list(data: Any, parse_item: Callable[[Any], T], where: str) -> list[T]:
    """A bare JSON array of items (list-syncs is not paged)."""
    if not isinstance(data, list):
        raise SchemaError(f"{where} is not a JSON array")
    return [parse_item(item) for item in data]


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
class Page(Generic[T]):
    """One page of a paged list (list-integrations, list-companies, list-connections)."""

    results: list[T]
    page_number: int
    page_size: int
    total_results: int
    next_href: str | None

    @classmethod
    def from_json(cls, data: Any, parse_item: Callable[[Any], T]) -> Page[T]:
        where = "page"
        _object(data, where)
        results = _require(data, "results", list, where) if "results" in data else []
        links = _require(data, "_links", dict, where)
        next_link = links.get("next")
        return cls(
            results=[parse_item(item) for item in results],
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


# --- after the hand-off: companies, connections, configuration, syncs -----------------


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    description: str = ""
    created: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Company:
        where = "company"
        _object(data, where)
        tags = _optional(data, "tags", dict, {})
        return cls(
            id=_require(data, "id", str, where),
            name=_require(data, "name", str, where),
            description=_optional(data, "description", str, ""),
            created=parse_datetime(data.get("created")),
            tags={key: value for key, value in tags.items() if isinstance(value, str)},
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created": _iso(self.created),
            "tags": dict(self.tags),
        }


class ConnectionStatus(enum.StrEnum):
    PENDING_AUTH = "PendingAuth"
    LINKED = "Linked"
    UNLINKED = "Unlinked"
    DEAUTHORIZED = "Deauthorized"


# Codat's docs also write "pendingAuth": read any casing as the spec's spelling.
_CONNECTION_STATUSES = {status.value.lower(): status.value for status in ConnectionStatus}


@dataclass(frozen=True)
class DataConnectionError:
    """An error Codat recorded on a connection (e.g. the merchant declined authorisation)."""

    status_code: str = ""
    status_text: str = ""
    error_message: str = ""
    errored_on_utc: datetime | None = None
    status: str | None = None  # Active | Resolved; None: not a transient error
    resolved_on_utc: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> DataConnectionError:
        data = _object(data, "data connection error")
        return cls(
            status_code=_optional(data, "statusCode", str, ""),
            status_text=_optional(data, "statusText", str, ""),
            error_message=_optional(data, "errorMessage", str, ""),
            errored_on_utc=parse_datetime(data.get("erroredOnUtc")),
            status=_optional(data, "status", str),
            resolved_on_utc=parse_datetime(data.get("resolvedOnUtc")),
        )

    def to_json(self) -> dict:
        return {
            "statusCode": self.status_code,
            "statusText": self.status_text,
            "errorMessage": self.error_message,
            "erroredOnUtc": _iso(self.errored_on_utc),
            "status": self.status,
            "resolvedOnUtc": _iso(self.resolved_on_utc),
        }


@dataclass(frozen=True)
class Connection:
    """A company's connection to one platform. ``last_sync`` is when Codat last *read* data."""

    id: str
    integration_key: str
    platform_name: str
    source_type: str
    status: str  # a ConnectionStatus value, or whatever new status Codat sends
    created: datetime | None
    last_sync: datetime | None = None
    errors: tuple[DataConnectionError, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Connection:
        where = "connection"
        _object(data, where)
        status = _require(data, "status", str, where)
        errors = _optional(data, "dataConnectionErrors", list, [])
        return cls(
            id=_require(data, "id", str, where),
            integration_key=_optional(data, "integrationKey", str, ""),
            platform_name=_require(data, "platformName", str, where),
            source_type=_require(data, "sourceType", str, where),
            status=_CONNECTION_STATUSES.get(status.lower(), status),
            created=parse_datetime(_require(data, "created", str, where)),
            last_sync=parse_datetime(data.get("lastSync")),
            errors=tuple(DataConnectionError.from_json(e) for e in errors if isinstance(e, dict)),
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "integrationKey": self.integration_key,
            "platformName": self.platform_name,
            "sourceType": self.source_type,
            "status": self.status,
            # ``created`` is required: an unreadable one is stored as empty, not dropped.
            "created": _iso(self.created) or "",
            "lastSync": _iso(self.last_sync),
            "dataConnectionErrors": [error.to_json() for error in self.errors],
        }


@dataclass(frozen=True)
class SyncSchedule:
    selected_frequency: str = ""  # Daily | Monthly
    start_date: datetime | None = None
    sync_hour: int | None = None
    time_zone: str = ""

    @classmethod
    def from_json(cls, data: Any) -> SyncSchedule:
        data = _object(data, "sync schedule")
        return cls(
            selected_frequency=_optional(data, "selectedFrequency", str, ""),
            start_date=parse_datetime(data.get("startDate")),
            sync_hour=_optional(data, "syncHour", int),
            time_zone=_optional(data, "timeZone", str, ""),
        )

    def to_json(self) -> dict:
        return {
            "selectedFrequency": self.selected_frequency,
            "startDate": _iso(self.start_date),
            "syncHour": self.sync_hour,
            "timeZone": self.time_zone,
        }


@dataclass(frozen=True)
class Configuration:
    """A company's Sync for Commerce configuration. ``None`` flags are unknown, not false."""

    company_id: str = ""
    accounting_software_company_name: str = ""
    enable: bool | None = None
    configured: bool | None = None
    schedule: SyncSchedule | None = None

    @classmethod
    def from_json(cls, data: Any) -> Configuration:
        data = _object(data, "configuration")
        # The spec spells it `enable`, Codat's docs `enabled`: accept either.
        enable = _optional(data, "enable", bool)
        if enable is None:
            enable = _optional(data, "enabled", bool)
        schedule = data.get("schedule")
        return cls(
            company_id=_optional(data, "companyId", str, ""),
            accounting_software_company_name=_optional(data, "accountingSoftwareCompanyName", str, ""),
            enable=enable,
            configured=_optional(data, "configured", bool),
            schedule=SyncSchedule.from_json(schedule) if isinstance(schedule, dict) else None,
        )

    def to_json(self) -> dict:
        return {
            "companyId": self.company_id,
            "accountingSoftwareCompanyName": self.accounting_software_company_name,
            "enable": self.enable,
            "configured": self.configured,
            "schedule": self.schedule.to_json() if self.schedule is not None else None,
        }


@dataclass(frozen=True)
class CompanySyncStatus:
    """One Sync for Commerce run. Classify ``status_code`` by range; ``status`` is free text."""

    sync_id: str
    status_code: int
    status: str
    error_message: str = ""
    exception_message: str = ""
    sync_utc: datetime | None = None
    data_pushed: bool | None = None

    @classmethod
    def from_json(cls, data: Any) -> CompanySyncStatus:
        where = "sync status"
        _object(data, where)
        return cls(
            sync_id=_optional(data, "syncId", str, ""),
            # The spec requires nothing here, but a sync without its code says nothing.
            status_code=_require(data, "syncStatusCode", int, where),
            status=_optional(data, "syncStatus", str, ""),
            error_message=_optional(data, "errorMessage", str, ""),
            exception_message=_optional(data, "syncExceptionMessage", str, ""),
            sync_utc=parse_datetime(data.get("syncUtc")),
            data_pushed=_optional(data, "dataPushed", bool),
        )

    def to_json(self) -> dict:
        return {
            "syncId": self.sync_id,
            "syncStatusCode": self.status_code,
            "syncStatus": self.status,
            "errorMessage": self.error_message,
            "syncExceptionMessage": self.exception_message,
            "syncUtc": _iso(self.sync_utc),
            "dataPushed": self.data_pushed,
        }


@dataclass(frozen=True)
class SyncSummary:
    """Codat's answer to request-sync and request-sync-for-date-range: the run it started.

    The spec requires none of SyncSummary's fields; a sync was asked for either way, so
    nothing is insisted upon here and a missing code is None rather than a refusal.
    """

    commerce_sync_id: str = ""
    status_code: int | None = None
    status: str = ""
    error_message: str = ""
    exception_message: str = ""
    sync_utc: datetime | None = None
    data_pushed: bool | None = None
    range_start: datetime | None = None
    range_finish: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> SyncSummary:
        data = _object(data, "sync summary")
        date_range = _optional(data, "syncDateRangeUtc", dict, {})
        return cls(
            commerce_sync_id=_optional(data, "commerceSyncId", str, ""),
            status_code=_optional(data, "syncStatusCode", int),
            status=_optional(data, "syncStatus", str, ""),
            error_message=_optional(data, "errorMessage", str, ""),
            exception_message=_optional(data, "syncExceptionMessage", str, ""),
            sync_utc=parse_datetime(data.get("syncUtc")),
            data_pushed=_optional(data, "dataPushed", bool),
            range_start=parse_datetime(date_range.get("start")),
            range_finish=parse_datetime(date_range.get("finish")),
        )

    def to_json(self) -> dict:
        return {
            "commerceSyncId": self.commerce_sync_id,
            "syncStatusCode": self.status_code,
            "syncStatus": self.status,
            "errorMessage": self.error_message,
            "syncExceptionMessage": self.exception_message,
            "syncUtc": _iso(self.sync_utc),
            "dataPushed": self.data_pushed,
            "syncDateRangeUtc": {"start": _iso(self.range_start), "finish": _iso(self.range_finish)},
        }

    def as_sync_status(self) -> CompanySyncStatus | None:
        """The run as list-syncs will describe it (its id is the sync's id); None without a code."""
        if self.status_code is None:
            return None
        return CompanySyncStatus(
            sync_id=self.commerce_sync_id,
            status_code=self.status_code,
            status=self.status,
            error_message=self.error_message,
            exception_message=self.exception_message,
            sync_utc=self.sync_utc,
            data_pushed=self.data_pushed,
        )


def iso_datetime(value: datetime) -> str:
    """An aware datetime as Codat's date-time strings: UTC, 'Z'."""
    if value.tzinfo is None:
        raise ValueError("Codat date-times must be aware")
    return _iso(value.astimezone(timezone.utc))


# --- Sync Flow settings: its texts and the accounts merchants may map -------------------


class Locale(enum.StrEnum):
    """The spec's ``Locale``: the languages the Sync Flow's texts can be set in."""

    EN_US = "en-us"
    FR_FR = "fr-fr"


@dataclass(frozen=True)
class Localization:
    """One Sync Flow text. ``text`` may be empty (the Sync Flow shows nothing) or None."""

    text: str | None
    required: bool = False

    @classmethod
    def from_json(cls, data: Any) -> Localization:
        data = _object(data, "localization")
        text = data.get("text")
        if text is not None and not isinstance(text, str):
            raise SchemaError("localization.text is not a string or null")
        return cls(text=text, required=_optional(data, "required", bool, False))


@dataclass(frozen=True)
class LocalizationInfo:
    """Every Sync Flow text of one locale, by its key (Codat's ``data-textkey``), in Codat's order.

    The spec's shape, ``{key: {text, required}}``; Codat's docs show a flat ``{key: text}``,
    which is read too (as not required) so that either answer parses.
    """

    texts: dict[str, Localization]

    @classmethod
    def from_json(cls, data: Any) -> LocalizationInfo:
        texts = {}
        for key, value in _object(data, "localization info").items():
            if value is None or isinstance(value, str):
                texts[key] = Localization(text=value)
            else:
                texts[key] = Localization.from_json(value)
        return cls(texts=texts)


@dataclass(frozen=True)
class VisibleAccounts:
    """The account types merchants may map in the Sync Flow; None: Codat did not list them."""

    visible_accounts: tuple[str, ...] | None

    @classmethod
    def from_json(cls, data: Any) -> VisibleAccounts:
        value = _object(data, "visible accounts").get("visibleAccounts")
        if value is None:
            return cls(visible_accounts=None)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise SchemaError("visibleAccounts is not an array of strings")
        return cls(visible_accounts=tuple(value))
