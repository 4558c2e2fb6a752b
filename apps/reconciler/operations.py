"""The reconciler's operation kind: a full pass of one cluster, run under an operation lease.

The pass itself takes the cluster's lock (which dies with its worker, see locks.py) and
is idempotent: a pass resumed after a crash compares again and applies what is missing.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.clusters.models import Cluster
from apps.operations import liveness
from apps.operations.registry import Step, register
from apps.reconciler.choices import PassStatus
from apps.reconciler.models import ReconcilePass
from apps.reconciler.services import run_pass
from k2cloud.celery import TransientError


def _pass(operation) -> dict:
    wait = settings.K2_RECONCILE_LOCK_WAIT
    row = run_pass(operation.params["cluster_id"], trigger=operation.params.get("trigger", "manual"),
                   wait=wait)  # fmt: skip
    if row is None:
        if Cluster.objects.filter(pk=operation.params["cluster_id"], enabled=True).exists():
            # Another live worker holds the cluster: wait our turn (retried, not failed).
            raise TransientError("the cluster is being reconciled by another pass")
        return {"pass": None}
    return {"pass": row.pk, "status": row.status, "applied": row.applied, "pruned": row.pruned}


@register("reconciler.pass", label=_("Reconcile pass"))
def reconcile_pass(operation) -> list[Step]:
    return [Step(_("Reconcile the cluster"), _pass)]


def close_abandoned_passes(now=None) -> int:
    """Pass rows still `running` whose worker process is gone (killed mid-pass): closed as
    failed with the reason, so the admin page does not show a pass that will never end. The
    next pass (or the resumed operation) does the work again."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.K2_OPERATION_LEASE_SECONDS)
    closed = 0
    running = ReconcilePass.objects.filter(status=PassStatus.RUNNING, started_at__lt=now - grace)
    for row in running.only("pk", "worker")[:200]:
        if liveness.is_alive(row.worker):
            continue
        closed += ReconcilePass.objects.filter(pk=row.pk, status=PassStatus.RUNNING).update(
            status=PassStatus.FAILED, finished_at=now,
            error=gettext("The worker running this pass stopped; the next pass does its work."),
        )  # fmt: skip
    return closed
