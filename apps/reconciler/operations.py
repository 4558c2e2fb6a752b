"""The reconciler's operation kind: a full pass of one cluster, run under an operation lease.

The pass itself takes the cluster's lock (which dies with its worker, see locks.py) and
is idempotent: a pass resumed after a crash compares again and applies what is missing.
"""

from django.utils.translation import gettext_lazy as _

from apps.operations.registry import Step, register


def _pass(operation) -> dict:
    from django.conf import settings

    from apps.reconciler.services import run_pass
    from k2cloud.celery import TransientError

    wait = float(getattr(settings, "K2_RECONCILE_LOCK_WAIT", 30))
    row = run_pass(operation.params["cluster_id"], trigger=operation.params.get("trigger", "manual"),
                   wait=wait)  # fmt: skip
    if row is None:
        from apps.clusters.models import Cluster

        if Cluster.objects.filter(pk=operation.params["cluster_id"], enabled=True).exists():
            # Another live worker holds the cluster: wait our turn (retried, not failed).
            raise TransientError("the cluster is being reconciled by another pass")
        return {"pass": None}
    return {"pass": row.pk, "status": row.status, "applied": row.applied, "pruned": row.pruned}


@register("reconciler.pass", label=_("Reconcile pass"))
def reconcile_pass(operation) -> list[Step]:
    return [Step(_("Reconcile the cluster"), _pass)]
