"""The one way services queue background work: Celery tasks named, never imported.

    enqueue_on_commit("workers.reconcile.reconcile_app", app.pk)   # inside the transaction
    enqueue("workers.reconcile.reconcile_space", space.pk, countdown=1, queue=BULK)

Naming the task (Celery's `send_task`) keeps apps/ free of imports of workers/ (which
import the services back): no import cycle, no function-local imports to dodge one.
Tests capture what was queued by replacing `send`.

Each task name has its queue (k2cloud/queues.py: interactive, bulk, notify); `queue=`
overrides it for one message, e.g. a rollout's follow-up looks go to `bulk` so they
never stand between the next person and their change.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from k2cloud.celery import app as celery_app
from k2cloud.queues import ALL as QUEUES
from k2cloud.queues import BULK, INTERACTIVE, NOTIFY


def send(name: str, args: tuple, kwargs: dict, options: dict) -> None:
    """Publish one task message (the seam tests replace to run or capture tasks)."""
    celery_app.send_task(name, args=args, kwargs=kwargs, **options)


def enqueue(name: str, *args: Any, countdown: float | None = None,
            expires: float | None = None, retry: bool | None = None,
            queue: str | None = None, **kwargs: Any) -> None:  # fmt: skip
    """Queue task `name` now (callers outside a transaction, or tasks re-queueing).
    `countdown` / `expires` in seconds; `retry=False`: fail at once without a broker;
    `queue`: one of QUEUES instead of the task's route (CELERY_TASK_ROUTES)."""
    if queue is not None and queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}: one of {', '.join(QUEUES)}")
    options: dict[str, Any] = {}
    for option, value in (("countdown", countdown), ("expires", expires), ("retry", retry),
                          ("queue", queue)):  # fmt: skip
        if value is not None:
            options[option] = value
    send(name, args, kwargs, options)


def enqueue_on_commit(name: str, *args: Any, robust: bool = False, **kwargs: Any) -> None:
    """Queue task `name` once the current transaction commits (never for a rolled-back
    change). `robust`: a failure to publish is logged, not raised to the committer."""
    transaction.on_commit(lambda: enqueue(name, *args, **kwargs), robust=robust)


__all__ = ["BULK", "INTERACTIVE", "NOTIFY", "QUEUES", "enqueue", "enqueue_on_commit", "send"]
