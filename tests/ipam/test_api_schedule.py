"""The API (policy, runs, reports, scan now / release now), who may use it, the beat
entry and its per-cluster schedule (an unreachable cluster skipped and marked, the
others started), and the operation that runs a cluster's scan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.clusters.choices import Health
from apps.clusters.models import Cluster
from apps.ipam.choices import RunState, Trigger
from apps.ipam.models import IpamPolicy, IpamRun
from apps.ipam.services import do_schedule_due, run_cluster
from apps.operations.models import Operation
from apps.operations.services import run_operation
from tests.conftest import api_as
from tests.helpers import register
from tests.ipam.conftest import ADMIN, pass_grace

pytestmark = pytest.mark.django_db


def base(cluster) -> str:
    return f"/api/v1/clusters/{cluster.name}/ipam/"


def test_only_platform_admins_see_or_change_ipam(cluster, alice, dana):
    for user in (alice, dana):
        client = api_as(user)
        assert client.get(base(cluster)).status_code == 403
        assert client.post(base(cluster) + "scan/").status_code == 403
        assert client.patch(base(cluster), {"mode": "off"}, format="json").status_code == 403
    assert not Operation.objects.exists()


def test_policy_is_read_and_changed_with_unknown_fields_and_bad_values_refused(cluster, admin_user):
    client = api_as(admin_user)
    body = client.get(base(cluster)).json()
    assert body["policy"]["mode"] == "release" and body["policy"]["grace_seconds"] == 900
    assert body["last_run"] is None
    bad = client.patch(base(cluster), {"grace": 5}, format="json")
    assert bad.status_code == 400 and "grace" in bad.json()["fields"]
    bad = client.patch(base(cluster), {"max_leaked_share": 2}, format="json")
    assert bad.status_code == 400 and "max_leaked_share" in bad.json()["fields"]
    bad = client.patch(base(cluster), {"mode": "sometimes"}, format="json")
    assert bad.status_code == 400 and "mode" in bad.json()["fields"]
    ok = client.patch(base(cluster), {"mode": "report", "grace_seconds": 1200, "pools": ["default-ipv4-ippool"]},
                      format="json")  # fmt: skip
    assert ok.status_code == 200, ok.json()
    assert ok.json()["mode"] == "report" and ok.json()["grace_seconds"] == 1200
    event = AuditEvent.objects.get(action="ipam.policy.update")
    assert event.changes["mode"] == {"before": "release", "after": "report"}


def test_scan_now_runs_an_operation_whose_report_the_api_shows(
    cluster, admin_user, sent, django_capture_on_commit_callbacks
):
    client = api_as(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(base(cluster) + "scan/")
    assert response.status_code == 202
    op_id = response.json()["id"]
    assert [m[0] for m in sent] == ["workers.operations.run_operation"]
    assert run_operation(op_id) == "succeeded"
    run = IpamRun.objects.get(operation_id=op_id)
    assert run.trigger == Trigger.SCAN and run.state == RunState.SUCCEEDED
    assert run.counts["released"] == 0  # a scan never releases
    runs = client.get(base(cluster) + "runs/").json()
    assert runs["results"][0]["id"] == run.pk
    detail = client.get(f"/api/v1/ipam/runs/{run.pk}/").json()
    assert detail["report"]["pools"][0]["name"] == "default-ipv4-ippool"
    overview = client.get(base(cluster)).json()
    assert overview["last_run"]["id"] == run.pk


def test_release_now_previews_then_releases(cluster, admin_user, sent, leaked_pod,
                                            django_capture_on_commit_callbacks):  # fmt: skip
    _name, ip = leaked_pod
    run_cluster(cluster, trigger=Trigger.SCAN, actor=ADMIN)
    client = api_as(admin_user)
    assert ip not in {c["ip"] for c in client.get(base(cluster) + "preview/").json()}
    pass_grace(cluster)
    assert ip in {c["ip"] for c in client.get(base(cluster) + "preview/").json()}
    IpamPolicy.objects.filter(cluster=cluster).update(mode="off")
    refused = client.post(base(cluster) + "release/")
    assert refused.status_code == 400 and "mode" in refused.json()["fields"]
    IpamPolicy.objects.filter(cluster=cluster).update(mode="report")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(base(cluster) + "release/")
    assert response.status_code == 202
    assert run_operation(response.json()["id"]) == "succeeded"
    run = IpamRun.objects.get(operation_id=response.json()["id"])
    assert ip in {r["ip"] for r in run.report["released"]}
    event = AuditEvent.objects.get(action="ipam.release", target_id=ip)
    assert event.actor_name == "root" and event.changes["block"] and event.reason


def test_the_beat_entry_is_registered():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="workers.ipam.schedule_due", enabled=True).exists()


def test_schedule_starts_due_clusters_on_bulk_and_skips_unreachable_ones(cluster, sim, sent,
                                                                         django_capture_on_commit_callbacks):  # fmt: skip
    other = register(sim["ipam-nocalico"], ready=True)
    down = register(sim["ipam-nocalico"], name="ipam-down", ready=True)
    Cluster.objects.filter(pk=down.pk).update(health=Health.UNREACHABLE)
    off = register(sim["ipam-nocalico"], name="ipam-off", ready=True)
    IpamPolicy.objects.filter(cluster=off).update(mode="off") or IpamPolicy.objects.create(
        cluster=off, mode="off"
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = do_schedule_due()
    assert result == {"started": 2, "skipped": 1}
    ops = Operation.objects.filter(kind="ipam.run")
    assert {o.cluster.name for o in ops} == {cluster.name, other.name}
    assert all(options.get("queue") == "bulk" for _n, _a, options in sent)
    skipped = IpamRun.objects.get(cluster=down)
    assert skipped.state == RunState.SKIPPED and "unreachable" in skipped.error
    # Not due again before its interval; due after it.
    with django_capture_on_commit_callbacks(execute=True):
        assert do_schedule_due() == {"started": 0, "skipped": 0}
    for op in ops:
        run_operation(op.pk)
    later = timezone.now() + timedelta(seconds=601)
    with django_capture_on_commit_callbacks(execute=True):
        assert do_schedule_due(later)["started"] == 2
    assert IpamRun.objects.get(cluster=other, trigger="schedule").state == RunState.NO_CALICO
