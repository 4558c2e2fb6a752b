"""Reconcile tasks: the periodic fan-out, one full pass per cluster, targeted repairs.

Thin and idempotent: ids in, one service call. A duplicated task finds nothing to do
(the cluster already matches); the periodic pass skips a cluster another pass holds.
"""

from celery import shared_task
from django.conf import settings

from k2cloud.celery import TransientError


@shared_task(name="workers.reconcile.reconcile_all", ignore_result=True)
def reconcile_all() -> int:
    """Queue a full pass of every enabled cluster (each its own task, so clusters run in
    parallel and one slow cluster never delays the others)."""
    from apps.clusters.models import Cluster

    expires = int(getattr(settings, "K2_RECONCILE_INTERVAL", 60))
    ids = list(Cluster.objects.filter(enabled=True).values_list("pk", flat=True))
    for pk in ids:
        reconcile_cluster.apply_async(args=[pk], expires=expires)
    return len(ids)


@shared_task(name="workers.reconcile.reconcile_cluster", bind=True, acks_late=True)
def reconcile_cluster(self, cluster_id: int, trigger: str = "schedule") -> int | None:
    """A full pass of one cluster. Scheduled passes skip a cluster that is busy; a pass a
    person asked for waits a little, then is retried later (never run alongside)."""
    from apps.reconciler.choices import Trigger
    from apps.reconciler.services import run_pass

    wait = 0 if trigger == Trigger.SCHEDULE else float(
        getattr(settings, "K2_RECONCILE_LOCK_WAIT", 30)
    )  # fmt: skip
    row = run_pass(cluster_id, trigger=trigger, wait=wait)
    if row is None and trigger != Trigger.SCHEDULE:
        from apps.clusters.models import Cluster

        if Cluster.objects.filter(pk=cluster_id, enabled=True).exists():
            from apps.reconciler.locks import ClusterLock

            if ClusterLock(cluster_id).held_by_live_owner():
                # A live worker's pass holds the cluster: wait our turn (a countdown, not a
                # spent retry); a dead worker's lock expires within seconds and is taken over.
                raise self.retry(countdown=wait or 5, max_retries=None)
            raise TransientError(f"cluster {cluster_id} is being reconciled by another pass")
    return row.pk if row else None


def _wait_turn(task, result: dict | None) -> dict | None:
    """A cluster whose target lock a live worker held (None in the result): run again a
    little later, so the change this task was asked for is not lost to the busy run."""
    if result and any(v is None for v in result.values()):
        raise task.retry(countdown=2, max_retries=None)
    return result


@shared_task(name="workers.reconcile.reconcile_app", bind=True, acks_late=True,
             ignore_result=True)  # fmt: skip
def reconcile_app(self, app_id: int, trigger: str = "change") -> dict | None:
    """A targeted reconcile of one app on its clusters (quiet if the app is gone)."""
    from apps.reconciler.services import reconcile_app as run

    return _wait_turn(self, run(app_id, trigger=trigger))


@shared_task(name="workers.reconcile.reconcile_space", bind=True, acks_late=True,
             ignore_result=True)  # fmt: skip
def reconcile_space(self, space_id: int, trigger: str = "change") -> dict | None:
    """A targeted reconcile of one space's own objects (quiet if the space is gone)."""
    from apps.reconciler.services import reconcile_space as run

    return _wait_turn(self, run(space_id, trigger=trigger))
