"""Exec through the proxy is a terminal session like the web terminal's: the same row
(channel "k2ctl"), limits, encrypted recording, command log and audit start/end
(apps/terminal/sessions.py ends it)."""

from __future__ import annotations

from apps.clusters import gateway
from apps.clusters.gateway import GatewayError
from apps.terminal import sessions
from apps.terminal.access import Decision, Target
from apps.terminal.models import TerminalSession
from apps.terminal.sessions import add_commands
from apps.workloads.models import App
from apps.workloads.rendering.common import APP_LABEL

__all__ = ["add_commands", "pod_facts", "start"]


def pod_facts(cluster, namespace: str, pod: str) -> tuple[str, list[str]]:
    """The pod's app label and its containers ("", [] when unreadable: kubernetes itself
    answers the exec then)."""
    try:
        obj = gateway.call(cluster, "kubeproxy.read_pod",
                           lambda c: c.core.read_namespaced_pod(pod, namespace))  # fmt: skip
    except GatewayError:
        return "", []
    return (obj.metadata.labels or {}).get(APP_LABEL, ""), [c.name for c in obj.spec.containers]


def start(principal, decision, cluster, *, pod: str, container: str, command: list[str],
          server: str) -> TerminalSession:  # fmt: skip
    """Open the session row (sessions.LimitReached past a limit) and audit its start, as the
    web terminal does (apps/terminal/sessions.py: start)."""
    space = decision.space
    app_name, containers = pod_facts(cluster, space.namespace, pod)
    container = container or (containers[0] if containers else "")
    app = App.objects.filter(space=space, name=app_name).first() if app_name else None
    target = Target(space_slug=space.slug, app_name=app_name[:63], cluster_name=cluster.name,
                    pod=pod, container=container[:63],
                    shell=(command[0] if command else "")[-16:])  # fmt: skip
    return sessions.start(
        principal.actor, Decision(True, space=space, app=app, cluster=cluster), target,
        server=server, channel=TerminalSession.Channel.K2CTL, command=" ".join(command),
    )  # fmt: skip
