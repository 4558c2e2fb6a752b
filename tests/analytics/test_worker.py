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


@pytest.mark.django_db(transaction=True)
def test_today_follows_the_drain_within_its_max_age(settings, alice):
    """The dashboard's today moves with each drain (not only every rollup interval)."""
    from datetime import timedelta

    from apps.analytics.models import RollupRun
    from workers.analytics import drain_events

    settings.K2_ANALYTICS_TODAY_MAX_AGE = 60
    buffer.client().delete(settings.K2_ANALYTICS_QUEUE_KEY)
    push_all(request_event(alice, "spaces.browse", timezone.now()) for _ in range(3))
    assert drain_events() == 3
    assert DailyUsage.objects.get(user=alice, day=timezone.localdate()).requests == 3
    push_all(request_event(alice, "spaces.browse", timezone.now()) for _ in range(2))
    assert drain_events() == 2  # today's rollup is seconds old: left as it is
    assert DailyUsage.objects.get(user=alice, day=timezone.localdate()).requests == 3
    RollupRun.objects.filter(day=timezone.localdate()).update(
        computed_at=timezone.now() - timedelta(seconds=61)
    )
    push_all(request_event(alice, "spaces.browse", timezone.now()) for _ in range(1))
    assert drain_events() == 1
    assert DailyUsage.objects.get(user=alice, day=timezone.localdate()).requests == 6
