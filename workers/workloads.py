"""App tasks: apply an app to its clusters, remove a deleted app. Thin and idempotent."""

from contextlib import contextmanager

from celery import shared_task
from django.conf import settings

from k2cloud.celery import TransientError


@contextmanager
def _app_lock(app_id: int):
    """One apply or delete per app at a time; a second one is retried later (it will apply
    the newest state), never run concurrently where its prune could undo the other's work."""
    from apps.operations.locks import OwnedLock

    seconds = int(getattr(settings, "K2_WORKLOADS_APPLY_LOCK_SECONDS", 300))
    lock = OwnedLock(f"k2:workloads:lock:{app_id}", max_seconds=seconds)
    if not lock.acquire(wait=5):
        raise TransientError(f"app {app_id} is being applied by another task")
    try:
        yield
    finally:
        lock.release()


@shared_task(name="workers.workloads.apply_app", bind=True)
def apply_app(self, app_id: int, generation: int | None = None) -> dict | None:
    """Apply the app's current desired state (`generation` is informational: a newer
    state is applied if one was saved meanwhile, and an older task finds nothing new)."""
    from apps.workloads.apply import apply_app as apply

    with _app_lock(app_id):
        return apply(app_id)


@shared_task(name="workers.workloads.delete_app", bind=True)
def delete_app(self, app_id: int) -> dict | None:
    """Remove a deleting app's objects from every cluster, then its row; retried while a
    cluster fails."""
    from apps.workloads.apply import delete_app as delete

    with _app_lock(app_id):
        result = delete(app_id)
    if result and result["errors"]:
        raise TransientError("; ".join(result["errors"]))
    return result
