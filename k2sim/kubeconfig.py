"""kubeconfig files: one per cluster and a combined one with a context per cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def _entries(
    name: str, server: str, ca_path: Path, token: str, user: str
) -> tuple[dict, dict, dict]:
    cluster = {
        "name": name,
        "cluster": {"server": server, "certificate-authority": str(ca_path.resolve())},
    }
    u = {"name": user, "user": {"token": token}}
    ctx = {"name": name, "context": {"cluster": name, "user": user, "namespace": "default"}}
    return cluster, u, ctx


def render(entries: list[tuple[str, str, Path, str]], current: str | None = None) -> dict[str, Any]:
    """entries: (cluster name, server url, ca path, admin token)."""
    clusters, users, contexts = [], [], []
    for name, server, ca, token in entries:
        c, u, x = _entries(name, server, ca, token, f"{name}-admin")
        clusters.append(c)
        users.append(u)
        contexts.append(x)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current or (entries[0][0] if entries else ""),
    }


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
