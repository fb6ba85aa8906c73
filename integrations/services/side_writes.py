"""Writes a request need not wait for yet: run beside it, on a thread and database connection of
their own, and joined (``Future.result()``) before anything depends on them.

The hand-off records its attempt here while Codat mints (services/link.py): the INSERT and its
commit then cost the merchant no time, and the attempt is still in the database before its outcome.

One thread per process: each write is a millisecond or two, and a hand-off waits on Codat far
longer. Its connection lives as a request thread's does (CONN_MAX_AGE, health checks). Inside a
transaction (a test's, or ATOMIC_REQUESTS) a write runs at once on the caller's connection:
another connection could not see the rows that transaction has not committed, and on SQLite it
would wait for the caller's lock.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import close_old_connections, connection, connections

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def submit(fn, /, *args, **kwargs) -> Future:
    """Run ``fn(*args, **kwargs)`` beside the request; its result or exception comes from the Future."""
    if connection.in_atomic_block:
        return _run_here(fn, args, kwargs)
    global _executor
    with _lock:
        if _executor is None:  # created lazily, so after gunicorn forks
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="side-writes")
        # The request's context goes along: its request id stays on any line the write logs.
        return _executor.submit(contextvars.copy_context().run, _run, fn, args, kwargs)


def _run(fn, args, kwargs):
    # As at a request's start and end: an expired (CONN_MAX_AGE) or broken connection is replaced.
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


def _run_here(fn, args, kwargs) -> Future:
    future: Future = Future()
    try:
        future.set_result(fn(*args, **kwargs))
    except Exception as exc:
        future.set_exception(exc)
    return future


def shutdown() -> None:
    """Finish the writes under way and close the thread's connection (tests: a PostgreSQL test
    database cannot be dropped while a connection to it is open). The next write starts a thread."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.submit(connections.close_all)  # the one thread runs it after the writes queued
        executor.shutdown(wait=True)
