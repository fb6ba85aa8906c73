"""Codat's paging (page, pageSize, _links), shared by every paged list operation."""

from __future__ import annotations

from typing import Callable, Sequence
from urllib.parse import quote, urlencode

from .messages import Reply, SandboxRequest, SandboxResponse, json_response


def _int_param(request: SandboxRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Reply(400, f"Error parsing query - {name} must be a whole number.", "ClientsApi")
    if not low <= value <= high:
        raise Reply(400, f"Error parsing query - {name} must be between {low} and {high}.", "ClientsApi")
    return value


def paged(
    request: SandboxRequest, items: Sequence, self_path: str, render: Callable = lambda item: item
) -> SandboxResponse:
    """One page of ``items`` (already filtered and ordered), each passed through ``render``.

    ``self_path`` is the resource without its query, as in Codat's ``_links``.
    """
    page = _int_param(request, "page", 1, 1, 2**31 - 1)
    page_size = _int_param(request, "pageSize", 100, 1, 5000)
    start = (page - 1) * page_size
    total = len(items)

    def href(number: int) -> dict:
        params = {"page": number, "pageSize": page_size}
        for name in ("query", "orderBy"):
            if request.query.get(name):
                params[name] = request.query[name]
        return {"href": f"{self_path}?{urlencode(params, quote_via=quote)}"}

    links = {"self": {"href": self_path}, "current": href(page)}
    if start + page_size < total:
        links["next"] = href(page + 1)
    if page > 1:
        links["previous"] = href(page - 1)
    return json_response(
        200,
        {
            "results": [render(item) for item in items[start : start + page_size]],
            "pageNumber": page,
            "pageSize": page_size,
            "totalResults": total,
            "_links": links,
        },
    )
