"""Entries in the shared cache that a write drops at once without knowing their keys.

Each entry is stored as (token, value) beside a token key that many entries share (one login's, or
the merchant list's). A write deletes the token key once it commits; the next read makes a new
token, so every entry stored under the old one stops matching and is built again.

A reader takes the token before it builds, so an entry built from rows read before a write carries
the old token and is never served: the race a plain delete-then-set cache loses. Tokens expire
after ``seconds`` too, which bounds what a process that died between its commit and its delete
could leave behind. Only for a shared cache (Redis): with per-process caches a write in one
process could not reach the entries of the others.

A page that knows which keys it will read names them in ``read_ahead()``: the first read inside
fetches them in its own round trip, and later reads of them use what it fetched.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from django.db import transaction

ENTRY_SECONDS = 300


class _ReadAhead:
    def __init__(self, keys: Iterable[str]):
        self.thread = threading.get_ident()
        self.pending = set(keys)
        self.found: dict[str, object] = {}
        self.read: set[str] = set()

    def get_many(self, keys: list[str]) -> dict[str, object]:
        wanted = self.pending | (set(keys) - self.read)
        if wanted:
            self.found.update(cache.get_many(sorted(wanted)))
            self.read |= wanted
            self.pending = set()
        return {key: self.found[key] for key in keys if key in self.found}

    def wrote(self, key: str, value) -> None:
        if key in self.read:
            self.found[key] = value


_read_ahead: ContextVar[_ReadAhead | None] = ContextVar("token_cache_read_ahead", default=None)


@contextmanager
def read_ahead(keys: Iterable[str]):
    """Within the block, the first read also fetches ``keys``, in the same round trip."""
    reset = _read_ahead.set(_ReadAhead(keys))
    try:
        yield
    finally:
        _read_ahead.reset(reset)


def _ahead() -> _ReadAhead | None:
    """The read-ahead of this request, on its own thread only: a thread the request's context was
    copied to (services.side_writes) reads for itself, and may run after the block has ended."""
    ahead = _read_ahead.get()
    return ahead if ahead is not None and ahead.thread == threading.get_ident() else None


def _get_many(keys: list[str]) -> dict[str, object]:
    ahead = _ahead()
    return ahead.get_many(keys) if ahead is not None else cache.get_many(keys)


def _new_token(token_key: str, seconds: int) -> str | None:
    """A token for an entry about to be built, or None when another reader made one meanwhile
    (its entry will be kept, not ours)."""
    token = uuid.uuid4().hex
    if not cache.add(token_key, token, seconds):
        return None
    _wrote(token_key, token)
    return token


def _wrote(key: str, value) -> None:
    ahead = _ahead()
    if ahead is not None:
        ahead.wrote(key, value)


def token(token_key: str, *, seconds: int = ENTRY_SECONDS) -> str | None:
    """The current token, made now if there is none: take it before building what it covers."""
    current = _get_many([token_key]).get(token_key)
    return current if current is not None else _new_token(token_key, seconds)


def cached(token_key: str, entry_key: str, build: Callable[[], object], *, seconds: int = ENTRY_SECONDS):
    """The entry's value if it was stored under the current token, else ``build()`` (kept unless None).
    One round trip when warm."""
    found = _get_many([token_key, entry_key])
    token, entry = found.get(token_key), found.get(entry_key)
    if token is not None and entry is not None and entry[0] == token:
        return entry[1]  # unpickled from the cache: the caller's own copy
    if token is None:
        token = _new_token(token_key, seconds)
    value = build()
    if value is not None and token is not None:
        cache.set(entry_key, (token, value), seconds)
        _wrote(entry_key, (token, value))
    return value


def drop(token_keys: Iterable[str]) -> None:
    """Every entry under these tokens is stale once the current transaction commits (at once outside one)."""
    keys = sorted(set(token_keys))
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))
