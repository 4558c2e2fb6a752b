"""Reconcile tasks: the periodic fan-out, one full pass per cluster, targeted repairs.

Thin and idempotent: ids in, one service call. A duplicated task finds nothing to do
(the cluster already matches); the periodic pass skips a cluster another pass holds.
"""

from celery import shared_task
from django.conf import settings

from apps.clusters.models import Cluster
from apps.core.tasks import BULK, enqueue
from apps.reconciler import services
from apps.reconciler.choices import Trigger
from apps.reconciler.locks import ClusterLock
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
        if ClusterLock(cluster_id).held_by_live_owner():
            # A live worker's pass holds the cluster: wait our turn (a countdown, not a
            # spent retry); a dead worker's lock expires within seconds and is taken over.
            raise self.retry(countdown=wait or 5, max_retries=None)
        raise TransientError(f"cluster {cluster_id} is being reconciled by another pass")
    return row.pk if row else None


def _wait_turn(task, result: dict | None) -> dict | None:
    """A cluster whose target lock a live worker held (None in the result): run again a
    little later, so the change this task was asked for is not lost to the busy run."""
    if result and any(v is None for k, v in result.items() if k != "again_in"):
        raise task.retry(countdown=2, max_retries=None)
    return result


@shared_task(name="workers.reconcile.reconcile_app", bind=True, acks_late=True,
             ignore_result=True)  # fmt: skip
def reconcile_app(self, app_id: int, trigger: str = "change", follow: int = 0) -> dict | None:
    """A targeted reconcile of one app on its clusters (quiet if the app is gone); looks
    again a little later while its rollout or removal is under way (those follow-up looks
    on the bulk queue: the next person's change goes first)."""
    result = _wait_turn(self, services.reconcile_app(app_id, trigger=trigger, follow=follow))
    if result and result["again_in"] is not None:
        enqueue("workers.reconcile.reconcile_app", app_id, trigger=trigger, follow=follow + 1,
                countdown=result["again_in"], queue=BULK)  # fmt: skip
    return result


@shared_task(name="workers.reconcile.reconcile_space", bind=True, acks_late=True,
             ignore_result=True)  # fmt: skip
def reconcile_space(self, space_id: int, trigger: str = "change", follow: int = 0) -> dict | None:
    """A targeted reconcile of one space's own objects (quiet if the space is gone); looks
    again a little later while its namespaces are being deleted."""
    result = _wait_turn(self, services.reconcile_space(space_id, trigger=trigger, follow=follow))
    if result and result["again_in"] is not None:
        enqueue("workers.reconcile.reconcile_space", space_id, trigger=trigger,
                follow=follow + 1, countdown=result["again_in"], queue=BULK)  # fmt: skip
    return result
