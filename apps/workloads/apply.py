"""Making clusters match an app: what the Celery tasks call (and the reconciler, later).

Safe to run twice and out of order: each run renders the app's *current* desired state,
server-side-applies it and prunes what is no longer rendered, so a late or duplicate
task converges on the same objects.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.choices import Outcome
from apps.audit.services import record
from apps.clusters.gateway import GatewayError
from apps.workloads import cluster_ops
from apps.workloads.choices import AppKind, ApplyStatus, AppStatus
from apps.workloads.models import App, AppCluster
from apps.workloads.rendering import render_app
from apps.workloads.targets import app_targets

log = logging.getLogger(__name__)
ACTOR = Actor.system("workers.workloads")


def _load(app_id: int) -> App | None:
    return (
        App.objects.select_related("space__primary_cluster", "revision", "canary_revision")
        .filter(pk=app_id)
        .first()
    )


def _other_clusters(app: App, placed: set[int]) -> list:
    """The space's clusters the app is not placed on (it may have been, before)."""
    clusters = {app.space.primary_cluster_id: app.space.primary_cluster}
    for sc in app.space.placements.select_related("cluster"):
        clusters.setdefault(sc.cluster_id, sc.cluster)
    return [c for pk, c in clusters.items() if pk not in placed]


def _settled_status(app: App) -> str:
    """The status right after a successful apply; rollouts are followed by status reads."""
    if app.paused:
        return AppStatus.PAUSED
    if app.kind == AppKind.CRONJOB:
        return AppStatus.RUNNING
    return AppStatus.DEPLOYING


def apply_app(app_id: int) -> dict | None:
    """Apply the app to each of its clusters; record per-cluster outcome. None: app gone.

    1. Load the app; a deleting or vanished app is left to the delete task.
    2. Per placement: render, server-side apply, prune stale objects; note the outcome.
    3. Remove the app from space clusters it is no longer placed on.
    4. Store the generation applied and the overall status (failed, with the reason in
       words, if any cluster failed).
    """
    app = _load(app_id)
    if app is None or app.status == AppStatus.DELETING or app.revision is None:
        return None
    generation = app.generation
    outcome, errors = {}, []
    placed = set()
    for placement, target in app_targets(app):
        placed.add(placement.cluster_id)
        try:
            result = cluster_ops.sync(
                placement.cluster, target.namespace, app.name, render_app(target)
            )
        except GatewayError as exc:
            message = _("Cluster %(cluster)s: %(error)s") % {
                "cluster": placement.cluster.name,
                "error": exc.message,
            }
            errors.append(message)
            AppCluster.objects.filter(pk=placement.pk).update(
                status=ApplyStatus.FAILED, error=message
            )
            outcome[placement.cluster.name] = {"error": message}
            continue
        AppCluster.objects.filter(pk=placement.pk).update(
            status=ApplyStatus.APPLIED,
            error="",
            applied_generation=generation,
            applied_at=timezone.now(),
        )
        outcome[placement.cluster.name] = {
            "applied": result["applied"],
            "deleted": len(result["deleted"]),
        }
    for cluster in _other_clusters(app, placed):
        try:
            cluster_ops.remove_app(cluster, app.space.namespace, app.name)
        except GatewayError as exc:
            errors.append(
                _("Cluster %(cluster)s: %(error)s")
                % {"cluster": cluster.name, "error": exc.message}
            )
    with transaction.atomic():
        fields = {"applied_generation": generation}
        if errors:
            fields.update(status=AppStatus.FAILED, status_message="\n".join(errors))
        else:
            fields.update(status_message="", status=_settled_status(app))
        # Never overwrite a newer generation's state or a deletion that started meanwhile.
        updated = (
            App.objects.filter(pk=app.pk, generation=generation)
            .exclude(status=AppStatus.DELETING)
            .update(**fields)
        )
        if errors and updated:
            record(ACTOR, "app.apply", app, outcome=Outcome.FAILED, reason="\n".join(errors),
                   space=app.space)  # fmt: skip
    return {"generation": generation, "clusters": outcome, "errors": errors}


def delete_app(app_id: int) -> dict | None:
    """Remove every object of a deleting app from all clusters of its space, then the row."""
    app = _load(app_id)
    if app is None or app.status != AppStatus.DELETING:
        return None
    errors, removed = [], {}
    clusters = [p.cluster for p in app.placements.select_related("cluster")]
    clusters += _other_clusters(app, {c.pk for c in clusters})
    for cluster in clusters:
        try:
            removed[cluster.name] = len(
                cluster_ops.remove_app(cluster, app.space.namespace, app.name)
            )
        except GatewayError as exc:
            errors.append(
                _("Cluster %(cluster)s: %(error)s")
                % {"cluster": cluster.name, "error": exc.message}
            )
    if errors:
        App.objects.filter(pk=app.pk).update(status_message="\n".join(errors))
        record(
            ACTOR,
            "app.delete",
            app,
            outcome=Outcome.FAILED,
            reason="\n".join(errors),
            space=app.space,
        )
        return {"removed": removed, "errors": errors}
    with transaction.atomic():
        App.objects.filter(pk=app.pk, status=AppStatus.DELETING).delete()
    return {"removed": removed, "errors": []}
