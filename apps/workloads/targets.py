"""From models to rendering: the AppTarget of an app on each of its clusters.

The only module that turns App rows into the pure rendering inputs: export goes through
`app_targets`, and the reconciler's bulk reader (apps/reconciler/desired.py
`app_targets_bulk`, held equal to it by a test) uses `policy_for`.
"""

from decimal import Decimal

from apps.clusters.policy import BUILTIN_DEFAULTS
from apps.workloads.rendering import AppTarget, Policy, Release, render_app, split_replicas


def policy_for(cluster) -> Policy:
    """The overcommit ratios of a cluster (its policy row, else its environment's defaults)."""
    policy = getattr(cluster, "policy", None)
    if policy is None:
        defaults = BUILTIN_DEFAULTS.get(cluster.environment, {})
        return Policy(
            Decimal(defaults.get("cpu_overcommit", 1)),
            Decimal(defaults.get("memory_overcommit", 1)),
        )
    return Policy(Decimal(policy.cpu_overcommit), Decimal(policy.memory_overcommit))


def placement_weights(app) -> list[tuple[str, int]]:
    return [(p.cluster.name, p.weight) for p in app.placements.all()]


def app_targets(app, *, namespace: str | None = None) -> list[tuple[object, AppTarget]]:
    """[(AppCluster, AppTarget)] for every cluster the app is placed on.

    Stable replicas are split over the clusters by weight; a canary's replicas too, and a
    cluster whose canary share is zero runs no canary at all (its ingress would send the
    canary's share of traffic to nothing).
    """
    placements = list(app.placements.select_related("cluster__policy").all())
    weights = [(p.cluster.name, p.weight) for p in placements]
    stable = split_replicas(app.replicas, weights)
    canary = split_replicas(app.canary_replicas, weights) if app.has_canary else {}
    space = app.space
    out = []
    for placement in placements:
        name = placement.cluster.name
        canary_release = None
        if app.has_canary and canary.get(name):
            canary_release = Release(
                spec=app.canary_revision.spec,
                revision=app.canary_revision.number,
                replicas=canary[name],
            )
        target = AppTarget(
            space=space.slug,
            namespace=namespace or space.namespace,
            name=app.name,
            stable=Release(
                spec=app.revision.spec, revision=app.revision.number, replicas=stable[name]
            ),
            policy=policy_for(placement.cluster),
            paused=app.paused,
            restarted_at=app.restarted_at,
            canary=canary_release,
            canary_weight=app.canary_weight,
        )
        out.append((placement, target))
    return out


def render_for_export(
    app, *, cluster_name: str | None = None, namespace: str | None = None
) -> list[dict]:
    """The manifests of one cluster (the first placement unless named), for kubectl."""
    targets = app_targets(app, namespace=namespace)
    for placement, target in targets:
        if cluster_name is None or placement.cluster.name == cluster_name:
            return render_app(target)
    return []
