"""Domain events: the registry, emit() on commit, and the events emitted from signals."""

import pytest
from django.db import transaction

from apps.analytics.events import emit, register_event, registered_events
from apps.analytics.models import UsageEvent
from apps.audit.actors import Actor

pytestmark = pytest.mark.django_db

ISSUE_EVENTS = {
    "space.created", "space.renewed", "space.expired", "app.deployed", "app.scaled",
    "app.cloned", "app.canary_promoted", "request.submitted", "request.decided",
    "cluster.registered",
}  # fmt: skip


def test_the_issue_events_are_registered():
    assert set(registered_events()) >= ISSUE_EVENTS


def test_unknown_names_fail_loudly(alice):
    with pytest.raises(ValueError, match="unknown analytics event"):
        emit("space.creatd", actor=alice)


def test_emit_writes_the_event_in_the_callers_transaction(alice):
    from tests.analytics.factories import make_cluster, make_space

    space = make_space("shop", "test", make_cluster("test-1", "test"), alice)
    with transaction.atomic():
        event = emit("app.scaled", actor=alice, space=space, app="web", replicas=3)
    event = UsageEvent.objects.get(pk=event.pk, feature="app.scaled")
    assert (event.kind, event.user, event.space_slug, event.environment) == (
        "domain",
        alice,
        "shop",
        "test",
    )
    assert event.props == {"app": "web", "replicas": 3}
    assert event.forward_state == "off"


def test_a_rolled_back_change_emits_nothing(alice):
    try:
        with transaction.atomic():
            emit("app.deployed", actor=alice, app="web")
            raise RuntimeError("the service failed")
    except RuntimeError:
        pass
    assert not UsageEvent.objects.filter(feature="app.deployed").exists()


def test_excluded_people_emit_nothing(alice, bob):
    from apps.analytics.services import do_exclude_user

    do_exclude_user(alice, actor=Actor.for_user(alice))
    assert emit("app.deployed", actor=alice, app="web") is None
    assert emit("app.deployed", actor=bob, app="web") is not None


def test_emit_adds_no_on_commit_work(alice, django_capture_on_commit_callbacks):
    """Other apps' tests count their services' on-commit callbacks: emit must add none."""
    with django_capture_on_commit_callbacks() as callbacks:
        emit("app.deployed", actor=alice, app="web")
    assert callbacks == []


def test_signals_emit_created_registered_submitted_and_expired(alice, bob):
    from django.utils import timezone

    from apps.spaces.models import SpaceTransition
    from tests.analytics.factories import make_cluster, make_decided_request, make_space

    cluster = make_cluster("test-1", "test")
    space = make_space("shop", "test", cluster, alice)
    make_decided_request(bob, "quota.raise", hours=1, decided_at=timezone.now())
    SpaceTransition.objects.create(space=space, from_state="expiring", to_state="expired",
                                   at=timezone.now())  # fmt: skip
    SpaceTransition.objects.create(space=space, from_state="active", to_state="expiring",
                                   at=timezone.now())  # fmt: skip
    events = {e.feature: (e.environment, e.user_id) for e in UsageEvent.objects.all()}
    assert events == {
        "cluster.registered": ("test", None),
        "space.created": ("test", alice.pk),
        "request.submitted": ("", bob.pk),
        "space.expired": ("test", None),
    }


def test_later_features_register_their_own_events():
    register_event("terminal.opened", "Terminal opened", version="1.1")
    assert registered_events()["terminal.opened"].version == "1.1"


def test_feature_registry_maps_routes_and_falls_back():
    from django.urls import resolve

    from apps.analytics import features
    from apps.analytics.features import feature_rule, register_features, resolve_feature

    assert resolve_feature(resolve("/approvals/5/decide/"), "POST") == "approvals.decide"
    assert resolve_feature(resolve("/api/v1/spaces/shop/renew/"), "POST") == "spaces.renew"
    assert resolve_feature(resolve("/api/v1/spaces/"), "POST") == "spaces.create"
    assert resolve_feature(resolve("/api/v1/apps/shop/web/canary/promote/"), "POST") == (
        "apps.canary_promote"
    )
    assert resolve_feature(resolve("/apps/shop/web/do/clone/"), "POST") == "apps.clone"
    register_features({"audit:export": "audit.download"})
    assert resolve_feature(resolve("/audit/export.csv"), "GET") == "audit.download"
    register_features({"audit:export": "audit.export"})

    @feature_rule("audit:detail")
    def _detail(match, method):
        return "audit.one_event"

    assert resolve_feature(resolve("/audit/3/"), "GET") == "audit.one_event"
    features._RULES.pop("audit:detail")


def test_emit_accepts_an_audit_actor(alice):
    from apps.analytics.events import build
    from apps.audit.actors import Actor

    assert build("space.renewed", actor=Actor.for_user(alice), props={})["user"] == alice.pk
    assert build("space.expired", actor=Actor.system("workers.spaces"), props={})["user"] is None
