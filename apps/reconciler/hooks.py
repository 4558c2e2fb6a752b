"""What other apps' services call to have their change reach the clusters: a targeted
reconcile pass queued once the change is committed (never for a rolled-back one).

from apps.reconciler.hooks import reconcile_app_on_commit, reconcile_space_on_commit
reconcile_app_on_commit(app.pk)       # inside the service's transaction
"""

from apps.core.tasks import enqueue_on_commit


def reconcile_app_on_commit(app_id: int) -> None:
    """Apply, prune or remove one app on its clusters and settle its status."""
    enqueue_on_commit("workers.reconcile.reconcile_app", app_id)


def reconcile_space_on_commit(space_id: int) -> None:
    """Provision, update or delete one space's own objects and settle its state."""
    enqueue_on_commit("workers.reconcile.reconcile_space", space_id)
