"""Which address django-axes counts failed logins against, behind PROXY_COUNT reverse proxies.

Each proxy appends to X-Forwarded-For the address it was reached from (nginx's
``$proxy_add_x_forwarded_for``); the last proxy is REMOTE_ADDR. So behind N proxies the client
is the N-th address from the right; everything to its left was written by the client and is
ignored. django-ipware (axes' documented integration) counts only the proxies recorded in the
header, hence N - 1, and must not be strict: a client-written prefix would otherwise leave no
address at all, and every such request would share one lock-out.
"""

from __future__ import annotations

# What settings.py merges in: with no proxy, REMOTE_ADDR alone (a client can write any header).
NO_PROXY = {
    "AXES_IPWARE_PROXY_COUNT": None,
    "AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",),
}


def axes_ip_settings(proxy_count: int) -> dict:
    if proxy_count <= 0:
        return dict(NO_PROXY)
    return {
        "AXES_IPWARE_PROXY_COUNT": proxy_count - 1,
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR",),
        "IPWARE_STRICT": False,
    }


def probe_request(proxy_count: int, *, client: str, forged: str):
    """A login request as it reaches gunicorn behind ``proxy_count`` proxies, with a forged prefix."""
    from django.test import RequestFactory

    hops = [f"10.0.0.{n}" for n in range(1, proxy_count)]  # the proxies before the last one
    forwarded = ", ".join([forged, client, *hops])
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=forwarded)
