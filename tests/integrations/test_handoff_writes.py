"""The hand-off records its attempt beside the mint (issue 17): the close-out of abandoned attempts
and the INSERT run on the side writes' own thread and connection while Codat mints, and are joined
before the outcome is written. Inside a transaction they run first, on the request's connection."""

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from codat_sandbox.transport import SandboxTransport
from integrations.codat import use_client
from integrations.models import LinkAttempt
from integrations.services import side_writes
from integrations.services.link import LinkFailed, link_start
from tests.conftest import sandbox_client, start_link


class MintWatcher(httpx.BaseTransport):
    """Codat that, before answering a mint, notes the attempts recorded so far (read on the
    request's connection: only committed rows are seen)."""

    def __init__(self):
        self.inner = SandboxTransport()
        self.seen: list[list[tuple[str, int]]] = []

    def handle_request(self, request):
        if request.url.path.endswith("/start"):
            side_writes.submit(lambda: None).result()  # one thread: the writes queued before are done
            self.seen.append(list(LinkAttempt.objects.values_list("outcome", "mints")))
        return self.inner.handle_request(request)


@pytest.fixture
def watcher(warm_live_cache):
    watcher = MintWatcher()
    with use_client(sandbox_client(watcher)):
        yield watcher


@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_committed_pending_while_codat_mints_then_gets_its_outcome(merchant_client, watcher):
    response = merchant_client.post("/link/", {"platform_key": "gbol"})
    assert response.status_code == 302
    assert watcher.seen == [[("pending", 0)]]
    assert list(LinkAttempt.objects.values_list("outcome", "mints")) == [("redirected", 1)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault, reason", [({"status": 503}, "upstream_error"), ({"status": 401}, "rejected")])
def test_a_mint_that_fails_while_the_attempt_is_written_still_ends_it_failed(merchant_client, watcher, sandbox_faults,
                                                                              fault, reason):
    sandbox_faults.inject("get-sync-flow-url", **fault)
    response = start_link(merchant_client, {"platform_key": "gbol"})
    assert response.status_code == 502 and "Try again" in response.content.decode()
    assert watcher.seen[0] == [("pending", 0)]
    attempt = LinkAttempt.objects.get()
    assert (attempt.outcome, attempt.failure_reason, attempt.mints) == ("failed", reason, 1)
    assert attempt.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_an_attempt_that_cannot_be_recorded_returns_no_url_and_writes_no_outcome(merchant, warm_live_cache, counting):
    ghost = get_user_model()(pk=987654, username="ghost")  # no such row: the INSERT breaks its foreign key
    with pytest.raises(IntegrityError):
        link_start(merchant=merchant, user=ghost, platform_key="gbol", return_url="http://testserver/link/return/",
                   request_host="testserver")
    assert counting.mints == 1  # minted meanwhile, and thrown away
    assert not LinkAttempt.objects.exists()


@pytest.mark.django_db
def test_inside_a_transaction_the_writes_run_first_on_the_requests_connection(merchant_client, warm_cache):
    with CaptureQueriesContext(connection) as captured:
        assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302
    ours = [q["sql"].split()[0] for q in captured.captured_queries if "integrations_linkattempt" in q["sql"]]
    assert ours == ["UPDATE", "INSERT", "UPDATE"]  # abandoned closed, the attempt, its outcome
    assert LinkAttempt.objects.get().outcome == "redirected"


@pytest.mark.django_db(transaction=True)
def test_a_failed_link_start_called_directly_is_recorded_too(merchant, warm_live_cache, sandbox_faults):
    sandbox_faults.inject("get-sync-flow-url", status=503)
    with use_client(sandbox_client()), pytest.raises(LinkFailed) as raised:
        link_start(merchant=merchant, user=None, platform_key="gbol", return_url="http://testserver/link/return/",
                   request_host="testserver")
    assert raised.value.attempt.pk is not None
    assert LinkAttempt.objects.get().failure_reason == "upstream_error"
