"""The Celery app: JSON only, late acks, time limits and retries with backoff by default.

Tasks live in workers/<topic>.py and stay thin: take ids, load rows, call one service.
The request id of the web request that enqueued a task travels in the task headers, so
audit events written by the task carry it too (apps/core/request_context.py).
"""

import os
import pkgutil

from celery import Celery, Task, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k2cloud.settings")


class TransientError(Exception):
    """A failure worth retrying (a cluster timeout, a lock held elsewhere)."""


class K2Task(Task):
    """Default task class: retry transient failures with jittered exponential backoff."""

    autoretry_for = (TransientError,)
    retry_backoff = True
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5
    acks_late = True


app = Celery("k2cloud", task_cls=K2Task)
app.config_from_object("django.conf:settings", namespace="CELERY")


def _task_modules() -> list[str]:
    """Every module of the workers/ package: a new workers/<topic>.py needs no registration."""
    import workers

    return [f"workers.{m.name}" for m in pkgutil.iter_modules(workers.__path__)]


app.conf.imports = _task_modules()


@signals.before_task_publish.connect
def _send_request_id(headers=None, **_):
    from apps.core.request_context import get_request_id

    if headers is not None and get_request_id():
        headers.setdefault("k2_request_id", get_request_id())


@signals.task_prerun.connect
def _receive_request_id(task=None, **_):
    from apps.core.request_context import set_request_id

    set_request_id(getattr(task.request, "k2_request_id", None) if task else None)
