"""commerce_portal.token_cache: read_ahead() gathers a page's cache reads into one round trip."""

import pytest
from django.core.cache import cache

from commerce_portal import token_cache

pytestmark = pytest.mark.cache


class CountingCache:
    """The cache, counting the round trips that read it."""

    def __init__(self):
        self.reads: list[list[str]] = []

    def get_many(self, keys):
        self.reads.append(sorted(keys))
        return cache.get_many(keys)

    def __getattr__(self, name):
        return getattr(cache, name)


@pytest.fixture
def counting(monkeypatch):
    counted = CountingCache()
    monkeypatch.setattr(token_cache, "cache", counted)
    return counted


def test_the_first_read_inside_fetches_the_keys_named_ahead(counting):
    cache.set_many({"token-a": "ta", "entry-a": ("ta", "value a"), "token-b": "tb"})
    with token_cache.read_ahead(["token-b"]):
        assert token_cache.cached("token-a", "entry-a", lambda: "built") == "value a"
        assert token_cache.token("token-b") == "tb"
    assert counting.reads == [["entry-a", "token-a", "token-b"]]  # one round trip for both


def test_outside_a_read_ahead_each_read_is_its_own_round_trip(counting):
    cache.set_many({"token-a": "ta", "token-b": "tb"})
    assert token_cache.token("token-a") == "ta"
    assert token_cache.token("token-b") == "tb"
    assert len(counting.reads) == 2


def test_a_token_made_inside_is_the_one_later_reads_see(counting):
    with token_cache.read_ahead(["token-b"]):
        token_cache.cached("token-a", "entry-a", lambda: "built")  # reads token-b ahead: absent
        made = token_cache.token("token-b")  # made now, and remembered for the rest of the block
        assert made is not None and token_cache.token("token-b") == made == cache.get("token-b")
    assert len(counting.reads) == 1


def test_a_token_another_reader_made_first_is_not_claimed():
    with token_cache.read_ahead(["token-b"]):
        token_cache.cached("token-a", "entry-a", lambda: "built")  # reads token-b: absent
        cache.set("token-b", "theirs")  # another process makes it meanwhile
        assert token_cache.token("token-b") is None  # so nothing is kept under a token of ours


def test_the_block_ends_its_reads_even_when_the_page_fails(counting):
    cache.set("token-a", "ta")
    with pytest.raises(RuntimeError), token_cache.read_ahead([]):
        token_cache.token("token-a")
        raise RuntimeError
    cache.set("token-a", "changed")
    assert token_cache.token("token-a") == "changed"  # read afresh: nothing was left behind
    assert len(counting.reads) == 2


def test_as_a_decorator_each_call_reads_afresh(counting):
    @token_cache.read_ahead(["token-b"])
    def page():
        return token_cache.token("token-b")

    cache.set("token-b", "first")
    assert page() == "first"
    cache.set("token-b", "second")
    assert page() == "second"


def test_a_thread_the_requests_context_was_copied_to_reads_for_itself(counting):
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    cache.set("token-a", "before")
    with token_cache.read_ahead([]), ThreadPoolExecutor(1) as pool:
        assert token_cache.token("token-a") == "before"
        cache.set("token-a", "after")  # a write lands; a side thread (services.side_writes) then reads
        seen = pool.submit(contextvars.copy_context().run, token_cache.token, "token-a").result()
    assert seen == "after"
