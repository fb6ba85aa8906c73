"""reverse() for URLs without arguments, worked out once per process.

A merchant page names six or seven of its own URLs (Back, Your connection, the link action, the
changes); each reverse() walks the resolver again, together a tenth of a warm page. A URL without
arguments is fixed for a given script prefix and URLconf, so it is kept under both.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse


def fixed_url(name: str) -> str:
    return _reverse(name, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=256)
def _reverse(name: str, prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)  # under the prefix in the key: reverse() reads the same one
