"""Adoption: turn an existing Deployment (read through the gateway) into an app spec."""

from apps.workloads.rendering.spec import DEFAULTS

_K2_ENV = {"K2_POD_NAME", "JAVA_TOOL_OPTIONS"}


def _probe(probe) -> dict | None:
    if probe is None:
        return None
    timing = {
        "initial_delay_seconds": probe.initial_delay_seconds or 0,
        "period_seconds": probe.period_seconds or 10,
        "timeout_seconds": probe.timeout_seconds or 1,
        "failure_threshold": probe.failure_threshold or 3,
    }
    if probe.http_get is not None and isinstance(probe.http_get.port, int):
        return {
            "type": "http",
            "path": probe.http_get.path or "/",
            "port": probe.http_get.port,
            **timing,
        }
    if probe.tcp_socket is not None and isinstance(probe.tcp_socket.port, int):
        return {"type": "tcp", "port": probe.tcp_socket.port, **timing}
    if probe._exec is not None and probe._exec.command:
        return {"type": "exec", "command": list(probe._exec.command), **timing}
    return None


def spec_from_deployment(deployment) -> tuple[dict, int]:
    """(raw spec, replicas) of a V1Deployment: its first container, ports, plain env values,
    limits (or the defaults), probes and selector. Validation happens in the service."""
    pod = deployment.spec.template.spec
    container = pod.containers[0]
    limits = (container.resources.limits or {}) if container.resources else {}
    requests = (container.resources.requests or {}) if container.resources else {}
    spec = {
        "kind": "service",
        "image": container.image,
        "command": list(container.command or []),
        "args": list(container.args or []),
        "ports": [
            {
                "name": p.name or f"port-{p.container_port}",
                "port": p.container_port,
                "protocol": p.protocol or "TCP",
                "expose": True,
            }
            for p in container.ports or []
        ],  # fmt: skip
        "env": [
            {"name": e.name, "value": e.value or ""}
            for e in container.env or []
            if e.value_from is None and e.name not in _K2_ENV
        ],
        "cpu_limit": limits.get("cpu") or requests.get("cpu") or DEFAULTS["cpu_limit"],
        "memory_limit": limits.get("memory") or requests.get("memory") or DEFAULTS["memory_limit"],
        "liveness": _probe(container.liveness_probe),
        "readiness": _probe(container.readiness_probe),
        "share_process_namespace": bool(pod.share_process_namespace)
        if pod.share_process_namespace is not None
        else True,
        "selector": dict(deployment.spec.selector.match_labels or {}),
        "container_name": container.name,
    }
    replicas = deployment.spec.replicas if deployment.spec.replicas is not None else 1
    return spec, replicas
