"""Retention purge, opting people out, and what the forwarder still holds back."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.analytics.choices import ForwardState
from apps.analytics.models import AnalyticsOptOut, DailyUsage, UsageEvent
from apps.analytics.services import do_exclude_user, do_include_user, do_purge_expired
from apps.audit.actors import Actor

pytestmark = pytest.mark.django_db


def _event(user, days_ago: int, state=ForwardState.OFF):
    return UsageEvent.objects.create(
        kind="request", occurred_at=timezone.now() - timedelta(days=days_ago), user=user,
        feature="home", source="portal", forward_state=state,
    )  # fmt: skip


def test_retention_purges_old_raw_events_and_old_rollups(settings, alice):
    settings.K2_ANALYTICS_RETENTION_DAYS = 30
    settings.K2_ANALYTICS_ROLLUP_RETENTION_DAYS = 365
    keep, old, waiting = (
        _event(alice, 5),
        _event(alice, 40),
        _event(alice, 40, ForwardState.PENDING),
    )
    today = timezone.localdate()
    for days in (10, 400):
        DailyUsage.objects.create(day=today - timedelta(days=days), user=alice, feature="home",
                                  source="portal", requests=1)  # fmt: skip
    result = do_purge_expired()
    assert result == {"raw": 1, "daily_usage": 1, "daily_events": 0}
    assert set(UsageEvent.objects.values_list("id", flat=True)) == {keep.id, waiting.id}
    assert DailyUsage.objects.get().day == today - timedelta(days=10)
    assert not UsageEvent.objects.filter(id=old.id).exists()


def test_people_may_opt_themselves_out_and_their_history_is_forgotten(alice, bob):
    from apps.audit.models import AuditEvent

    _event(alice, 1)
    _event(bob, 1)
    DailyUsage.objects.create(day=timezone.localdate(), user=alice, feature="home",
                              source="portal", requests=1)  # fmt: skip
    with pytest.raises(PermissionDenied):
        do_exclude_user(alice, actor=Actor.for_user(bob))
    do_exclude_user(alice, actor=Actor.for_user(alice), reason="privacy")
    assert AnalyticsOptOut.objects.filter(user=alice).exists()
    assert list(UsageEvent.objects.values_list("user_id", flat=True)) == [bob.pk]
    assert not DailyUsage.objects.filter(user=alice).exists()
    assert AuditEvent.objects.filter(action="analytics.user.exclude").count() == 1
    do_include_user(alice, actor=Actor.for_user(alice))
    assert not AnalyticsOptOut.objects.exists()


def test_platform_admins_may_opt_others_out(alice, admin_user):
    do_exclude_user(alice, actor=Actor.for_user(admin_user))
    assert AnalyticsOptOut.objects.filter(user=alice).exists()
