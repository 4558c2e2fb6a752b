"""What other apps call to ask for a targeted reconcile once their change is committed.

from apps.reconciler.hooks import reconcile_app_on_commit, reconcile_space_on_commit
reconcile_app_on_commit(app.pk)       # inside the service's transaction
"""

from django.db import transaction


def reconcile_app_on_commit(app_id: int) -> None:
    def send():
        from workers.reconcile import reconcile_app

        reconcile_app.delay(app_id)

    transaction.on_commit(send)


def reconcile_space_on_commit(space_id: int) -> None:
    def send():
        from workers.reconcile import reconcile_space

        reconcile_space.delay(space_id)

    transaction.on_commit(send)
