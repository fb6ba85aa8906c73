"""The Redis cache backend keeps one redis-py client per pool (commerce_portal.redis_cache), against
the real Redis the deployment uses."""

import threading

import pytest

from commerce_portal.redis_cache import RedisCache
from tests.test_configuration import run_django

REDIS_URL = "redis://127.0.0.1:6379/6"
pytestmark = pytest.mark.cache


@pytest.fixture
def redis_cache():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": "redis-cache-test"})
    yield cache
    cache.clear()


def test_every_operation_shares_one_client(redis_cache):
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)


def test_threads_sharing_the_client_each_read_their_own_keys(redis_cache):
    errors = []

    def work(n):
        for i in range(50):
            redis_cache.set(f"k{n}-{i}", (n, i))
            if redis_cache.get(f"k{n}-{i}") != (n, i) or redis_cache.get_many([f"k{n}-{i}"]) != {f"k{n}-{i}": (n, i)}:
                errors.append((n, i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_redis_cache_url_selects_it_and_shares_the_sessions():
    result = run_django(
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE)",
        CACHE_URL=REDIS_URL,
    )
    assert result.stdout.split() == ["commerce_portal.redis_cache.RedisCache", "django.contrib.sessions.backends.cached_db"]
