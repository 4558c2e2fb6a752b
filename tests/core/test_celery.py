"""A Celery task executed by a real worker process through the embedded Redis."""

import pytest

from apps.core.request_context import set_request_id
from workers.diagnostics import ping


def test_real_worker_runs_a_task_and_inherits_the_request_id(celery_worker_process):
    set_request_id("req-celery-0001")
    try:
        result = ping.delay("hello")
    finally:
        set_request_id(None)
    value = result.get(timeout=30)
    assert value["pong"] == "hello"
    assert value["request_id"] == "req-celery-0001"


def test_task_defaults_are_safe():
    from django.conf import settings

    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert ping.acks_late is True
    assert ping.retry_backoff is True and ping.max_retries == 5
    assert settings.CELERY_TASK_TIME_LIMIT > settings.CELERY_TASK_SOFT_TIME_LIMIT > 0


pytestmark = pytest.mark.django_db(transaction=True)
