"""The beat tasks through a real Celery worker process: drain, then roll up."""

import pytest
from django.utils import timezone

from apps.analytics import buffer
from apps.analytics.models import DailyUsage, UsageEvent
from tests.analytics.factories import push_all, request_event


@pytest.mark.django_db(transaction=True)
def test_a_worker_drains_the_queue_and_rolls_the_day_up(settings, celery_worker_process, alice):
    from workers.analytics import drain_events, rollup_recent

    settings.K2_ANALYTICS_QUEUE_KEY = buffer.QUEUE_KEY  # the worker's (default) queue
    buffer.client().delete(buffer.QUEUE_KEY)
    push_all(request_event(alice, "spaces.browse", timezone.now()) for _ in range(7))
    buffer.flush()
    assert drain_events.delay().get(timeout=30) == 7
    assert rollup_recent.delay().get(timeout=30)[-1] == timezone.localdate().isoformat()
    assert UsageEvent.objects.filter(user=alice).count() == 7
    assert DailyUsage.objects.get(user=alice, day=timezone.localdate()).requests == 7
    assert drain_events.delay().get(timeout=30) == 0  # a second run finds nothing to do
