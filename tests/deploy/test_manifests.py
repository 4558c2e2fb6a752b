"""The manifests that run K2Cloud itself render with kustomize and match the Kubernetes schemas."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.kube_openapi import validation_errors

ROOT = Path(__file__).resolve().parents[2]


def rendered() -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is needed to render deploy/kubernetes (Debian: kubernetes-client)")
    out = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "kubernetes")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return [doc for doc in yaml.safe_load_all(out) if doc]


def test_every_rendered_manifest_is_valid():
    docs = rendered()
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    assert kinds == sorted(
        [
            "Namespace/k2cloud", "ConfigMap/k2cloud-config", "Job/k2cloud-migrate",
            "Deployment/k2cloud-web", "Service/k2cloud-web", "Deployment/k2cloud-worker",
            "Deployment/k2cloud-worker-interactive", "Deployment/k2cloud-beat", "Ingress/k2cloud",
        ]
    )  # fmt: skip
    for doc in docs:
        assert validation_errors(doc) == [], f"{doc['kind']}/{doc['metadata']['name']}"


def test_the_validator_catches_a_typo():
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"selector": {}, "template": {"spec": {"contaners": []}}}}  # fmt: skip
    errors = validation_errors(bad)
    assert any("contaners" in e for e in errors)
    assert any("containers" in e and "required" in e for e in errors)


def test_exactly_one_beat_and_probes_on_web():
    docs = {f"{d['kind']}/{d['metadata']['name']}": d for d in rendered()}
    beat = docs["Deployment/k2cloud-beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"
    web = docs["Deployment/k2cloud-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_every_queue_has_a_worker_and_interactive_work_has_its_own():
    docs = {f"{d['kind']}/{d['metadata']['name']}": d for d in rendered()}

    def queues(name: str) -> list[str]:
        command = docs[name]["spec"]["template"]["spec"]["containers"][0]["command"]
        return command[command.index("-Q") + 1].split(",")

    assert queues("Deployment/k2cloud-worker") == ["interactive", "bulk", "notify"]
    assert queues("Deployment/k2cloud-worker-interactive") == ["interactive"]
