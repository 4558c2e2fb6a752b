"""The desired state of one cluster (or one space/app on it), read from the database in a
constant number of queries and rendered with the spaces' and apps' own pure renderers."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from apps.reconciler.kinds import Key, key_of
from apps.reconciler.planner import Desired
from apps.spaces import manifests as space_manifests
from apps.spaces.choices import PROVISIONED_STATES, ClusterStatus, SpaceState
from apps.spaces.models import Membership, SpaceCluster
from apps.spaces.quota import policy_of
from apps.workloads.choices import ApplyStatus, AppStatus
from apps.workloads.models import App, AppCluster
from apps.workloads.rendering import AppTarget, Release, render_app, split_replicas
from apps.workloads.rendering.collection import AppLogs, ClusterLogs, render_collection
from apps.workloads.targets import policy_for

log = logging.getLogger(__name__)


@dataclass
class DesiredState:
    objects: dict[Key, Desired] = field(default_factory=dict)
    # Namespaces of spaces that should exist here: the only ones where pruning may happen.
    prunable_namespaces: set[str] = field(default_factory=set)
    # (namespace, app) owners to leave alone: apps being deleted or failing to render.
    hands_off: set[tuple[str, str]] = field(default_factory=set)
    # Namespaces to leave alone: spaces failed, being deleted or awaiting approval.
    hands_off_namespaces: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    space_ids: dict[str, int] = field(default_factory=dict)  # namespace -> space id
    app_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (ns, app) -> app id
    # Apps that should have nothing here (being deleted, or no longer placed on this
    # cluster): (ns, app) -> app id. Their objects are pruned; they are not hands-off.
    removing: dict[tuple[str, str], int] = field(default_factory=dict)
    # What the status module compares its observation with (rendered owners only).
    app_rows: dict[int, object] = field(default_factory=dict)  # app id -> AppCluster
    app_generations: dict[int, int] = field(default_factory=dict)  # app id -> generation
    space_rows: dict[int, object] = field(default_factory=dict)  # space id -> SpaceCluster
    space_manifests: dict[int, list[dict]] = field(default_factory=dict)


def _space_rows(cluster, namespace: str | None):
    rows = SpaceCluster.objects.filter(cluster=cluster).select_related("space__owner")
    if namespace is not None:
        rows = rows.filter(space__slug=namespace)
    return list(rows)


def _members(space_ids) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = Membership.objects.filter(space_id__in=space_ids).values_list(
        "space_id", "user__username", "role"
    )
    for space_id, username, role in rows:
        out[space_id].append((username, role))
    return out


def app_targets_bulk(apps: list, cluster) -> dict[int, tuple[object, object]]:
    """{app id: (AppCluster, AppTarget)} of each app on `cluster`, in two queries.

    Mirrors apps.workloads.targets.app_targets (a test holds them equal), which costs a
    query per app.
    """
    placements: dict[int, list] = defaultdict(list)
    rows = AppCluster.objects.filter(app__in=[a.pk for a in apps]).select_related("cluster")
    for row in rows.order_by("app_id", "-weight", "cluster__name"):
        placements[row.app_id].append(row)
    policy = policy_for(cluster)
    out = {}
    for app in apps:
        mine = [p for p in placements[app.pk] if p.cluster_id == cluster.pk]
        if not mine:
            continue
        weights = [(p.cluster.name, p.weight) for p in placements[app.pk]]
        stable = split_replicas(app.replicas, weights)
        canary = split_replicas(app.canary_replicas, weights) if app.has_canary else {}
        canary_release = None
        if app.has_canary and canary.get(cluster.name):
            canary_release = Release(spec=app.canary_revision.spec,
                                     revision=app.canary_revision.number,
                                     replicas=canary[cluster.name])  # fmt: skip
        target = AppTarget(
            space=app.space.slug, namespace=app.space.namespace, name=app.name,
            stable=Release(spec=app.revision.spec, revision=app.revision.number,
                           replicas=stable[cluster.name]),
            policy=policy, paused=app.paused, restarted_at=app.restarted_at,
            canary=canary_release, canary_weight=app.canary_weight,
        )  # fmt: skip
        out[app.pk] = (mine[0], target)
    return out


def desired_state(
    cluster, *, namespace: str | None = None, app_name: str | None = None,
    spaces: bool = True, apps: bool = True,
) -> DesiredState:  # fmt: skip
    """What `cluster` should hold: every object of its spaces and of the apps placed on it.

    Scoped by `namespace` (one space), `app_name` (one app) and the `spaces` / `apps`
    switches. Raises on database errors: the caller must then neither apply nor prune.
    """
    state = DesiredState()
    rows = _space_rows(cluster, namespace)
    live = []
    for row in rows:
        space = row.space
        ns = space.namespace
        if space.state in PROVISIONED_STATES and row.status not in (
            ClusterStatus.DELETING,
            ClusterStatus.DELETED,
        ):
            live.append(row)
            state.prunable_namespaces.add(ns)
            state.space_ids[ns] = space.pk
        elif space.state not in (SpaceState.DELETED, SpaceState.REJECTED):
            state.hands_off_namespaces.add(ns)
    if spaces and app_name is None:
        policy = policy_of(cluster)
        members = _members([r.space_id for r in live])
        for row in live:
            space = row.space
            try:
                rendered = space_manifests.render(space, policy, members.get(space.pk, []))
            except Exception as exc:  # noqa: BLE001 - one bad space must not stop the others
                log.exception("rendering space %s", space.slug)
                state.hands_off_namespaces.add(space.namespace)
                state.errors.append(f"space {space.slug}: {exc}")
                continue
            applied = row.status == ClusterStatus.READY
            state.space_rows[space.pk] = row
            state.space_manifests[space.pk] = rendered
            for manifest in rendered:
                state.objects[key_of(manifest)] = Desired(manifest, space.pk, None, applied)
    if not apps:
        return state
    queryset = App.objects.filter(
        space_id__in=[r.space_id for r in live], placements__cluster=cluster
    ).select_related("space", "revision", "canary_revision")
    if app_name is not None:
        queryset = queryset.filter(name=app_name)
    all_apps = [a for a in queryset if a.status != AppStatus.DELETING]
    # Apps of these spaces with nothing to render are left alone: their objects are
    # neither applied nor pruned here.
    leave = App.objects.filter(space_id__in=[r.space_id for r in live], revision__isnull=True)
    if app_name is not None:
        leave = leave.filter(name=app_name)
    for ns, name in leave.values_list("space__slug", "name"):
        state.hands_off.add((ns, name))
    if app_name is not None:
        # One app: if it is being deleted or not placed here, its objects go now.
        gone = App.objects.filter(space_id__in=[r.space_id for r in live], name=app_name)
        for app_id, ns, status in gone.values_list("pk", "space__slug", "status"):
            if status == AppStatus.DELETING or app_id not in {a.pk for a in all_apps}:
                state.removing[(ns, app_name)] = app_id
    renderable = [a for a in all_apps if (a.space.namespace, a.name) not in state.hands_off]
    for app in renderable:
        state.app_ids[(app.space.namespace, app.name)] = app.pk
        state.app_generations[app.pk] = app.generation
    for app_id, (placement, target) in app_targets_bulk(renderable, cluster).items():
        try:
            rendered = render_app(target)
        except Exception as exc:  # noqa: BLE001
            log.exception("rendering app %s/%s", target.namespace, target.name)
            state.hands_off.add((target.namespace, target.name))
            state.errors.append(f"app {target.namespace}/{target.name}: {exc}")
            continue
        applied = placement.status == ApplyStatus.APPLIED or placement.applied_at is not None
        state.app_rows[app_id] = placement
        space_id = state.space_ids.get(target.namespace)
        for manifest in rendered:
            state.objects[key_of(manifest)] = Desired(manifest, space_id, app_id, applied)
    return state


def cluster_logs(cluster) -> ClusterLogs | None:
    """What the log collection of `cluster` is made of, from the database (three queries);
    None when its environment has no log output (then nothing of it is wanted there).

    Apps count when placed on the cluster, rendered (a revision, not being deleted), in a
    space live there, and collecting something (files or standard output).
    """
    from apps.clusters.models import EnvironmentPolicy

    output = (
        EnvironmentPolicy.objects.filter(environment=cluster.environment)
        .values_list("log_output", flat=True)
        .first()
    )
    if not output:
        return None
    live = SpaceCluster.objects.filter(
        cluster=cluster, space__state__in=PROVISIONED_STATES
    ).exclude(status__in=(ClusterStatus.DELETING, ClusterStatus.DELETED))
    rows = (
        App.objects.filter(placements__cluster=cluster, revision__isnull=False,
                           space_id__in=live.values("space_id"))
        .exclude(status=AppStatus.DELETING)
        .select_related("space__owner", "revision")
    )  # fmt: skip
    apps = []
    for app in rows:
        spec = app.revision.spec
        patterns = tuple(spec.get("log_files") or ())
        stdout = bool(spec.get("stdout_logging"))
        if not (patterns or stdout):
            continue
        apps.append(AppLogs(
            namespace=app.space.namespace, space=app.space.slug, app=app.name,
            team=app.space.owner.username if app.space.owner_id else "",
            container=spec.get("container_name") or app.name, stdout=stdout, patterns=patterns,
        ))  # fmt: skip
    return ClusterLogs(
        cluster=cluster.name, environment=cluster.environment,
        namespace=settings.K2_LOG_COLLECTION_NAMESPACE, image=settings.K2_FILEBEAT_IMAGE,
        output=output, apps=apps,
    )  # fmt: skip


def collection_manifests(cluster) -> list[dict]:
    logs = cluster_logs(cluster)
    return render_collection(logs) if logs is not None else []


def add_collection(cluster, state: DesiredState) -> None:
    """Add the cluster's log collection to `state` (owned by no space or app: pruned by its
    component label when no longer wanted). A render failure keeps it hands-off."""
    try:
        manifests = collection_manifests(cluster)
    except Exception as exc:  # noqa: BLE001 - the apps and spaces still reconcile
        log.exception("rendering the log collection of %s", cluster.name)
        state.errors.append(f"log collection: {exc}")
        return
    for manifest in manifests:
        state.objects[key_of(manifest)] = Desired(manifest, None, None, False)
