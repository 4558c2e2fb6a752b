"""Reconcile tasks: the periodic fan-out, one full pass per cluster, targeted repairs.

Thin and idempotent: ids in, one service call. A duplicated task finds nothing to do
(the cluster already matches); the periodic pass skips a cluster another pass holds.
"""

from celery import shared_task
from django.conf import settings

from apps.clusters.models import Cluster
from apps.core.tasks import enqueue
from apps.reconciler import services
from apps.reconciler.choices import Trigger
from k2cloud.celery import TransientError


@shared_task(name="workers.reconcile.reconcile_all", ignore_result=True)
def reconcile_all() -> int:
    """Queue a full pass of every enabled cluster (each its own task, so clusters run in
    parallel and one slow cluster never delays the others)."""
    expires = settings.K2_RECONCILE_INTERVAL
    ids = list(Cluster.objects.filter(enabled=True).values_list("pk", flat=True))
    for pk in ids:
        reconcile_cluster.apply_async(args=[pk], expires=expires)
    return len(ids)


@shared_task(name="workers.reconcile.reconcile_cluster", bind=True, acks_late=True)
def reconcile_cluster(self, cluster_id: int, trigger: str = "schedule") -> int | None:
    """A full pass of one cluster. Scheduled passes skip a cluster that is busy; a pass a
    person asked for waits a little, then is retried later (never run alongside)."""
    wait = 0 if trigger == Trigger.SCHEDULE else settings.K2_RECONCILE_LOCK_WAIT
    row = services.run_pass(cluster_id, trigger=trigger, wait=wait)
    busy = row is None and trigger != Trigger.SCHEDULE
    if busy and Cluster.objects.filter(pk=cluster_id, enabled=True).exists():
        raise TransientError(f"cluster {cluster_id} is being reconciled by another pass")
    return row.pk if row else None


@shared_task(name="workers.reconcile.reconcile_app", acks_late=True, ignore_result=True)
def reconcile_app(app_id: int, trigger: str = "change", follow: int = 0) -> dict | None:
    """A targeted reconcile of one app on its clusters (quiet if the app is gone); looks
    again a little later while its rollout or removal is under way."""
    result = services.reconcile_app(app_id, trigger=trigger, follow=follow)
    if result and result["again_in"] is not None:
        enqueue("workers.reconcile.reconcile_app", app_id, trigger=trigger, follow=follow + 1,
                countdown=result["again_in"])  # fmt: skip
    return result


@shared_task(name="workers.reconcile.reconcile_space", acks_late=True, ignore_result=True)
def reconcile_space(space_id: int, trigger: str = "change", follow: int = 0) -> dict | None:
    """A targeted reconcile of one space's own objects (quiet if the space is gone); looks
    again a little later while its namespaces are being deleted."""
    result = services.reconcile_space(space_id, trigger=trigger, follow=follow)
    if result and result["again_in"] is not None:
        enqueue("workers.reconcile.reconcile_space", space_id, trigger=trigger,
                follow=follow + 1, countdown=result["again_in"])  # fmt: skip
    return result
