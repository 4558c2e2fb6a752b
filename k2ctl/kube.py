"""kubectl underneath: kubeconfigs whose server is K2Cloud's proxy, and running kubectl
with one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from k2ctl.client import K2ctlError
from k2ctl.config import folder, write_private
from k2ctl.i18n import t

APP_LABEL = "k2cloud.io/app"


def kubectl_binary() -> str:
    found = os.environ.get("K2CTL_KUBECTL") or shutil.which("kubectl")
    if not found:
        raise K2ctlError(t("kubectl was not found: install it or set K2CTL_KUBECTL."))
    return found


def pick_cluster(space: dict, wanted: str | None) -> str:
    clusters = space.get("clusters") or []
    if not clusters:
        raise K2ctlError(t("Space {space} runs on no cluster.", space=space["slug"]))
    if wanted and wanted not in clusters:
        raise K2ctlError(t("Cluster {cluster} is not one of space {space}'s: {clusters}.",
                           cluster=wanted, space=space["slug"], clusters=", ".join(clusters)))  # fmt: skip
    return wanted or clusters[0]


def kubeconfig_text(url: str, token: str, space: dict, cluster: str, *,
                    insecure: bool = False, ca_file: str | None = None) -> tuple[str, str]:  # fmt: skip
    """(kubeconfig, context name) for `space` on `cluster` through the proxy. JSON is
    valid YAML, so no YAML library is needed on the bastion."""
    context = f"k2-{space['slug']}-{cluster}"
    server: dict[str, object] = {"server": f"{url.rstrip('/')}/k8s/{cluster}"}
    if ca_file:
        server["certificate-authority"] = ca_file
    elif insecure:
        server["insecure-skip-tls-verify"] = True
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": server}],
        "users": [{"name": context, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {
            "cluster": context, "user": context, "namespace": space["namespace"]}}],
    }  # fmt: skip
    return json.dumps(config, indent=2) + "\n", context


def write_kubeconfig(text: str, path: Path | None, space: str, cluster: str) -> Path:
    path = path or folder() / f"kubeconfig-{space}-{cluster}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, text)
    return path


def run(kubeconfig: Path, args: list[str], *, capture: bool = False):
    """Run kubectl with `kubeconfig`; its exit status becomes k2ctl's."""
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    command = [kubectl_binary(), *args]
    if capture:
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return subprocess.call(command, env=env)
