"""Log collection of one cluster, rendered from the database: Filebeat inputs per app and
the Filebeat DaemonSet that reads them (docs/log-collection.md).

Pure like the rest of the package: plain data in, manifests out. The reconciler applies
them like any desired object (label `k2cloud.io/component=log-collection`), so a changed
app reaches the cluster's `k2-filebeat-inputs` ConfigMap in one pass and Filebeat reloads
it (`filebeat.config.inputs` with `reload.enabled`) without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext as _

from apps.workloads.rendering.common import LOG_ROOT, MANAGED_BY, MANAGER, digest, stamp

COMPONENT_LABEL = "k2cloud.io/component"
COMPONENT = "log-collection"
INPUTS_CONFIGMAP = "k2-filebeat-inputs"
CONFIG_CONFIGMAP = "k2-filebeat-config"
NAME = "k2-filebeat"
CONTAINER_LOGS = "/var/log/containers"
INPUTS_DIR = "/usr/share/filebeat/inputs.d"
OUTPUT_TYPES = ("elasticsearch", "logstash", "kafka")
# Java stack traces: continuation lines ("\tat …", "… 3 more", "Caused by:") join the line
# before them, so one exception is one event.
JAVA_MULTILINE = r"^[[:space:]]+(at|\.{3})[[:space:]]+\b|^Caused by:"
# The kinds rendered here, in apply order (the reconciler lists exactly these).
KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet")


@dataclass(frozen=True)
class AppLogs:
    """What one app wants collected on one cluster."""

    namespace: str
    space: str
    app: str
    team: str
    container: str
    stdout: bool
    patterns: Sequence[str] = ()


@dataclass(frozen=True)
class ClusterLogs:
    """Everything the collection of one cluster is made of."""

    cluster: str
    environment: str
    namespace: str
    image: str
    output: Mapping = field(default_factory=dict)
    apps: Sequence[AppLogs] = ()


def app_log_dir(namespace: str, app: str) -> str:
    return f"{LOG_ROOT}/{namespace}/{app}"


def inputs_of(logs: ClusterLogs, app: AppLogs) -> list[dict]:
    """The Filebeat inputs of one app: its files (under every pod's sub-directory) and,
    when asked for, its containers' standard output."""
    fields = {"k2": {"cluster": logs.cluster, "environment": logs.environment,
                     "space": app.space, "app": app.app, "team": app.team}}  # fmt: skip
    out = []
    if app.patterns:
        base = app_log_dir(app.namespace, app.app)
        out.append({
            "type": "log",
            "enabled": True,
            "paths": [f"{base}/*/{pattern}" for pattern in app.patterns],
            "fields": {**fields, "k2": {**fields["k2"], "source": "file"}},
            "fields_under_root": True,
            "multiline.type": "pattern",
            "multiline.pattern": JAVA_MULTILINE,
            "multiline.negate": False,
            "multiline.match": "after",
            "close_removed": True,
            "clean_removed": True,
        })  # fmt: skip
    if app.stdout:
        # kubelet's links: <pod>_<namespace>_<container>-<container id>.log; every pod of
        # the app (stable, canary, StatefulSet ordinals, Job runs) starts with "<app>-".
        path = f"{CONTAINER_LOGS}/{app.app}-*_{app.namespace}_{app.container}-*.log"
        out.append({
            "type": "log",
            "enabled": True,
            "paths": [path],
            "symlinks": True,
            "fields": {**fields, "k2": {**fields["k2"], "source": "stdout"}},
            "fields_under_root": True,
            "close_removed": True,
            "clean_removed": True,
        })  # fmt: skip
    return out


def input_file_name(app: AppLogs) -> str:
    return f"{app.namespace}.{app.app}.yml"


def inputs_data(logs: ClusterLogs) -> dict[str, str]:
    """The ConfigMap's files: one YAML list of inputs per app that collects anything."""
    data = {}
    for app in sorted(logs.apps, key=lambda a: (a.namespace, a.app)):
        inputs = inputs_of(logs, app)
        if inputs:
            data[input_file_name(app)] = yaml.safe_dump(inputs, sort_keys=False, width=1000)
    return data


def _output(logs: ClusterLogs) -> dict:
    out = logs.output
    kind = out["type"]
    hosts = list(out["hosts"])
    index = (out.get("index") or f"k2-{logs.environment}-%{{+yyyy.MM.dd}}").replace(
        "{environment}", logs.environment
    )
    if kind == "elasticsearch":
        # A custom index needs its template named; K2Cloud's indices are plain daily ones.
        return {"output.elasticsearch": {"hosts": hosts, "index": index},
                "setup.template.name": f"k2-{logs.environment}",
                "setup.template.pattern": f"k2-{logs.environment}-*",
                "setup.ilm.enabled": False}  # fmt: skip
    if kind == "logstash":
        return {"output.logstash": {"hosts": hosts, "index": index.split("-%{")[0]}}
    return {"output.kafka": {"hosts": hosts, "topic": out.get("topic") or f"k2-{logs.environment}"}}


def filebeat_yml(logs: ClusterLogs) -> str:
    config = {
        "filebeat.config.inputs": {
            "enabled": True,
            "path": f"{INPUTS_DIR}/*.yml",
            "reload.enabled": True,
            "reload.period": "10s",
        },  # fmt: skip
        "processors": [
            {
                "add_kubernetes_metadata": {
                    "host": "${NODE_NAME}",
                    "matchers": [{"logs_path": {"logs_path": f"{CONTAINER_LOGS}/"}}],
                }
            }
        ],  # fmt: skip
        **_output(logs),
    }
    return yaml.safe_dump(config, sort_keys=False, width=1000)


def _meta(logs: ClusterLogs, name: str, *, namespaced: bool = True) -> dict:
    meta: dict = {"name": name, "labels": {MANAGED_BY: MANAGER, COMPONENT_LABEL: COMPONENT,
                                           "app.kubernetes.io/name": NAME}}  # fmt: skip
    if namespaced:
        meta["namespace"] = logs.namespace
    return meta


def _daemonset(logs: ClusterLogs, config: str) -> dict:
    host = [
        ("varlogcontainers", CONTAINER_LOGS, "", True),
        ("varlogpods", "/var/log/pods", "", True),
        ("varlibdocker", "/var/lib/docker/containers", "", True),
        ("k2logs", LOG_ROOT, "DirectoryOrCreate", True),
        ("data", "/var/lib/k2-filebeat", "DirectoryOrCreate", False),
    ]
    volumes = [
        {"name": "config", "configMap": {"name": CONFIG_CONFIGMAP, "defaultMode": 0o640}},
        {"name": "inputs", "configMap": {"name": INPUTS_CONFIGMAP, "defaultMode": 0o640}},
    ] + [
        {"name": n, "hostPath": {"path": p, **({"type": t} if t else {})}} for n, p, t, _ro in host
    ]
    mounts = [
        {"name": "config", "mountPath": "/etc/filebeat.yml", "subPath": "filebeat.yml",
         "readOnly": True},
        {"name": "inputs", "mountPath": INPUTS_DIR, "readOnly": True},
    ] + [
        {"name": n, "mountPath": "/usr/share/filebeat/data" if n == "data" else p,
         **({"readOnly": True} if ro else {})}
        for n, p, _t, ro in host
    ]  # fmt: skip
    labels = {"app.kubernetes.io/name": NAME, COMPONENT_LABEL: COMPONENT}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(logs, NAME),
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                # The main config is read at start: a changed one rolls the pods. Inputs
                # are reloaded live, so their changes never restart Filebeat.
                "metadata": {
                    "labels": labels,
                    "annotations": {"k2cloud.io/config-hash": digest(config)[:16]},
                },
                "spec": {
                    "serviceAccountName": NAME,
                    "terminationGracePeriodSeconds": 30,
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [
                        {
                            "name": "filebeat",
                            "image": logs.image,
                            "args": ["-c", "/etc/filebeat.yml", "-e"],
                            "env": [
                                {
                                    "name": "NODE_NAME",
                                    "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                }
                            ],
                            "securityContext": {"runAsUser": 0},
                            "resources": {
                                "limits": {"cpu": "500m", "memory": "300Mi"},
                                "requests": {"cpu": "100m", "memory": "100Mi"},
                            },
                            "volumeMounts": mounts,
                        }
                    ],
                    "volumes": volumes,
                },
            },  # fmt: skip
        },
    }


