"""deploy/nginx.conf with Debian's nginx in front of gunicorn: slow clients wait in nginx, not in
gunicorn's threads (issue 15, item 3)."""

import socket
import tempfile
from contextlib import ExitStack

import httpx
import pytest

from tests.proxy.nginx import nginx_in_front_of, render
from tests.servers import gunicorn

pytestmark = pytest.mark.multiprocess

HALF_A_LOGIN = (
    b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 4000\r\n\r\nusername=bean&password=co"  # ... and nothing more
)


def app_env() -> dict:
    import os

    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CODAT_", "DATABASE_URL", "CACHE_"))}
    database = tempfile.NamedTemporaryFile(prefix="proxy-", suffix=".sqlite3", delete=False).name
    return {**keep, "DATABASE_URL": f"sqlite:///{database}", "CACHE_URL": "locmemcache://", "DEBUG": "true",
            "PROXY_COUNT": "1"}


def stall(url: str, count: int, stack: ExitStack) -> None:
    """``count`` clients that send half a POST body and stop (their sockets held open by ``stack``)."""
    host, port = url.removeprefix("http://").split(":")
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection((host, int(port)), timeout=5))
        sock.sendall(HALF_A_LOGIN)


@pytest.fixture(scope="module")
def stack():
    # gunicorn with two threads: two stalled requests would be all of them.
    with gunicorn(app_env(), workers=1, threads=2) as app, nginx_in_front_of(app) as proxy:
        yield app, proxy


def test_two_half_sent_posts_do_not_delay_healthz_through_the_proxy(stack):
    app, proxy = stack
    with ExitStack() as stalled:
        stall(proxy, 2, stalled)
        for _ in range(5):
            response = httpx.get(f"{proxy}/healthz", timeout=10)
            assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert httpx.get(f"{proxy}/accounts/login/", timeout=10).status_code == 200  # ordinary pages too


def test_without_the_proxy_the_same_two_clients_take_every_thread(stack):
    """The control: what the proxy is for. Straight to gunicorn, /healthz waits behind them."""
    app, _ = stack
    with ExitStack() as stalled:
        stall(app, 2, stalled)
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{app}/healthz", timeout=2)
    assert httpx.get(f"{app}/healthz", timeout=10).status_code == 200  # the clients gone, it answers again


def test_the_proxy_gives_each_request_an_id_the_portal_keeps(stack):
    _, proxy = stack
    response = httpx.get(f"{proxy}/healthz", timeout=10)
    assert response.status_code == 200
    assert len(response.headers["X-Request-ID"]) == 32  # nginx's $request_id, kept by the portal


def test_a_body_over_the_cap_is_refused_by_the_proxy(stack):
    _, proxy = stack
    response = httpx.post(f"{proxy}/webhooks/codat/", content=b"x" * (1024 * 1024 + 1), timeout=10)
    assert response.status_code == 413


def test_the_config_keeps_the_settings_that_matter():
    text = render(listen="127.0.0.1:1", upstream="127.0.0.1:2")
    for directive in ["proxy_request_buffering on;", "proxy_buffering on;", "client_body_timeout 10s;",
                      "client_max_body_size 1m;", "proxy_read_timeout 35s;",
                      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                      "proxy_set_header X-Forwarded-Proto $portal_forwarded_proto;", "location = /healthz"]:
        assert directive in text, directive
    from django.conf import settings

    read_timeout = int(text.split("proxy_read_timeout ", 1)[1].split("s;", 1)[0])
    assert read_timeout > settings.CODAT_HANDOFF_TIMEOUT
