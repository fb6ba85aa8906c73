"""commerce_portal.kept_pages: a page is served as kept only under the tokens it was built under,
with each response's own CSRF token, and never when it shows something per request."""

import time

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import RequestFactory

from commerce_portal import kept_pages


@pytest.fixture(autouse=True)
def fresh_process():
    kept_pages.forget_all()
    yield
    kept_pages.forget_all()


class Builder:
    def __init__(self, **built):
        self.calls = 0
        self.built = built

    def __call__(self, csrf_token: str) -> kept_pages.Built:
        self.calls += 1
        return kept_pages.Built(f'<form><input name="csrfmiddlewaretoken" value="{csrf_token}"></form>'
                                f"<p>build {self.calls}</p>", **self.built)


def request():
    return RequestFactory().get("/")


def token_in(html: str) -> str:
    return html.split('value="', 1)[1].split('"', 1)[0]


def test_a_page_is_built_once_and_then_served_as_kept():
    build = Builder()
    first = kept_pages.respond(request(), ("select", 1), ("t1", "o1"), build)
    again = kept_pages.respond(request(), ("select", 1), ("t1", "o1"), build)
    assert build.calls == 1 and "build 1" in first and "build 1" in again


def test_each_response_carries_its_own_requests_csrf_token():
    build = Builder()
    one, two = request(), request()
    first = kept_pages.respond(one, ("select", 1), ("t1", "o1"), build)
    second = kept_pages.respond(two, ("select", 1), ("t1", "o1"), build)
    assert kept_pages.CSRF_MARKER not in first + second
    # Each token unmasks to the secret its own request will be given as a cookie.
    assert _unmask_cipher_token(token_in(first)) == one.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(token_in(second)) == two.META["CSRF_COOKIE"]
    assert one.META["CSRF_COOKIE"] != two.META["CSRF_COOKIE"]


def test_a_changed_token_builds_the_page_again():
    build = Builder()
    kept_pages.respond(request(), ("select", 1), ("t1", "o1"), build)
    assert "build 2" in kept_pages.respond(request(), ("select", 1), ("t2", "o1"), build)
    assert "build 3" in kept_pages.respond(request(), ("select", 1), ("t2", "o2"), build)
    assert "build 3" in kept_pages.respond(request(), ("select", 1), ("t2", "o2"), build)


def test_pages_are_kept_per_key():
    build = Builder()
    kept_pages.respond(request(), ("select", 1), ("t", "o"), build)
    assert "build 2" in kept_pages.respond(request(), ("select", 2), ("t", "o"), build)
    assert "build 3" in kept_pages.respond(request(), ("connection", 1), ("t", "o"), build)


def test_without_a_token_nothing_is_kept():
    build = Builder()
    html = kept_pages.respond(request(), ("select", 1), ("t1", None), build)
    assert kept_pages.CSRF_MARKER not in html
    kept_pages.respond(request(), ("select", 1), ("t1", None), build)
    assert build.calls == 2


def test_a_page_in_flux_is_not_kept():
    build = Builder(keep=False)
    kept_pages.respond(request(), ("select", 1), ("t", "o"), build)
    kept_pages.respond(request(), ("select", 1), ("t", "o"), build)
    assert build.calls == 2


def test_a_page_that_reads_the_clock_holds_until_it_says(monkeypatch):
    now = time.time()
    build = Builder(until=now + 60)
    kept_pages.respond(request(), ("connection", 1), ("t", "o"), build)
    monkeypatch.setattr(kept_pages.time, "time", lambda: now + 59)
    kept_pages.respond(request(), ("connection", 1), ("t", "o"), build)
    assert build.calls == 1
    monkeypatch.setattr(kept_pages.time, "time", lambda: now + 61)
    kept_pages.respond(request(), ("connection", 1), ("t", "o"), build)
    assert build.calls == 2


def test_a_page_that_used_a_csp_nonce_is_not_kept():
    def build(csrf_token):
        req._csp_nonce = "n0nce"  # as django-csp records a nonce the template asked for
        return kept_pages.Built(f'<script nonce="n0nce"></script>{csrf_token}')

    req = request()
    kept_pages.respond(req, ("select", 1), ("t", "o"), build)
    assert ("select", 1) not in kept_pages._pages


def test_the_oldest_pages_go_first_past_the_bound(monkeypatch):
    monkeypatch.setattr(kept_pages, "MAX_PAGES", 3)
    build = Builder()
    for user in (1, 2, 3):
        kept_pages.respond(request(), ("select", user), ("t", "o"), build)
    kept_pages.respond(request(), ("select", 1), ("t", "o"), build)  # seen again: now the newest
    kept_pages.respond(request(), ("select", 4), ("t", "o"), build)
    assert list(kept_pages._pages) == [("select", 3), ("select", 1), ("select", 4)]
