"""Retention on a real Distribution registry: the newest 10 plus the protected and the
running ones survive, the rest is deleted by digest, and `registry garbage-collect` after
the run reclaims bytes on disk while the kept images still pull."""

from __future__ import annotations

from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.registries.choices import RunMode, RunState
from apps.registries.models import RegistryRun
from tests.registries import distribution
from tests.registries.conftest import add_registry, push_30, run_now, run_pod


def _surviving_tags(plain, repo="team/api") -> set[str]:
    return set(distribution.tags(plain.url, repo))


def test_keeps_newest_protected_and_running_then_gc_reclaims_bytes(
    plain, cluster, core, namespace, django_capture_on_commit_callbacks
):
    digests = push_30(plain.url, layer_bytes=256 * 1024)
    run_pod(core, namespace, f"{plain.host}/team/api:build-2")  # old, but running
    registry = add_registry(plain.url)
    result = run_now(registry, django_capture_on_commit_callbacks)
    assert result["state"] == "succeeded", result["operation"].error

    preview = RegistryRun.objects.get(pk=result["operation"].result["preview"])
    assert preview.mode == RunMode.DRY_RUN and preview.state == RunState.SUCCEEDED
    decisions = {tuple(d["tags"]): d for d in preview.report["repositories"][0]["decisions"]}
    assert decisions[("build-2",)]["keep"] == ["running"]
    assert decisions[("build-2",)]["where"] == [cluster.name]
    assert decisions[("release-1",)]["keep"] == ["protected"]
    assert decisions[("v1.2.3",)]["keep"] == ["protected"]
    assert decisions[("build-30",)]["keep"] == ["newest"]

    expected = {f"build-{i}" for i in range(21, 31)} | {"release-1", "v1.2.3", "build-2"}
    assert _surviving_tags(plain) == expected
    deleted = RegistryRun.objects.get(pk=result["operation"].result["run"])
    assert deleted.counts["deleted"] == 17
    assert AuditEvent.objects.filter(action="registry.artifact.delete").count() == 17
    assert digests["build-1"] in {e["digest"] for e in deleted.report["deleted"]}

    before = plain.disk_bytes()
    call_command("registry_gc", "plain", "--storage", str(plain.root), "--",
                 distribution.BINARY, "garbage-collect", str(plain.config))  # fmt: skip
    gc = RegistryRun.objects.filter(what=RegistryRun.GC).get()
    assert gc.state == RunState.SUCCEEDED
    assert "blobs marked" in gc.report["output"]
    assert gc.bytes_reclaimed >= 17 * 256 * 1024
    assert plain.disk_bytes() <= before - 17 * 256 * 1024
    for tag in expected:
        assert distribution.pull(plain.url, "team/api", tag) >= 256 * 1024


def test_dry_run_deletes_nothing(plain, cluster, django_capture_on_commit_callbacks, monkeypatch):
    push_30(plain.url)
    distribution.push_image(plain.url, "other/web", "build-1", created="2020-01-01T00:00:00Z")
    monkeypatch.setattr("apps.registries.backends.distribution.PAGE", 7)  # Link-header pages
    registry = add_registry(plain.url, mode="dry-run")
    result = run_now(registry, django_capture_on_commit_callbacks)
    assert result["state"] == "succeeded"
    assert len(_surviving_tags(plain)) == 30
    preview = RegistryRun.objects.get(pk=result["operation"].result["preview"])
    assert preview.counts["delete"] == 18 and preview.counts["artifacts"] == 31
    assert [r["repository"] for r in preview.report["repositories"]] == ["other/web", "team/api"]
    assert not RegistryRun.objects.filter(mode=RunMode.DELETE, what=RegistryRun.RETENTION).exists()
    assert not AuditEvent.objects.filter(action="registry.artifact.delete").exists()


def test_unreachable_cluster_blocks_deletion(
    plain, cluster, sim, django_capture_on_commit_callbacks
):
    push_30(plain.url)
    registry = add_registry(plain.url)
    sim["registries"].set_faults(refuse_connections=True)
    try:
        result = run_now(registry, django_capture_on_commit_callbacks)
    finally:
        sim["registries"].clear_faults()
    preview = RegistryRun.objects.get(pk=result["operation"].result["preview"])
    assert preview.state == RunState.BLOCKED
    assert cluster.name in preview.report["blocked"]
    assert "could not be read" in " ".join(preview.report["errors"])
    assert len(_surviving_tags(plain)) == 30
    blocked = RegistryRun.objects.get(pk=result["operation"].result["run"])
    assert blocked.state == RunState.BLOCKED and blocked.counts == {}


def test_running_child_of_a_multi_arch_index_keeps_the_index(
    plain, cluster, core, namespace, django_capture_on_commit_callbacks
):
    digests = push_30(plain.url)
    amd = distribution.push_image(
        plain.url, "team/api", "old-amd64", created="2020-01-01T00:00:00Z"
    )
    arm = distribution.push_image(
        plain.url, "team/api", "old-arm64", created="2020-01-01T00:00:00Z"
    )
    index = distribution.push_index(plain.url, "team/api", "old-multi", [amd, arm])
    run_pod(core, namespace, f"{plain.host}/team/api@{arm}")
    registry = add_registry(plain.url)
    run_now(registry, django_capture_on_commit_callbacks)
    left = _surviving_tags(plain)
    # The running child keeps its index, and the index keeps its other child.
    assert {"old-multi", "old-arm64", "old-amd64"} <= left and "build-1" not in left
    assert index and digests
