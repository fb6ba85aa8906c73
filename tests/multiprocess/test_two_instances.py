"""Two gunicorn instances sharing the database and Redis, as when one machine is not enough."""

import re
import threading

import httpx
import pytest
from django.conf import settings
from django.test import Client

from codat_sandbox import faults
from tests.factories import make_merchant
from tests.servers import gunicorns, shared_env

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session_cookie(db):
    _, user = make_merchant(name="Bean & Leaf")
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.fixture
def instances(session_cookie):
    env = shared_env(LINK_RATE_LIMIT="3/m")
    with gunicorns(env, count=2) as urls:
        yield urls
    faults.reset()


def test_a_session_works_on_both_instances(instances, session_cookie):
    for url in instances:
        page = httpx.get(f"{url}/", cookies=session_cookie, timeout=30)
        assert page.status_code == 200
        assert "Bean &amp; Leaf" in page.text and "Link your Xero account" in page.text


def test_branding_single_flight_holds_across_instances(instances, session_cookie):
    faults.inject("get-integration-branding", latency_ms=300)
    faults.inject("list-integrations", latency_ms=100)
    statuses, barrier = [], threading.Barrier(50)

    def view(url):
        with httpx.Client(cookies=session_cookie, timeout=30) as browser:
            barrier.wait()
            statuses.append(browser.get(f"{url}/").status_code)

    threads = [threading.Thread(target=view, args=(instances[n % 2],)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 50
    assert faults.calls("list-integrations") == 1
    from codat_sandbox.models import Call

    per_key = {}
    for path in Call.objects.filter(operation="get-integration-branding").values_list("path", flat=True):
        per_key[path] = per_key.get(path, 0) + 1
    assert len(per_key) == 7 and set(per_key.values()) == {1}, per_key


def _post_link(browser, url):
    page = browser.get(f"{url}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(f"{url}/link/", data={"platform_key": "gbol", "csrfmiddlewaretoken": token})


def test_the_link_start_rate_limit_holds_across_instances(instances, session_cookie):
    statuses = []
    for n in range(4):
        with httpx.Client(cookies=session_cookie, timeout=30) as browser:
            statuses.append(_post_link(browser, instances[n % 2]).status_code)
    assert statuses == [302, 302, 302, 429]
    assert faults.calls("get-sync-flow-url") == 3
