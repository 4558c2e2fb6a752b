"""The pod template every kind shares: container, resources from policy, Java preset,
probes, config volume, the host log volume and shareProcessNamespace."""

from collections.abc import Mapping

from apps.clusters.quantity import (
    cpu_millicores,
    divide,
    format_cpu,
    format_memory,
    memory_bytes,
)
from apps.workloads.rendering.common import (
    CONFIG_HASH,
    LOG_ROOT,
    RESTARTED_AT,
    REVISION_LABEL,
    STABLE,
    STDOUT_LOGGING,
    AppTarget,
    Release,
    digest,
    k2_labels,
    object_name,
    selector_labels,
)

MIB = 2**20
POD_NAME_ENV = "K2_POD_NAME"


def resources(spec: Mapping, policy) -> dict:
    """Limits as given; requests derived from the cluster's overcommit policy."""
    cpu = cpu_millicores(spec["cpu_limit"])
    memory = memory_bytes(spec["memory_limit"])
    memory_request = divide(memory, policy.memory_overcommit)
    if memory_request >= MIB:
        memory_request -= memory_request % MIB  # whole MiB: readable and still <= limit
    return {
        "limits": {"cpu": format_cpu(cpu), "memory": format_memory(memory)},
        "requests": {
            "cpu": format_cpu(divide(cpu, policy.cpu_overcommit)),
            "memory": format_memory(memory_request),
        },
    }


def java_tool_options(spec: Mapping) -> str:
    """-XX:MaxRAMPercentage from the memory limit, -XX:ActiveProcessorCount from the CPU limit."""
    cpus = max(1, -(-cpu_millicores(spec["cpu_limit"]) // 1000))
    heap = spec["java"]["heap_percent"]
    return f"-XX:MaxRAMPercentage={heap:.1f} -XX:InitialRAMPercentage={heap:.1f} -XX:ActiveProcessorCount={cpus}"


def _probe(probe: Mapping | None) -> dict | None:
    if not probe:
        return None
    timing = {
        "initialDelaySeconds": probe["initial_delay_seconds"],
        "periodSeconds": probe["period_seconds"],
        "timeoutSeconds": probe["timeout_seconds"],
        "failureThreshold": probe["failure_threshold"],
    }
    if probe["type"] == "http":
        return {"httpGet": {"path": probe["path"], "port": probe["port"]}, **timing}
    if probe["type"] == "tcp":
        return {"tcpSocket": {"port": probe["port"]}, **timing}
    return {"exec": {"command": list(probe["command"])}, **timing}


def config_data(spec: Mapping) -> dict:
    return {item["name"]: item["content"] for item in spec["config_files"]}


def log_dir(target: AppTarget) -> str:
    return f"{LOG_ROOT}/{target.namespace}/{target.name}"


def pod_template(
    target: AppTarget, release: Release, track: str, *, restart_policy: str = ""
) -> dict:
    spec = release.spec
    env = [{"name": item["name"], "value": item.get("value", "")} for item in spec["env"]]
    if spec["java"]["enabled"]:
        user = next((e for e in env if e["name"] == "JAVA_TOOL_OPTIONS"), None)
        preset = java_tool_options(spec)
        if user:
            user["value"] = f"{preset} {user['value']}".strip()
        else:
            env.append({"name": "JAVA_TOOL_OPTIONS", "value": preset})
    env.append({"name": POD_NAME_ENV, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})

    mounts = [
        # The host log volume, one sub-folder per pod, as on the original platform.
        {"name": "k2-logs", "mountPath": log_dir(target), "subPathExpr": f"$({POD_NAME_ENV})"}
    ]
    volumes = [
        {"name": "k2-logs", "hostPath": {"path": log_dir(target), "type": "DirectoryOrCreate"}}
    ]
    annotations = {STDOUT_LOGGING: "true" if spec["stdout_logging"] else "false"}
    data = config_data(spec)
    if data:
        mounts.append({"name": "config", "mountPath": spec["config_mount_path"], "readOnly": True})
        volumes.append(
            {"name": "config", "configMap": {"name": object_name(target.name, track, "config")}}
        )
        # A changed config file changes the template, so the pods roll.
        annotations[CONFIG_HASH] = digest(data)[:16]
    if spec["kind"] == "stateful" and spec["storage"]:
        mounts.append({"name": "data", "mountPath": spec["storage"]["mount_path"]})
    if target.restarted_at:
        annotations[RESTARTED_AT] = target.restarted_at

    container = {
        "name": spec.get("container_name") or target.name,
        "image": spec["image"],
        "imagePullPolicy": "IfNotPresent",
        "env": env,
        "resources": resources(spec, target.policy),
        "volumeMounts": mounts,
    }
    if spec["command"]:
        container["command"] = list(spec["command"])
    if spec["args"]:
        container["args"] = list(spec["args"])
    if spec["ports"]:
        container["ports"] = [
            {"name": p["name"], "containerPort": p["port"], "protocol": p["protocol"]}
            for p in spec["ports"]
        ]
    for key, field in (("liveness", "livenessProbe"), ("readiness", "readinessProbe")):
        probe = _probe(spec[key])
        if probe:
            container[field] = probe

    pod_spec = {
        "shareProcessNamespace": bool(spec["share_process_namespace"]),
        "containers": [container],
        "volumes": volumes,
        "terminationGracePeriodSeconds": 30,
    }
    if restart_policy:
        pod_spec["restartPolicy"] = restart_policy
    labels = {**k2_labels(target), **selector_labels(target, track)}
    if track == STABLE:
        labels.update(spec.get("selector") or {})
    labels[REVISION_LABEL] = str(release.revision)
    return {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod_spec}
