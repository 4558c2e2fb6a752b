"""Making clusters match the spaces in the database (called by the tasks in workers/spaces.py).

Each function takes a space id, re-reads the row, does only what is missing and is safe
to run twice or concurrently: applies are server-side applies (a second run changes
nothing), and state moves are race-safe transitions under a row lock.
"""

import logging
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.services import record
from apps.clusters.gateway import GatewayError
from apps.spaces import cluster_ops
from apps.spaces import manifests as m
from apps.spaces.choices import ClusterStatus, SpaceState
from apps.spaces.exceptions import SpaceConflict
from apps.spaces.models import Space, SpaceCluster
from apps.spaces.quota import policy_of
from apps.spaces.services import _transition

log = logging.getLogger(__name__)
PROVISION_ACTOR = Actor.system("workers.spaces.provision_space")
DELETE_ACTOR = Actor.system("workers.spaces.delete_space")
# States in which the clusters should hold the space's objects.
APPLY_STATES = frozenset(
    {SpaceState.PROVISIONING, SpaceState.ACTIVE, SpaceState.EXPIRING, SpaceState.EXPIRED}
)


# pg_advisory_lock class id of "cluster work on one space" ("K2SP").
SPACE_LOCK_CLASS = 0x4B325350 - 2**31


@contextmanager
def space_lock(space_id: int):
    """Serialise cluster work on one space across workers (PostgreSQL; SQLite has one writer).

    Waits rather than skips: a run that waited applies the newest members and quota, so a
    change made during an earlier run is never lost to that run's pruning.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [SPACE_LOCK_CLASS, space_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [SPACE_LOCK_CLASS, space_id])


def members_of(space: Space) -> list[tuple[str, str]]:
    return [
        (username, role)
        for username, role in space.memberships.values_list("user__username", "role")
    ]


def desired_manifests(space: Space, cluster) -> list[dict]:
    return m.render(space, policy_of(cluster), members_of(space))


def _apply_placement(space: Space, placement: SpaceCluster) -> str:
    """Apply the space on one cluster; '' on success, else the error in words."""
    now = timezone.now()
    try:
        manifests = desired_manifests(space, placement.cluster)
        cluster_ops.apply_space(placement.cluster, manifests)
    except Exception as exc:  # noqa: BLE001 - any failure is written down in words
        if not isinstance(exc, GatewayError | cluster_ops.NotOurs):
            log.exception("provisioning space %s on %s", space.slug, placement.cluster.name)
        error = _("Cluster %(cluster)s: %(error)s") % {
            "cluster": placement.cluster.name,
            "error": exc,
        }
        SpaceCluster.objects.filter(pk=placement.pk).update(
            status=ClusterStatus.FAILED, error=error, last_attempt_at=now
        )
        return error
    SpaceCluster.objects.filter(pk=placement.pk).update(
        status=ClusterStatus.READY,
        error="",
        spec_hash=m.combined_hash(manifests),
        last_attempt_at=now,
        ready_at=placement.ready_at or now,
    )
    return ""


def do_provision_space(space_id: int) -> str | None:
    """Create or update the space's objects on every cluster (one run per space at a time)."""
    with space_lock(space_id):
        return _provision(space_id)


def _provision(space_id: int) -> str | None:
    """The body of do_provision_space; returns the space's resulting state.

    1. Re-read the space; nothing to do unless its state wants objects in clusters.
    2. Apply on each cluster (Namespace, ResourceQuota, LimitRange, RoleBindings,
       NetworkPolicy), writing each cluster's status and error in words.
    3. A provisioning space becomes active when every cluster is ready, failed otherwise;
       a space already active stays so (the cluster's error shows on its page).
    """
    space = Space.objects.select_related("owner", "primary_cluster").filter(pk=space_id).first()
    if space is None or space.state not in APPLY_STATES:
        return space.state if space else None
    placements = list(space.placements.select_related("cluster", "cluster__policy"))
    errors = [e for e in (_apply_placement(space, p) for p in placements) if e]
    if space.state != SpaceState.PROVISIONING:
        if errors:
            log.warning("space %s: %s", space.slug, "; ".join(errors))
        return space.state
    target = SpaceState.FAILED if errors else SpaceState.ACTIVE
    message = (
        "; ".join(errors)
        if errors
        else _("Provisioned on %(clusters)s.")
        % {"clusters": ", ".join(p.cluster.name for p in placements)}
    )
    try:
        with transaction.atomic():
            _transition(space, target, actor=PROVISION_ACTOR, message=message)
    except SpaceConflict:
        # Someone else moved it meanwhile (a concurrent run, a deletion): theirs stands.
        space.refresh_from_db(fields=["state"])
    return space.state


def do_finish_deletion(space_id: int) -> bool:
    """Delete the namespaces (one run per space at a time); True once the space is deleted."""
    with space_lock(space_id):
        return _finish_deletion(space_id)


def _finish_deletion(space_id: int) -> bool:
    """Called again (by the task, with a pause) until the clusters have removed the
    namespaces; deleting a namespace also deletes everything K2 created in it.
    """
    space = Space.objects.filter(pk=space_id).first()
    if space is None or space.state == SpaceState.DELETED:
        return True
    if space.state != SpaceState.DELETING:
        return True
    pending = []
    for placement in space.placements.select_related("cluster"):
        try:
            gone = cluster_ops.delete_namespace(placement.cluster, space.namespace)
        except GatewayError as exc:
            SpaceCluster.objects.filter(pk=placement.pk).update(
                status=ClusterStatus.DELETING, error=str(exc), last_attempt_at=timezone.now()
            )
            pending.append(placement)
            continue
        SpaceCluster.objects.filter(pk=placement.pk).update(
            status=ClusterStatus.DELETED if gone else ClusterStatus.DELETING,
            error="",
            last_attempt_at=timezone.now(),
        )
        if not gone:
            pending.append(placement)
    if pending:
        return False
    try:
        with transaction.atomic():
            _transition(space, SpaceState.DELETED, actor=DELETE_ACTOR,
                        message=_("Namespaces deleted."))  # fmt: skip
    except SpaceConflict:
        pass
    return True


def do_fail_deletion(space_id: int, reason: str) -> None:
    """The namespaces did not go in time: the space fails (and may be deleted again)."""
    space = Space.objects.filter(pk=space_id, state=SpaceState.DELETING).first()
    if space is None:
        return
    try:
        with transaction.atomic():
            _transition(space, SpaceState.FAILED, actor=DELETE_ACTOR, message=reason)
    except SpaceConflict:
        pass


def record_task_failure(space_id: int, action: str, exc: Exception) -> None:
    """An unexpected error in a task: leave a failed audit event naming it."""
    from apps.audit.choices import Outcome

    space = Space.objects.filter(pk=space_id).first()
    record(
        PROVISION_ACTOR, action, space or ("spaces.space", space_id, str(space_id)),
        outcome=Outcome.FAILED, reason=f"{exc.__class__.__name__}: {exc}"[:2000], space=space,
    )  # fmt: skip
