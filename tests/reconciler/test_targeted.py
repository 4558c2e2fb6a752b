"""Targeted reconciles (on-commit hooks, the watcher's repairs) and the watcher's stream
handling (410 Gone, its own writes, foreign writes)."""

import json

import pytest

from apps.reconciler.choices import Scope
from apps.reconciler.hooks import reconcile_app_on_commit, reconcile_space_on_commit
from apps.reconciler.models import ReconcilePass
from apps.reconciler.services import reconcile_app, reconcile_space, run_pass
from apps.reconciler.watch import Watcher, foreign_write
from apps.workloads.models import App
from tests.reconciler.conftest import core, managed


@pytest.mark.django_db
def test_hooks_queue_targeted_tasks_on_commit(monkeypatch, django_capture_on_commit_callbacks):
    from apps.core import tasks

    sent = []
    short = {"workers.reconcile.reconcile_app": "app", "workers.reconcile.reconcile_space": "space"}
    monkeypatch.setattr(tasks, "send", lambda name, a, k, o: sent.append((short[name], *a)))
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_app_on_commit(7)
        reconcile_space_on_commit(3)
        assert sent == []
    assert sent == [("app", 7), ("space", 3)]


@pytest.mark.django_db
def test_targeted_reconcile_repairs_one_app_and_leaves_orphans_to_full_passes(
    clusters, sim, make_space, make_app
):
    space = make_space("rc-a")
    web = make_app(space, "web")
    old = make_app(space, "old")
    run_pass(clusters["rc-a"].pk)
    core(sim, "rc-a").delete_namespaced_config_map("web-config", space.slug)
    result = reconcile_app(web.pk)
    assert result["rc-a"]["applied"] == 1
    row = ReconcilePass.objects.filter(scope=Scope.APP).latest("started_at")
    assert row.target == f"{space.slug}/web" and row.applied == 1
    App.objects.filter(pk=old.pk).delete()
    from apps.reconciler.engine import Target
    from apps.reconciler.services import run_target

    outcome = run_target(clusters["rc-a"], Target(space.slug, "old"))
    assert outcome.pruned == 0 and ("Deployment", "old") in managed(sim, "rc-a", space.slug)
    core(sim, "rc-a").delete_namespaced_limit_range("k2-limits", space.slug)
    assert reconcile_space(space.pk)["rc-a"]["applied"] == 1
    assert reconcile_app(999999) is None and reconcile_space(999999) is None


class FakeStream:
    def __init__(self, events):
        self.body = b"".join(json.dumps(e).encode() + b"\n" for e in events)

    def stream(self, size, decode_content=True):
        for i in range(0, len(self.body), 7):  # events split across chunks
            yield self.body[i : i + 7]


def _obj(name, rv, *, replicas=1, managers=(("k2cloud", "2026-01-01T00:00:00Z"),)):
    return {"kind": "Deployment", "metadata": {
        "name": name, "namespace": "s", "resourceVersion": rv,
        "labels": {"k2cloud.io/app": name},
        "managedFields": [{"manager": m, "time": t, "operation": "Update"} for m, t in managers]},
        "spec": {"replicas": replicas}}  # fmt: skip


def test_watch_stream_handling():
    from apps.reconciler.kinds import BY_KIND, key_of

    watcher = Watcher([])
    queued = []
    watcher._enqueue = lambda cluster, obj, at: queued.append(obj["metadata"]["name"])
    fingerprints = {}
    from apps.reconciler.watch import fingerprint

    for name in ("a", "b", "c"):
        o = _obj(name, "1")
        fingerprints[key_of(o)] = (fingerprint(o), {})
    events = [
        {"type": "MODIFIED", "object": _obj("a", "5", replicas=3)},  # K2's own write: ignored
        {"type": "MODIFIED", "object": _obj("b", "6", replicas=9, managers=(
            ("k2cloud", "2026-01-01T00:00:00Z"), ("kubectl-edit", "2026-01-01T00:00:05Z")))},
        {"type": "DELETED", "object": _obj("c", "7")},
        {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "9"}}},
    ]  # fmt: skip
    version = watcher._follow(None, BY_KIND["Deployment"], FakeStream(events), fingerprints, "1")
    assert version == "9" and queued == ["b", "c"]
    gone = [{"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Gone"}}]
    assert watcher._follow(None, BY_KIND["Deployment"], FakeStream(gone), fingerprints, "9") == ""
    assert foreign_write(_obj("x", "1", managers=(("k2cloud", "T1"), ("other", "T1"))))
    assert not foreign_write(_obj("x", "1", managers=(("other", "T0"), ("k2cloud", "T1"))))
