"""Who may open a terminal into which container, decided in one place.

The websocket consumer asks before accepting, again whenever a revocation event arrives and
every K2_TERMINAL_RECHECK_SECONDS while the session is open; the portal page asks to show
the reason in words before the browser even connects. The rules:

1. a signed-in, active user (else 4401);
2. the space exists, is not being deleted, and the user may see it;
3. the user's role grants `open_terminal` (developer, admin, owner; platform admins too);
4. the app exists in that space and is not being deleted;
5. the cluster runs the app, and its policy allows terminals (never in production);
6. at connect only: the pod exists in the space's namespace on that cluster, carries the
   app's label, runs, and has the container (one GET through the gateway).

Every refusal is a `Decision` with a close code and a message naming the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.clusters import gateway
from apps.clusters.choices import PRODUCTION_ENVIRONMENTS
from apps.clusters.gateway import GatewayError, Kind
from apps.clusters.permissions import cluster_allows_terminal
from apps.spaces.choices import SpaceState
from apps.spaces.models import Membership, Space
from apps.spaces.permissions import TERMINAL, space_permissions
from apps.spaces.permissions import can as space_can
from apps.workloads.choices import AppStatus
from apps.workloads.models import App
from apps.workloads.rendering.common import APP_LABEL

UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, LIMITED = 4401, 4403, 4404, 4429
SHELLS = {"sh": ["/bin/sh"], "bash": ["/bin/bash"]}


@dataclass(frozen=True)
class Target:
    """What a terminal asks for (from the URL)."""

    space_slug: str
    app_name: str
    cluster_name: str
    pod: str
    container: str
    shell: str = "sh"


@dataclass
class Decision:
    allowed: bool
    code: int = 1000
    reason: str = ""
    space: Space | None = None
    app: App | None = None
    cluster: object | None = None

    @classmethod
    def deny(cls, code: int, reason: str) -> Decision:
        return cls(False, code, reason)


def _role_reason(user, space: Space) -> str:
    membership = Membership.objects.filter(space=space, user=user).first()
    if membership is None:
        return _("You are not a member of space %(space)s.") % {"space": space.slug}
    return _(
        "Your role in space %(space)s (%(role)s) does not allow terminals; developers, "
        "admins and owners may open them."
    ) % {"space": space.slug, "role": membership.get_role_display()}


def decide(user, target: Target, *, check_pod: bool = True) -> Decision:
    """May `user` open (or keep open) a terminal into `target`? Reads the database and,
    with `check_pod`, the cluster (synchronous: consumers call it in a thread)."""
    if user is None or not user.is_authenticated:
        return Decision.deny(UNAUTHENTICATED, _("Sign in to open a terminal."))
    if not user.is_active:
        return Decision.deny(UNAUTHENTICATED, _("Your account was deactivated."))
    if target.shell not in SHELLS:
        return Decision.deny(FORBIDDEN, _("Unknown shell %(shell)s: choose sh or bash.")
                             % {"shell": target.shell[:20]})  # fmt: skip
    space = (
        Space.objects.select_related("primary_cluster__policy")
        .filter(slug=target.space_slug)
        .exclude(state=SpaceState.DELETED)
        .order_by("-id")
        .first()
    )
    if space is None or not space_can(user, "view", space):
        return Decision.deny(FORBIDDEN, _("No space %(space)s that you can see.")
                             % {"space": target.space_slug})  # fmt: skip
    if space.state == SpaceState.DELETING:
        return Decision.deny(FORBIDDEN, _("Space %(space)s is being deleted.")
                             % {"space": space.slug})  # fmt: skip
    if space.environment in PRODUCTION_ENVIRONMENTS:
        return Decision.deny(FORBIDDEN, _(
            "Space %(space)s is in production, where K2Cloud offers no web terminal: use "
            "k2ctl on the bastion host.") % {"space": space.slug})  # fmt: skip
    # The role alone here (the space's `can` also folds in its primary cluster's policy):
    # the policy of the pod's own cluster decides below.
    if TERMINAL not in space_permissions(user, space):
        return Decision.deny(FORBIDDEN, _role_reason(user, space))
    app = App.objects.filter(space=space, name=target.app_name).first()
    if app is None:
        return Decision.deny(FORBIDDEN, _("App %(app)s is not in space %(space)s (was it deleted?).")
                             % {"app": target.app_name, "space": space.slug})  # fmt: skip
    if app.status == AppStatus.DELETING:
        return Decision.deny(FORBIDDEN, _("App %(app)s is being deleted.") % {"app": app.name})
    placement = (
        app.placements.select_related("cluster__policy")
        .filter(cluster__name=target.cluster_name)
        .first()
    )
    if placement is None:
        return Decision.deny(FORBIDDEN, _("App %(app)s does not run on cluster %(cluster)s.")
                             % {"app": app.name, "cluster": target.cluster_name})  # fmt: skip
    cluster = placement.cluster
    if not cluster.enabled:
        return Decision.deny(FORBIDDEN, _("Cluster %(cluster)s is disabled.")
                             % {"cluster": cluster.name})  # fmt: skip
    if not cluster_allows_terminal(cluster):
        if cluster.environment in PRODUCTION_ENVIRONMENTS:
            reason = _("Cluster %(cluster)s is a production cluster: K2Cloud offers no web "
                       "terminal there; use k2ctl on the bastion host.")  # fmt: skip
        else:
            reason = _("The policy of cluster %(cluster)s does not allow web terminals.")
        return Decision.deny(FORBIDDEN, reason % {"cluster": cluster.name})
    decision = Decision(True, space=space, app=app, cluster=cluster)
    if check_pod:
        refusal = _check_pod(cluster, space.namespace, app.name, target)
        if refusal:
            return refusal
    return decision


def _check_pod(cluster, namespace: str, app_name: str, target: Target) -> Decision | None:
    try:
        pod = gateway.call(
            cluster, "terminal.read_pod",
            lambda c: c.core.read_namespaced_pod(target.pod, namespace),
        )  # fmt: skip
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            return Decision.deny(
                NOT_FOUND, _("Pod %(pod)s no longer exists.") % {"pod": target.pod}
            )
        return Decision.deny(NOT_FOUND, exc.message)
    if (pod.metadata.labels or {}).get(APP_LABEL) != app_name:
        return Decision.deny(FORBIDDEN, _("Pod %(pod)s does not belong to app %(app)s.")
                             % {"pod": target.pod, "app": app_name})  # fmt: skip
    containers = [c.name for c in pod.spec.containers or []]
    if target.container not in containers:
        return Decision.deny(NOT_FOUND, _("Pod %(pod)s has no container %(container)s.")
                             % {"pod": target.pod, "container": target.container})  # fmt: skip
    if (pod.status.phase if pod.status else "") != "Running" or pod.metadata.deletion_timestamp:
        return Decision.deny(NOT_FOUND, _("Pod %(pod)s is not running.") % {"pod": target.pod})
    return None


def terminal_clusters(user, app: App) -> set[str]:
    """Names of the app's clusters where `user` may open terminals (the pod list's buttons;
    the consumer decides again on connect)."""
    space = app.space
    if space.environment in PRODUCTION_ENVIRONMENTS or TERMINAL not in space_permissions(
        user, space
    ):
        return set()
    return {p.cluster.name for p in app.placements.select_related("cluster__policy")
            if p.cluster.enabled and cluster_allows_terminal(p.cluster)}  # fmt: skip
