"""Which operation answers a method and path under /sandbox/codat/, named by Codat's operationId."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    operation: str
    view: Callable


@dataclass(frozen=True)
class Match:
    operation: str  # "unknown" when nothing answers this method and path
    view: Callable | None = None
    params: dict[str, str] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()  # methods the path answers to: non-empty means 405, empty 404


_ROUTES: list[Route] = []


def route(method: str, pattern: str, operation: str):
    """Register ``view`` for ``method`` on ``pattern`` (a regex over the path after /sandbox/codat/)."""

    def register(view):
        _ROUTES.append(Route(method, re.compile(f"^{pattern}$"), operation, view))
        return view

    return register


def resolve(method: str, subpath: str) -> Match:
    allowed = []
    for candidate in _ROUTES:
        found = candidate.pattern.match(subpath)
        if found is None:
            continue
        if candidate.method == method:
            return Match(candidate.operation, candidate.view, found.groupdict())
        allowed.append(candidate.method)
    return Match("unknown", allowed=tuple(allowed))
