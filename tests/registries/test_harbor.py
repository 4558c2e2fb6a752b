"""The same policy through the Harbor API (the emulator, checked against the swagger
contract, in front of a real Distribution registry): the same decisions, deletes through
Harbor, a triggered GC followed to success, and the faults of a run in words."""

from __future__ import annotations

import pytest

from apps.operations.services import run_operation
from apps.registries.backends import RegistryError, backend_for
from apps.registries.choices import RunState
from apps.registries.models import RegistryRun
from apps.registries.services import carry_out, decide_registry, do_start_gc, probe
from tests.registries import distribution, harbor_contract
from tests.registries.conftest import ADMIN, add_registry, push_30, run_now, run_pod


def _decisions(run: RegistryRun) -> dict:
    return {(r["repository"], tuple(d["tags"])): d["keep"] for r in run.report["repositories"]
            for d in r["decisions"]}  # fmt: skip


def _harbor(harbor, **extra):
    extra.setdefault("username", "admin")
    extra.setdefault("password", "Harbor12345")
    extra.setdefault("pull_host", harbor.backing.host)
    return add_registry(harbor.url, kind="harbor", name="harbor", **extra)


def test_same_decisions_as_the_plain_registry_then_delete_and_gc(
    harbor, cluster, core, namespace, django_capture_on_commit_callbacks
):
    plain_url = harbor.backing.url
    push_30(plain_url, layer_bytes=1024 * 1024 + 7)
    run_pod(core, namespace, f"{harbor.backing.host}/team/api:build-5")
    plain = add_registry(plain_url, mode="dry-run")
    registry = _harbor(harbor)
    assert registry.health.startswith("OK: Harbor")

    through_plain = decide_registry(plain, actor=ADMIN)
    result = run_now(registry, django_capture_on_commit_callbacks)
    assert result["state"] == "succeeded", result["operation"].error
    through_harbor = RegistryRun.objects.get(pk=result["operation"].result["preview"])
    assert _decisions(through_harbor) == _decisions(through_plain)
    assert _decisions(through_harbor)[("team/api", ("build-5",))] == ["running"]

    left = set(distribution.tags(plain_url, "team/api"))
    assert left == {f"build-{i}" for i in range(21, 31)} | {"release-1", "v1.2.3", "build-5"}

    with django_capture_on_commit_callbacks(execute=False):
        operation = do_start_gc(registry, actor=ADMIN)
    assert run_operation(operation.pk) == "succeeded"
    gc = RegistryRun.objects.get(what=RegistryRun.GC)
    assert gc.state == RunState.SUCCEEDED and gc.report["job_state"] == "succeeded"
    assert gc.bytes_reclaimed >= 17 * 1024 * 1024
    assert harbor.gc_jobs[0]["job_status"] == "Success"
    for tag in left:
        distribution.pull(plain_url, "team/api", tag)
    assert harbor.violations == []


def test_a_request_outside_the_contract_is_refused_and_reported(harbor, db):
    registry = _harbor(harbor)
    client = backend_for(registry).http
    with pytest.raises(RegistryError, match="HTTP 400"):
        client.request("GET", "/api/v2.0/projects/team/repositories/api/artifactz")
    with pytest.raises(RegistryError, match="HTTP 400"):
        client.request("GET", "/api/v2.0/projects", fields={"per_page": 5})
    assert len(harbor.violations) == 2 and "not in the contract" in harbor.violations[1]
    with pytest.raises(harbor_contract.ContractError):
        harbor_contract.check_request(
            "DELETE", "/api/v2.0/projects/team/repositories/api/artifacts", {}
        )
    with pytest.raises(harbor_contract.ContractError):
        harbor_contract.check_response(
            "GET", "/system/gc/{gc_id}", harbor_contract.operation("GET", "/api/v2.0/system/gc/1")[1],
            200, {"id": "one"},
        )  # fmt: skip


def test_wrong_credentials_and_a_registry_that_times_out_are_said_in_words(
    harbor, cluster, settings
):
    push_30(harbor.backing.url)
    wrong = _harbor(harbor, password="nope")
    assert "refused the credentials" in probe(wrong)
    run = decide_registry(wrong, actor=ADMIN)
    assert run.state == RunState.FAILED and "refused the credentials" in run.error

    settings.K2_REGISTRY_TIMEOUT_SECONDS = 0.3
    wrong.set_password("Harbor12345")
    wrong.save()
    harbor.delay = 1.0
    run = decide_registry(wrong, actor=ADMIN)
    harbor.delay = 0
    assert run.state == RunState.FAILED and "failed" in run.error
    assert len(distribution.tags(harbor.backing.url, "team/api")) == 30


def test_moved_tag_404_and_never_more_than_previewed(harbor, cluster, monkeypatch):
    url = harbor.backing.url
    digests = push_30(url)
    registry = _harbor(harbor, mode="dry-run")
    monkeypatch.setattr("apps.registries.backends.harbor.PAGE", 7)  # pages of 7 artifacts
    preview = decide_registry(registry, actor=ADMIN)
    assert preview.counts["delete"] == 18 and preview.counts["artifacts"] == 30
    # Between preview and delete: build-1 moves to a new (young) image, build-2 is deleted
    # by someone else, and old images are pushed that the preview never saw.
    moved = distribution.push_image(url, "team/api", "build-1", created="2099-01-01T00:00:00Z")
    distribution.http.request("DELETE", f"{url}/v2/team/api/manifests/{digests['build-2']}")
    distribution.push_image(url, "team/api", "ancient", created="2001-01-01T00:00:00Z")
    run = carry_out(preview, actor=ADMIN)
    assert run.state == RunState.SUCCEEDED, run.error
    left = set(distribution.tags(url, "team/api"))
    assert "ancient" in left and "build-1" in left
    assert {"build-1", "build-2"} <= {t for e in run.report["already_gone"] for t in e["tags"]}
    assert run.counts["deleted"] == 16
    assert moved not in {e["digest"] for e in run.report["deleted"]}
