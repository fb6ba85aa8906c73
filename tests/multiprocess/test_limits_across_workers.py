"""The per-merchant link-start limit is exact across processes on the default (per-process) cache
(issue 15, item 8): it used to allow LIMIT per worker."""

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


def _post_link(browser, url):
    page = browser.get(f"{url}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(f"{url}/link/", data={"platform_key": "gbol", "csrfmiddlewaretoken": token}).status_code


def test_two_processes_on_local_memory_caches_allow_exactly_the_limit(session_cookie):
    env = shared_env(LINK_RATE_LIMIT="4/m", CACHE_URL="locmemcache://")
    statuses: list[int] = []
    with gunicorns(env, count=2) as urls:
        barrier = threading.Barrier(10)

        def start(url):
            with httpx.Client(cookies=session_cookie, timeout=60) as browser:
                barrier.wait()
                statuses.append(_post_link(browser, url))

        threads = [threading.Thread(target=start, args=(urls[n % 2],)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    faults.reset()
    assert sorted(statuses) == [302] * 4 + [429] * 6
