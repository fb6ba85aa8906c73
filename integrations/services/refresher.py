"""Background refreshes, so a merchant's page never waits on Codat for a stale entry."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.db import connections

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: set[Future] = set()


def _run(fn, args):
    try:
        return fn(*args)
    except Exception:
        logger.exception("background refresh %s%r failed", getattr(fn, "__name__", fn), args)
        raise
    finally:
        # Pool threads own their connections; hand them back after each task.
        connections.close_all()


def submit(fn, *args) -> Future:
    global _executor
    with _lock:
        if _executor is None:  # created lazily, so after gunicorn forks
            _executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="refresh")
        future = _executor.submit(_run, fn, args)
        _pending.add(future)
    future.add_done_callback(_pending.discard)
    return future


def wait_idle(timeout: float | None = None) -> bool:
    """Wait for every submitted refresh to finish (commands and tests); True if they did."""
    with _lock:
        pending = set(_pending)
    done, not_done = wait(pending, timeout=timeout)
    return not not_done
