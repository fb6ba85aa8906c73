"""A slow Codat cannot take every thread: hand-offs are capped per process, and past the cap a link
start fails at once with the friendly 503 page while /healthz and pages keep answering (issue 15, item 3)."""

import threading

import pytest

from tests.conftest import start_link
from django.test import Client

from integrations.models import LinkAttempt
from integrations.services.link import handoff_slots

pytestmark = pytest.mark.django_db


def test_every_slot_busy_gives_the_503_page_at_once_and_a_failed_attempt(merchant_client, warm_cache, settings):
    settings.CODAT_HANDOFF_CONCURRENCY = 2
    with handoff_slots.hold(), handoff_slots.hold():  # two hand-offs waiting on a slow Codat
        response = start_link(merchant_client, {"platform_key": "gbol"})
        assert response.status_code == 503
        assert "Try again" in response.content.decode()
        assert response["Retry-After"] == "5"
        attempt = LinkAttempt.objects.get()
        assert (attempt.outcome, attempt.failure_reason, attempt.mints) == ("failed", "busy", 0)
        assert warm_cache.mints == 0  # refused before anything waits on Codat
        assert Client().get("/healthz").status_code == 200
        assert merchant_client.get("/").status_code == 200
    # A slot freed: the next start goes through.
    assert merchant_client.post("/link/", {"platform_key": "gbol"}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_slow_codat_holds_one_slot_and_the_next_start_is_refused_while_it_waits(merchant_and_user, warm_catalogue, sandbox_faults, settings):
    from integrations.codat import use_client
    from tests.conftest import sandbox_client

    settings.CODAT_HANDOFF_CONCURRENCY = 1
    warm_catalogue.install()
    user = merchant_and_user[1]
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    started, release = threading.Event(), threading.Event()

    class HeldTransport:
        """Codat that answers once the test says so."""

        def __init__(self, inner):
            self.inner = inner

        def handle_request(self, request):
            if request.url.path.endswith("/start"):
                started.set()
                release.wait(30)
            return self.inner.handle_request(request)

        def close(self):
            pass

    from codat_sandbox.transport import SandboxTransport

    statuses = {}
    with use_client(sandbox_client(HeldTransport(SandboxTransport()))):
        waiting = threading.Thread(target=lambda: statuses.setdefault("first", start_link(first, {"platform_key": "gbol"}).status_code))
        waiting.start()
        assert started.wait(30)
        statuses["second"] = start_link(second, {"platform_key": "gbol"}).status_code
        statuses["healthz"] = Client().get("/healthz").status_code
        release.set()
        waiting.join(30)
    assert statuses == {"first": 302, "second": 503, "healthz": 200}
    assert sorted(LinkAttempt.objects.values_list("outcome", "failure_reason")) == [("failed", "busy"), ("redirected", "")]


def test_the_default_cap_is_half_the_threads():
    from django.conf import settings

    assert settings.CODAT_HANDOFF_CONCURRENCY == 4  # GUNICORN_THREADS defaults to 8
