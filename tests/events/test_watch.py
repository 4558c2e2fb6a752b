"""The event watcher against k2sim, with a real local webhook receiver: an OOM-looping app
is one merged row whose count grows and one alert; a resolved notice when it stops; a 410
during the watch, and a watcher killed and restarted, neither lose nor double anything."""

import time

import pytest

from apps.events.choices import DeliveryState
from apps.events.models import Delivery, Event, WatchCursor
from apps.events.services import do_create_rule, do_create_sink
from tests.events.conftest import ADMIN, delete_pod, make_pod
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _oom_rows(space):
    return Event.objects.filter(namespace=space.namespace, reason="OOMKilled")


def _k8s_counts(core, namespace: str, reason: str) -> int:
    return sum(
        e.count or 1 for e in core.list_namespaced_event(namespace).items if e.reason == reason
    )


def test_an_oom_loop_is_one_growing_row_one_alert_then_resolved(
    core, space, app, webhook, notify_worker, start_watcher
):
    sink = do_create_sink(name="hook", kind="webhook", target=webhook.url, secret="s3cret",
                          actor=ADMIN)  # fmt: skip
    do_create_rule(space=space, data={"name": "oom", "reason": "OOMKilled", "threshold": 3,
                         "window_seconds": 4, "renotify_seconds": 3600, "sinks": [sink]},
                   actor=ADMIN)  # fmt: skip
    start_watcher()
    make_pod(core, space.namespace, "shop-0", oom_after=1.0)
    row = wait_for(lambda: _oom_rows(space).filter(count__gte=3).first(), timeout=20)
    crossed = time.monotonic()
    wait_for(lambda: webhook.of("firing"), timeout=5)
    assert time.monotonic() - crossed < 2.5  # alert within ~2 s of crossing the threshold
    assert _oom_rows(space).count() == 1
    assert row.app_id == app.pk and row.space_id == space.pk and row.type == "Warning"
    wait_for(lambda: _oom_rows(space).get().count >= 5, timeout=20)  # it keeps growing
    assert len(webhook.of("firing")) == 1  # no repeat within the re-notify interval
    first = webhook.received[0]
    assert first["reason"] == "OOMKilled" and first["app"] == "shop"
    assert webhook.headers_seen[0]["X-K2-Signature"].startswith("sha256=")
    # Crash-loop events merge too: one BackOff row with a count, not one per restart.
    backoff = Event.objects.filter(namespace=space.namespace, reason="BackOff")
    assert backoff.count() == 1 and backoff.get().count >= 3
    delete_pod(core, space.namespace, "shop-0")
    wait_for(lambda: webhook.of("resolved"), timeout=15)
    assert len(webhook.of("firing")) == 1


def test_restart_and_410_neither_lose_nor_double_count(
    core, space, app, webhook, notify_worker, start_watcher
):
    sink = do_create_sink(name="hook", kind="slack", target=webhook.url, actor=ADMIN)
    do_create_rule(space=space, data={"name": "backoff", "reason": "BackOff", "sinks": [sink],
                         "window_seconds": 600}, actor=ADMIN)  # fmt: skip
    watcher = start_watcher()
    make_pod(core, space.namespace, "shop-0", oom_after=0.7)
    wait_for(lambda: webhook.received, timeout=20)
    for watch in watcher.watches:  # killed: what it held in memory is lost, not written
        with watch.inbox.mutex:
            watch.inbox.queue.clear()
    watcher.stop()  # the loop goes on in the cluster meanwhile
    time.sleep(2)
    second = start_watcher()
    time.sleep(1.5)
    delete_pod(core, space.namespace, "shop-0")
    time.sleep(1)

    def settled():
        want = _k8s_counts(core, space.namespace, "OOMKilling")
        rows = Event.objects.filter(namespace=space.namespace, reason="OOMKilling")
        return want and sum(r.count for r in rows) == want

    assert wait_for(settled, timeout=30)  # generous: a loaded machine slows the watcher
    # A 410 Gone: the stored cursor is too old; the watcher relists and adds nothing.
    counts = dict(Event.objects.filter(namespace=space.namespace).values_list("reason", "count"))
    second.stop()
    WatchCursor.objects.filter(resource="events").update(version="1")
    WatchCursor.objects.filter(resource="pods").update(version="1")
    relisted = start_watcher()
    wait_for(lambda: all(w.loops[r].relists >= 1 for w in relisted.watches
                         for r in ("events", "pods")), timeout=20)  # fmt: skip
    assert all(w.loops[r].relists == 1 for w in relisted.watches for r in ("events", "pods"))
    time.sleep(1)
    assert (
        dict(Event.objects.filter(namespace=space.namespace).values_list("reason", "count"))
        == counts
    )
    assert len(webhook.received) == 1  # one alert in all: no duplicate after restart or relist


def test_a_sink_failing_four_times_then_succeeding_delivers_once(
    core, space, app, webhook, notify_worker, start_watcher
):
    webhook.fail = 4
    sink = do_create_sink(name="flaky", kind="wecom", target=webhook.url, actor=ADMIN)
    do_create_rule(
        space=space, data={"name": "oom", "reason": "OOMKilled", "sinks": [sink]}, actor=ADMIN
    )
    start_watcher()
    make_pod(core, space.namespace, "shop-0", oom_after=1.0)
    delivery = wait_for(
        lambda: Delivery.objects.filter(state=DeliveryState.SENT).first(), timeout=20
    )
    assert delivery.attempts == 5 and webhook.attempts == 5
    assert len(webhook.received) == 1
    assert webhook.received[0]["msgtype"] == "markdown"