def render_collection(logs: ClusterLogs) -> list[dict]:
    """Every object of the cluster's log collection, in apply order, stamped with its hash."""
    config = filebeat_yml(logs)
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(logs, NAME)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": _meta(logs, NAME, namespaced=False),
         "rules": [{"apiGroups": [""], "resources": ["namespaces", "pods", "nodes"],
                    "verbs": ["get", "list", "watch"]},
                   {"apiGroups": ["apps"], "resources": ["replicasets"],
                    "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": _meta(logs, NAME, namespaced=False),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
         "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": logs.namespace}]},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(logs, CONFIG_CONFIGMAP),
         "data": {"filebeat.yml": config}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(logs, INPUTS_CONFIGMAP),
         "data": inputs_data(logs)},
        _daemonset(logs, config),
    ]  # fmt: skip
    return [stamp(obj) for obj in objects]


def clean_output(raw) -> tuple[dict, dict[str, list[str]]]:
    """A per-environment output target, checked: (output, {field: [messages]}).

    {"type": elasticsearch|logstash|kafka, "hosts": ["host:port", …], "index": pattern,
    "topic": kafka topic}; {} turns collection off for the environment.
    """
    if raw in (None, {}):
        return {}, {}
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, Mapping):
        return {}, {"log_output": [_("The log output must be an object.")]}
    unknown = sorted(set(raw) - {"type", "hosts", "index", "topic"})
    if unknown:
        errors["log_output"] = [_("Unknown fields: %(f)s.") % {"f": ", ".join(unknown)}]
    kind = raw.get("type")
    if kind not in OUTPUT_TYPES:
        errors["log_output.type"] = [_("Choose one of: %(t)s.") % {"t": ", ".join(OUTPUT_TYPES)}]
    hosts = raw.get("hosts")
    if (not isinstance(hosts, list) or not hosts or len(hosts) > 20
            or not all(isinstance(h, str) and h.strip() and " " not in h.strip() for h in hosts)):  # fmt: skip
        errors["log_output.hosts"] = [_("Give one to 20 hosts such as es-1.example.com:9200.")]
    for key in ("index", "topic"):
        value = raw.get(key, "")
        if not isinstance(value, str) or len(value) > 200 or any(c in value for c in " \n\"'"):
            errors[f"log_output.{key}"] = [_("Give a name without spaces or quotes.")]
    if errors:
        return {}, errors
    out = {"type": kind, "hosts": [h.strip() for h in hosts]}
    for key in ("index", "topic"):
        if raw.get(key):
            out[key] = raw[key]
    return out, {}
