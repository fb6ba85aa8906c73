"""The one Codat client: every call goes through ``_request``.

``_request`` owns timeouts, retries, logging and error mapping; the public
methods are thin and named after Codat's operationIds.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote

import httpx

from . import errors
from .retry import backoff_delay, is_retryable_status, parse_retry_after
from .schemas import (
    Branding,
    Company,
    CompanySyncStatus,
    Configuration,
    Connection,
    Integration,
    Locale,
    LocalizationInfo,
    Page,
    SchemaError,
    SyncFlowUrl,
    SyncSummary,
    iso_datetime,
    VisibleAccounts,
    parse_list,
)

logger = logging.getLogger("integrations.codat")

# Guard against a server whose paging never ends.
MAX_PAGES = 50


def _segment(value: str) -> str:
    """One path segment, quoted so that an id or key can never change the path."""
    return quote(str(value), safe="")


@dataclass(frozen=True)
class _Answer:
    response: httpx.Response
    body: bytes
    requested_at: float


class CodatClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        max_retries: int = 2,
        retry_after_cap: float = 3.0,
        backoff_base: float = 0.5,
        backoff_max: float = 4.0,
        page_size: int = 100,
        max_response_bytes: int | None = 4 * 1024 * 1024,
        user_agent: str = "commerce-portal",
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.max_retries = max_retries
        self.retry_after_cap = retry_after_cap
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.page_size = page_size
        # Codat's JSON answers are read in chunks and refused past this: a runaway or hostile
        # answer cannot hold a worker's memory. Images have their own cap (get_image).
        self.max_response_bytes = max_response_bytes
        self._rng = rng or random.Random()
        # Injectable so that retry tests assert the waits asked for instead of sleeping them.
        self._sleep = sleep
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        user_agent = f"{user_agent} httpx/{httpx.__version__}"
        credentials = base64.b64encode(api_key.encode()).decode()
        self._api = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Basic {credentials}",
                "Accept": "application/json",
                "User-Agent": user_agent,
            },
            timeout=timeout,
            transport=transport,
        )
        # Logos live on Codat's static host: never send the API key there.
        self._assets = httpx.Client(
            headers={"User-Agent": user_agent}, timeout=timeout, transport=transport
        )

    def __repr__(self):
        return f"<CodatClient base_url={str(self._api.base_url)!r}>"

    def close(self) -> None:
        self._api.close()
        self._assets.close()

    # --- operations ----------------------------------------------------------

    def list_integrations(self, *, query: str | None = None) -> list[Integration]:
        """list-integrations, following the pages to the end."""
        params = {"query": query} if query else None
        return self._list_pages(
            "list-integrations", "config/integrations", Integration.from_json, params=params
        )

    def get_integration_branding(self, platform_key: str) -> Branding:
        """get-integration-branding."""
        answer = self._request(
            "get-integration-branding",
            "GET",
            f"config/integrations/{_segment(platform_key)}/branding",
        )
        return self._parse("get-integration-branding", answer, Branding.from_json)

    def get_sync_flow_url(
        self,
        *,
        commerce_key: str,
        accounting_key: str,
        merchant_identifier: str,
        redirect_url: str | None = None,
        deadline: float | None = None,
    ) -> SyncFlowUrl:
        """get-sync-flow-url: a Sync Flow URL with a fresh single-use code.

        ``deadline`` (a ``time.monotonic()`` value) bounds every attempt and
        retry: the merchant is waiting on this call.
        """
        params = {"merchantIdentifier": merchant_identifier}
        if redirect_url:
            params["redirectUrl"] = redirect_url  # documented by Codat, not in the spec
        path = f"config/sync/commerce/{_segment(commerce_key)}/{_segment(accounting_key)}/start"
        answer = self._request("get-sync-flow-url", "GET", path, params=params, deadline=deadline)
        return self._parse(
            "get-sync-flow-url",
            answer,
            lambda data: SyncFlowUrl.from_json(data, requested_at=answer.requested_at),
        )

    def create_company(
        self, *, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> Company:
        """create-company. Never retried: a retry after a lost answer could create a twin."""
        body: dict[str, Any] = {"name": name}
        if description is not None:
            body["description"] = description
        if tags:
            body["tags"] = tags
        answer = self._request("create-company", "POST", "companies", json_body=body)
        return self._parse("create-company", answer, Company.from_json)

    def list_companies(self) -> list[Company]:
        """list-companies, following the pages to the end (Codat ignores ``query`` here)."""
        return self._list_pages("list-companies", "companies", Company.from_json)

    def list_connections(self, company_id: str) -> list[Connection]:
        """list-connections: the company's commerce and accounting connections."""
        return self._list_pages(
            "list-connections", f"companies/{_segment(company_id)}/connections", Connection.from_json
        )

    def update_connection(self, company_id: str, connection_id: str, *, status: str) -> Connection:
        """update-connection: ``{"status": "Unlinked"}`` disconnects without deleting (re-linkable).

        Never retried: a PATCH whose answer was lost may have taken effect; the caller re-reads instead.
        """
        answer = self._request(
            "update-connection", "PATCH", self._connection_path(company_id, connection_id), json_body={"status": status}
        )
        return self._parse("update-connection", answer, Connection.from_json)

    def delete_connection(self, company_id: str, connection_id: str) -> None:
        """delete-connection (Platform API; not in the Sync for Commerce spec): 200 with no body.

        Not reversible, and never retried: the caller re-reads the connections instead.
        """
        self._request("delete-connection", "DELETE", self._connection_path(company_id, connection_id))

    def get_configuration(self, company_id: str) -> Configuration:
        """get-configuration: whether the company's sync is configured and enabled, and when it runs."""
        path = f"config/companies/{_segment(company_id)}/sync/commerce"
        answer = self._request("get-configuration", "GET", path)
        return self._parse("get-configuration", answer, Configuration.from_json)

    def get_latest_sync(self, company_id: str) -> CompanySyncStatus:
        """get-latest-sync. Codat answers 404 when the company has never synced."""
        return self._get_sync("get-latest-sync", company_id, "latest")

    def get_last_successful_sync(self, company_id: str) -> CompanySyncStatus:
        """get-last-successful-sync. Codat answers 404 when no sync has succeeded."""
        return self._get_sync("get-last-successful-sync", company_id, "lastSuccessful")

    def list_syncs(self, company_id: str) -> list[CompanySyncStatus]:
        """list-syncs: a bare, unpaged array."""
        answer = self._request("list-syncs", "GET", self._syncs_path(company_id, "list"))
        return self._parse(
            "list-syncs",
            answer,
            lambda data: parse_list(data, CompanySyncStatus.from_json, "sync list"),
        )

    def request_sync(self, company_id: str, *, sync_to: datetime | None = None) -> SyncSummary:
        """request-sync: a sync from the last successful one up to ``sync_to`` (Codat's default: now).

        A POST, so never retried: a retry after a lost answer would start a second sync.
        """
        body = {"syncTo": iso_datetime(sync_to)} if sync_to is not None else {}
        path = f"companies/{_segment(company_id)}/sync/commerce/latest"
        answer = self._request("request-sync", "POST", path, json_body=body)
        return self._parse("request-sync", answer, SyncSummary.from_json)

    def request_sync_for_date_range(self, company_id: str, *, start: datetime, finish: datetime) -> SyncSummary:
        """request-sync-for-date-range, with the spec's SyncRange body (some docs show ``{start, end}``).

        A POST, so never retried.
        """
        body = {"dateRange": {"start": iso_datetime(start), "finish": iso_datetime(finish)}}
        path = f"meta/companies/{_segment(company_id)}/sync/commerce/historic"
        answer = self._request("request-sync-for-date-range", "POST", path, json_body=body)
        return self._parse("request-sync-for-date-range", answer, SyncSummary.from_json)

    # --- Sync Flow settings: the same for every merchant ----------------------------

    def get_config_text_sync_flow(self, *, locale: Locale | str) -> LocalizationInfo:
        """get-config-text-sync-flow: every Sync Flow text of ``locale``, with whether Codat requires it."""
        params = {"locale": Locale(locale).value}
        answer = self._request("get-config-text-sync-flow", "GET", "sync/commerce/config/ui/text", params=params)
        return self._parse("get-config-text-sync-flow", answer, LocalizationInfo.from_json)

    def update_config_text_sync_flow(
        self, *, locale: Locale | str, texts: Mapping[str, str | None]
    ) -> LocalizationInfo:
        """update-config-text-sync-flow: change only the keys given. Never retried.

        A text sets it, ``""`` makes the Sync Flow show nothing, ``None`` restores Codat's default.
        Sent in the spec's shape, ``{key: {"text": ...}}`` (Codat's docs show a flat
        ``{key: ...}``; the spec decides the wire).
        """
        params = {"locale": Locale(locale).value}
        body = {key: {"text": text} for key, text in texts.items()}
        answer = self._request(
            "update-config-text-sync-flow", "PATCH", "sync/commerce/config/ui/text", params=params, json_body=body
        )
        return self._parse("update-config-text-sync-flow", answer, LocalizationInfo.from_json)

    def get_visible_accounts(self, *, client_id: str, platform_key: str) -> VisibleAccounts:
        """get-visible-accounts: the account types merchants may map, for one commerce platform.

        The spec's path names Codat's client (``/clients/{clientId}/…``); Codat's docs show a
        path without it. The spec decides the wire.
        """
        path = f"clients/{_segment(client_id)}/config/ui/accounts/platform/{_segment(platform_key)}"
        answer = self._request("get-visible-accounts", "GET", path)
        return self._parse("get-visible-accounts", answer, VisibleAccounts.from_json)

    def update_visible_accounts_sync_flow(
        self, *, platform_key: str, visible_accounts: Iterable[str] | None
    ) -> VisibleAccounts:
        """update-visible-accounts-sync-flow. Never retried.

        ``None`` sends ``{}``: Codat's default, every account type shown. A list shows exactly
        those, plus the ones Codat requires (``[]`` shows only those).
        """
        body = {} if visible_accounts is None else {"visibleAccounts": list(visible_accounts)}
        path = f"sync/commerce/config/ui/accounts/platform/{_segment(platform_key)}"
        answer = self._request("update-visible-accounts-sync-flow", "POST", path, json_body=body)
        return self._parse("update-visible-accounts-sync-flow", answer, VisibleAccounts.from_json)

    def get_image(self, url: str, *, max_bytes: int) -> tuple[str, bytes]:
        """A branding image from Codat's static host: (content type, bytes), at most ``max_bytes``."""
        answer = self._request("get-branding-image", "GET", url, max_bytes=max_bytes, assets=True)
        content_type = answer.response.headers.get("Content-Type", "")
        return content_type.split(";")[0].strip().lower(), answer.body

    # --- shared by the operations -------------------------------------------------

    def _list_pages(self, operation: str, path: str, parse_item, *, params: dict | None = None) -> list:
        """A paged list operation, followed to its last page."""
        items: list = []
        for page_number in range(1, MAX_PAGES + 1):
            page_params = {**(params or {}), "page": page_number, "pageSize": self.page_size}
            answer = self._request(operation, "GET", path, params=page_params)
            page = self._parse(operation, answer, lambda data: Page.from_json(data, parse_item))
            items.extend(page.results)
            if not page.next_href or not page.results or len(items) >= page.total_results:
                return items
        raise errors.CodatResponseError(
            operation=operation, status=200, error=f"paging did not end after {MAX_PAGES} pages"
        )

    @staticmethod
    def _connection_path(company_id: str, connection_id: str) -> str:
        return f"companies/{_segment(company_id)}/connections/{_segment(connection_id)}"

    @staticmethod
    def _syncs_path(company_id: str, which: str) -> str:
        return f"companies/{_segment(company_id)}/sync/commerce/syncs/{which}/status"

    def _get_sync(self, operation: str, company_id: str, which: str) -> CompanySyncStatus:
        answer = self._request(operation, "GET", self._syncs_path(company_id, which))
        return self._parse(operation, answer, CompanySyncStatus.from_json)

    # --- the one place for HTTP ------------------------------------------------

    def _request(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json_body: Any = None,
        deadline: float | None = None,
        max_bytes: int | None = None,
        assets: bool = False,
    ) -> _Answer:
        http = self._assets if assets else self._api
        if max_bytes is None:
            max_bytes = self.max_response_bytes
        # Only GETs are idempotent: a POST, PATCH or DELETE whose answer was lost may have taken effect.
        retries_left = self.max_retries if method == "GET" else 0
        retry_number = 0
        while True:
            timeout = self._attempt_timeout(http, deadline, operation)
            request = http.build_request(
                method, url, params=params, json=json_body, timeout=timeout
            )
            requested_at = time.monotonic()
            try:
                answer = self._send(http, request, requested_at, max_bytes, operation)
            except errors.CodatConnectionError as exc:
                self._log(operation, None, requested_at, "", retry_number, type(exc).__name__)
                failure: errors.CodatError = exc
                wait = backoff_delay(
                    retry_number, base=self.backoff_base, cap=self.backoff_max, rng=self._rng
                )
            else:
                status = answer.response.status_code
                correlation_id = ""
                if status < 400:
                    self._log(operation, status, requested_at, "", retry_number)
                    return answer
                failure = self._api_error(operation, answer)
                correlation_id = failure.correlation_id
                self._log(operation, status, requested_at, correlation_id, retry_number)
                if not is_retryable_status(status):
                    raise failure
                if failure.retry_after is not None:
                    if failure.retry_after > self.retry_after_cap:
                        raise failure  # fail fast: waiting that long would hold a merchant
                    wait = failure.retry_after
                else:
                    wait = backoff_delay(
                        retry_number, base=self.backoff_base, cap=self.backoff_max, rng=self._rng
                    )
            if retries_left <= 0:
                raise failure
            if deadline is not None and time.monotonic() + wait >= deadline:
                raise failure
            retries_left -= 1
            retry_number += 1
            self._sleep(wait)

    def _attempt_timeout(self, http: httpx.Client, deadline: float | None, operation: str):
        if deadline is None:
            return http.timeout
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise errors.CodatTimeoutError(
                f"Codat {operation} had no time left before its deadline", operation=operation
            )
        configured = http.timeout
        return httpx.Timeout(
            min(configured.read or remaining, remaining),
            connect=min(configured.connect or remaining, remaining),
        )

    def _send(self, http, request, requested_at, max_bytes, operation) -> _Answer:
        try:
            response = http.send(request, stream=True)
            try:
                body = self._read_body(response, max_bytes, operation)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise errors.CodatTimeoutError(
                f"Codat {operation} timed out ({type(exc).__name__})", operation=operation
            ) from None
        except httpx.TransportError as exc:
            raise errors.CodatConnectionError(
                f"Codat {operation} could not connect ({type(exc).__name__})", operation=operation
            ) from None
        return _Answer(response=response, body=body, requested_at=requested_at)

    @staticmethod
    def _read_body(response: httpx.Response, max_bytes: int | None, operation: str) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise errors.CodatResponseError(
                    operation=operation,
                    status=response.status_code,
                    error=f"response is larger than {max_bytes} bytes",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _api_error(operation: str, answer: _Answer) -> errors.CodatAPIError:
        status = answer.response.status_code
        body: dict | str | None
        try:
            body = json.loads(answer.body)
        except ValueError:
            body = answer.body[:500].decode("utf-8", "replace")
        message = correlation_id = ""
        if isinstance(body, dict):
            message = str(body.get("error") or "")
            correlation_id = str(body.get("correlationId") or "")
        error_class = errors.error_class_for_status(status)
        return error_class(
            operation=operation,
            status=status,
            error=message,
            correlation_id=correlation_id,
            body=body,
            retry_after=parse_retry_after(answer.response.headers.get("Retry-After")),
        )

    @staticmethod
    def _parse(operation: str, answer: _Answer, parse):
        status = answer.response.status_code
        try:
            data = json.loads(answer.body)
        except ValueError:
            raise errors.CodatResponseError(
                operation=operation,
                status=status,
                error="response body is not valid JSON",
                body=answer.body[:500].decode("utf-8", "replace"),
            ) from None
        try:
            return parse(data)
        except SchemaError as exc:
            raise errors.CodatResponseError(
                operation=operation, status=status, error=str(exc)
            ) from None

    @staticmethod
    def _log(operation, status, requested_at, correlation_id, retry_number, failure=""):
        duration_ms = round((time.monotonic() - requested_at) * 1000, 1)
        logger.info(
            "codat %s -> %s in %.1fms%s%s",
            operation,
            status if status is not None else failure,
            duration_ms,
            f" correlationId={correlation_id}" if correlation_id else "",
            f" retry={retry_number}" if retry_number else "",
            extra={
                "codat_operation": operation,
                "status": status,
                "duration_ms": duration_ms,
                "correlation_id": correlation_id or None,
                "retry": retry_number,
            },
        )
