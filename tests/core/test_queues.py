"""Tasks go to the queue their kind of work belongs on: what a person waits for on
`interactive`, the platform's chores on `bulk`, mail on `notify`."""

import pytest
from celery.app.routes import MapRoute

from apps.core import redis_client, tasks
from k2cloud import queues
from k2cloud.celery import app as celery_app
from workers import reconcile


def _queue_of(name: str) -> str:
    route = celery_app.amqp.router.route({}, name)
    return route["queue"].name


def test_every_task_has_a_route_to_a_known_queue():
    celery_app.loader.import_default_modules()  # every workers/ module, as a worker does
    explicit = MapRoute(queues.ROUTES)
    names = [n for n in celery_app.tasks if n.startswith("workers.")]
    assert len(names) > 15
    for name in names:
        assert explicit(name) is not None, f"{name} has no queue in k2cloud/queues.py"
        assert _queue_of(name) in queues.ALL


def test_a_change_is_interactive_its_follow_up_looks_and_chores_are_not():
    assert _queue_of("workers.reconcile.reconcile_app") == "interactive"
    assert _queue_of("workers.approvals.run_request_handler") == "interactive"
    assert _queue_of("workers.reconcile.reconcile_cluster") == "bulk"
    assert _queue_of("workers.operations.sweep") == "bulk"
    assert _queue_of("workers.analytics.drain_events") == "bulk"
    assert _queue_of("workers.approvals.send_notification_emails") == "notify"


def test_a_rollouts_follow_up_look_is_queued_on_bulk(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks, "send", lambda name, a, k, o: sent.append((name, k, o)))
    monkeypatch.setattr(reconcile.services, "reconcile_app",
                        lambda app_id, trigger, follow: {"again_in": 1.0})  # fmt: skip
    reconcile.reconcile_app.run(7)
    assert sent == [("workers.reconcile.reconcile_app", {"trigger": "change", "follow": 1},
                     {"countdown": 1.0, "queue": "bulk"})]  # fmt: skip


def test_a_message_lands_in_its_queue_alone():
    redis = redis_client.client()
    before = {q: redis.llen(q) for q in queues.ALL}
    tasks.enqueue("workers.diagnostics.ping", "to-bulk", queue="bulk", expires=1)
    tasks.enqueue("workers.approvals.send_notification_emails", "s", "b", [], expires=1)
    after = {q: redis.llen(q) for q in queues.ALL}
    assert {q: after[q] - before[q] for q in queues.ALL} == {"interactive": 0, "bulk": 1,
                                                             "notify": 1}  # fmt: skip
    for queue in ("bulk", "notify"):
        redis.rpop(queue)  # nobody consumes them here (expired by then anyway)


def test_an_unknown_queue_is_refused_before_anything_is_sent(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks, "send", lambda *a: sent.append(a))
    with pytest.raises(ValueError, match="unknown queue"):
        tasks.enqueue("workers.diagnostics.ping", "x", queue="urgent")
    assert sent == []
