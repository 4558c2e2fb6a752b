"""Shared k2sim fixtures: two in-process clusters for the whole session ("test" starts
without Calico's CRDs so installing them with kubectl is exercised; "prod" has them), a
fresh namespace per test, and helpers to drive the real kubectl binary."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from k2sim.testing import ClusterHandle, RunningClusters
from tests.conftest import sim_for
from tests.helpers import wait_for  # noqa: F401  (the tests import it from here)

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@pytest.fixture(scope="session")
def sim(k2sim_clusters: RunningClusters) -> RunningClusters:
    """ "test" (no Calico) and "prod" of the session's k2sim (tests/conftest.py)."""
    return sim_for(k2sim_clusters, ("test", "prod"))


@pytest.fixture(scope="session")
def cluster(sim: RunningClusters) -> ClusterHandle:
    return sim["test"]


@pytest.fixture(scope="session")
def api_client(cluster: ClusterHandle) -> Any:
    return cluster.api_client()


@pytest.fixture(scope="session")
def core(api_client: Any) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def apps(api_client: Any) -> client.AppsV1Api:
    return client.AppsV1Api(api_client)


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    name = "t-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def run_kubectl(
    handle: ClusterHandle,
    *args: str,
    input: str | None = None,
    timeout: float = 60,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        KUBECONFIG=str(handle.kubeconfig_path),
        KUBECACHEDIR=str(handle.kubeconfig_path.parent / "kubecache"),
        HOME=str(handle.kubeconfig_path.parent),
    )
    r = subprocess.run(
        [KUBECTL, *args], input=input, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


@pytest.fixture
def kubectl(cluster: ClusterHandle) -> Callable[..., subprocess.CompletedProcess[str]]:
    def _run(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return run_kubectl(cluster, *args, **kw)

    return _run


def deployment_manifest(
    name: str, replicas: int = 2, image: str = "nginx:1.27", **labels: str
) -> dict[str, Any]:
    lab = {"app": name, **labels}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": lab},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": lab},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": image,
                            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}},
                        }
                    ]
                },
            },
        },
    }
