"""Rendered pages kept in this process while everything they show is unchanged.

A merchant page is the same HTML from one view to the next until something it shows changes, and
rendering it was most of what the page cost. Each page is kept per login with the tokens it was
built under (commerce_portal.token_cache: the login's, the offering's), which live in the shared
cache and which every write to what they cover replaces. A view whose tokens still match gets the
kept HTML: a write in any process is seen on the next view in every process, as when rendered.

What differs per request is left out or put in: the CSRF token is spliced in for each response;
a page showing messages, or using a CSP nonce, is neither kept nor served from here; a page that
reads the clock says until when it holds. Per process, not in the shared cache: HTML from another
release (its templates, settings, static files) is never served, and strings cost no unpickling.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.messages import get_messages
from django.middleware.csrf import get_token

# Where {% csrf_token %} puts the request's token when a page is built to be kept. Letters and
# digits only, so escaping leaves it alone; were a merchant to type it into a field, the splice
# would show them their own token on their own page, nothing more.
CSRF_MARKER = "keptpagecsrfb5f0c3d9e2a14f7c8d6e1b0a9f3c2d71"
MAX_PAGES = 2048  # per process: about 14 MB of selection pages (7 KB each), at most


@dataclass(frozen=True)
class Built:
    html: str
    keep: bool = True  # False: what it shows may change without a token changing (in flux)
    until: float | None = None  # time.time() after which it is stale (the page reads the clock)


_pages: OrderedDict[tuple, tuple[tuple, float | None, str]] = OrderedDict()
_lock = threading.Lock()


def respond(request, key: tuple, tokens: tuple, build: Callable[[str], Built]) -> str:
    """The page's HTML with this request's CSRF token: kept, or from ``build(csrf_token)``.

    ``tokens`` are taken before building: a page built from what a write then changed is kept
    under the tokens the write replaced, and so never served. A None token keeps nothing."""
    if len(get_messages(request)) or None in tokens:
        return build(get_token(request)).html  # nothing kept, so nothing marked
    with _lock:
        kept = _pages.get(key)
        if kept is not None:
            _pages.move_to_end(key)
    if kept is not None and kept[0] == tokens and (kept[1] is None or time.time() < kept[1]):
        return kept[2].replace(CSRF_MARKER, get_token(request))
    built = build(CSRF_MARKER)
    if built.keep and getattr(request, "_csp_nonce", None) is None:
        with _lock:
            _pages[key] = (tokens, built.until, built.html)
            _pages.move_to_end(key)
            while len(_pages) > MAX_PAGES:
                _pages.popitem(last=False)
    return built.html.replace(CSRF_MARKER, get_token(request))


def forget_all() -> None:
    """For tests: as a fresh process."""
    with _lock:
        _pages.clear()
