"""The forwarder against a real HTTP server on 127.0.0.1: it retries with backoff and loses
no event while the endpoint fails for a while; refused batches become dead letters."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from apps.analytics.choices import ForwardState
from apps.analytics.models import UsageEvent
from apps.analytics.services import (
    backoff_seconds,
    dead_letter_count,
    do_forward_events,
    do_requeue_dead_letters,
    forwarder_state,
)
from apps.audit.actors import Actor
from tests.analytics.factories import push_all, request_event

pytestmark = pytest.mark.django_db


class Endpoint:
    """An HTTP endpoint that answers `fail_status` to the first `failures` POSTs, then 200."""

    def __init__(self, failures: int, fail_status: int = 503):
        self.failures, self.fail_status = failures, fail_status
        self.hits = 0
        self.received: list[int] = []
        self.headers: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.hits += 1
                endpoint.headers.append(dict(self.headers))
                if endpoint.hits <= endpoint.failures:
                    self.send_response(endpoint.fail_status)
                    self.end_headers()
                    return
                endpoint.received.extend(e["id"] for e in body["events"])
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ingest"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def forwarding(settings):
    settings.K2_ANALYTICS_FORWARD_BATCH = 50
    settings.K2_ANALYTICS_FORWARD_BACKOFF = 5
    settings.K2_ANALYTICS_FORWARD_TOKEN = "s3cret"
    return settings


def _queue(user, n: int, drain) -> list[int]:
    push_all(request_event(user, "spaces.browse", timezone.now()) for _ in range(n))
    drain()
    return list(
        UsageEvent.objects.filter(forward_state=ForwardState.PENDING).values_list("id", flat=True)
    )


def test_no_event_is_lost_while_the_endpoint_fails_for_a_while(forwarding, alice, drain):
    with Endpoint(failures=4) as endpoint:
        forwarding.K2_ANALYTICS_FORWARD_URL = endpoint.url
        ids = _queue(alice, 120, drain)
        assert len(ids) == 120
        now = timezone.now()
        outcomes = []
        for _attempt in range(12):
            result = do_forward_events(now)
            outcomes.append(result["status"])
            # while backing off, a run does not touch the endpoint
            if result["status"] == "failed":
                assert do_forward_events(now)["status"] == "backing-off"
                state = forwarder_state()
                assert state.next_attempt_at == now + timedelta(
                    seconds=backoff_seconds(state.consecutive_failures)
                )
                now = state.next_attempt_at
                if state.consecutive_failures == 2:  # events keep arriving meanwhile
                    ids += _queue(alice, 30, drain)[-30:]
            else:
                break
        assert outcomes == ["failed"] * 4 + ["ok"]
        assert sorted(endpoint.received) == sorted(ids)  # every event, exactly once
        assert len(endpoint.received) == len(set(endpoint.received)) == 150
        assert endpoint.hits == 4 + 3  # four refusals, then three batches of 50
        assert endpoint.headers[-1]["Authorization"] == "Bearer s3cret"
    assert not UsageEvent.objects.exclude(forward_state=ForwardState.SENT).exists()
    state = forwarder_state()
    assert (state.consecutive_failures, state.sent_total, state.dead_total) == (0, 150, 0)
    assert dead_letter_count() == 0


def test_backoff_grows_exponentially_up_to_a_cap(settings):
    settings.K2_ANALYTICS_FORWARD_BACKOFF = 5
    settings.K2_ANALYTICS_FORWARD_BACKOFF_MAX = 60
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6)] == [5, 10, 20, 40, 60, 60]


def test_a_refused_batch_becomes_dead_letters_and_can_be_resent(
    forwarding, alice, admin_user, dana, drain
):
    with Endpoint(failures=1, fail_status=400) as endpoint:
        forwarding.K2_ANALYTICS_FORWARD_URL = endpoint.url
        ids = _queue(alice, 70, drain)
        result = do_forward_events()
        assert (result["status"], result["dead"], result["sent"]) == ("ok", 50, 20)
        assert dead_letter_count() == 50
        assert forwarder_state().last_error == "HTTP 400"

        from tests.conftest import api_as

        body = api_as(dana).get("/api/v1/analytics/summary/").json()
        assert body["forwarder"]["dead_letters"] == 50
        assert body["forwarder"]["enabled"] is True

        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            do_requeue_dead_letters(actor=Actor.for_user(dana))
        assert do_requeue_dead_letters(actor=Actor.for_user(admin_user)) == 50
        assert do_forward_events()["sent"] == 50
        assert sorted(endpoint.received) == sorted(ids)


def test_too_many_failures_in_a_row_become_dead_letters(forwarding, alice, drain):
    forwarding.K2_ANALYTICS_FORWARD_MAX_ATTEMPTS = 2
    forwarding.K2_ANALYTICS_FORWARD_URL = "http://127.0.0.1:9/unreachable"  # discard port
    forwarding.K2_ANALYTICS_FORWARD_TIMEOUT = 2
    _queue(alice, 10, drain)
    now = timezone.now()
    assert do_forward_events(now)["status"] == "failed"
    result = do_forward_events(now + timedelta(hours=1))
    assert result["dead"] == 10
    assert dead_letter_count() == 10


def test_disabled_without_a_url(alice, drain):
    _queue(alice, 3, drain)
    assert do_forward_events() == {"status": "disabled"}
    assert set(UsageEvent.objects.values_list("forward_state", flat=True)) == {ForwardState.OFF}
