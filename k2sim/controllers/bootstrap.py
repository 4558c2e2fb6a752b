"""What a freshly installed cluster contains: system namespaces, nodes, the ``kubernetes``
service and (optionally) Calico's CRDs with a default IPPool."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from ..resources import CONTRACTS

if TYPE_CHECKING:
    from . import ControlPlane


def bootstrap(cp: ControlPlane) -> None:
    c = cp.cluster
    api = c.api
    cfg = c.cfg
    ns = api.res("", "namespaces")
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        if api.find(ns, "", name) is None:
            api.create(ns, "", {"metadata": {"name": name}})
    nodes = api.res("", "nodes")
    for i in range(1, cfg.nodes + 1):
        name = f"{c.name}-node-{i}"
        if api.find(nodes, "", name) is not None:
            continue
        cap = {
            "cpu": cfg.node_cpu,
            "memory": cfg.node_memory,
            "pods": "110",
            "ephemeral-storage": "100Gi",
        }
        api.create(
            nodes,
            "",
            {
                "metadata": {
                    "name": name,
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "node.kubernetes.io/instance-type": "k2sim",
                    },
                },
                "spec": {"podCIDR": f"10.244.{i}.0/24"},
                "status": {
                    "capacity": cap,
                    "allocatable": dict(cap),
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                        }
                    ],
                    "addresses": [
                        {"type": "InternalIP", "address": f"172.18.0.{i + 1}"},
                        {"type": "Hostname", "address": name},
                    ],
                    "nodeInfo": {
                        "kubeletVersion": "v1.32.4",
                        "kubeProxyVersion": "v1.32.4",
                        "containerRuntimeVersion": "k2sim://0.1",
                        "operatingSystem": "linux",
                        "architecture": "amd64",
                        "osImage": "k2sim",
                        "kernelVersion": "6.1.0",
                        "machineID": f"{c.name}{i}",
                        "systemUUID": f"{c.name}-{i}",
                        "bootID": f"{c.name}-{i}",
                    },
                },
            },
        )
    svc = api.res("", "services")
    if api.find(svc, "default", "kubernetes") is None:
        api.create(
            svc,
            "default",
            {
                "metadata": {
                    "name": "kubernetes",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {
                    "clusterIP": "10.96.0.1",
                    "ports": [{"name": "https", "port": 443, "targetPort": 6443}],
                },
            },
        )
    if cfg.extra.get("install_calico", True):
        install_calico(cp)


def install_calico(cp: ControlPlane) -> None:
    api = cp.cluster.api
    crd_res = api.res("apiextensions.k8s.io", "customresourcedefinitions")
    for f in sorted((CONTRACTS / "calico").glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc and api.find(crd_res, "", doc["metadata"]["name"]) is None:
                api.create(crd_res, "", doc)
    cp.ipam.ensure_pool()
