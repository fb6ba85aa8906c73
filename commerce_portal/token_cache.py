"""Entries in the shared cache that a write drops at once without knowing their keys.

Each entry is stored as (token, value) beside a token key that many entries share (one login's, or
the merchant list's). A write deletes the token key once it commits; the next read makes a new
token, so every entry stored under the old one stops matching and is built again.

A reader takes the token before it builds, so an entry built from rows read before a write carries
the old token and is never served: the race a plain delete-then-set cache loses. Tokens expire
after ``seconds`` too, which bounds what a process that died between its commit and its delete
could leave behind. Only for a shared cache (Redis): with per-process caches a write in one
process could not reach the entries of the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

ENTRY_SECONDS = 300


def cached(token_key: str, entry_key: str, build: Callable[[], object], *, seconds: int = ENTRY_SECONDS):
    """The entry's value if it was stored under the current token, else ``build()`` (kept unless None).
    One round trip when warm."""
    found = cache.get_many([token_key, entry_key])
    token, entry = found.get(token_key), found.get(entry_key)
    if token is not None and entry is not None and entry[0] == token:
        return entry[1]  # unpickled from the cache: the caller's own copy
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(token_key, token, seconds):
            token = None  # another reader made one meanwhile: its entry will be kept
    value = build()
    if value is not None and token is not None:
        cache.set(entry_key, (token, value), seconds)
    return value


def drop(token_keys: Iterable[str]) -> None:
    """Every entry under these tokens is stale once the current transaction commits (at once outside one)."""
    keys = sorted(set(token_keys))
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))
