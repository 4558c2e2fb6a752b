"""Rollups and every dashboard number for a generated dataset of known counts.

The dataset (three people, two spaces, three days over two weeks):
  D1 (a Monday): alice 3x spaces.create in shop-test, 1x apps.scale in shop-test (500);
                 bob 2x approvals.decide
  D2:            alice 1x spaces.browse; charlie 4x apps.view in pay-prod
  D3 (D1 + 8):   bob 1x spaces.browse
Domain events: space.created test x2 and prod x1 on D1, space.renewed test on D2,
space.expired test on D3. Approvals decided on D2: space.create.prod after 1, 2, 3 and
10 hours, quota.raise after 4 hours; a cancelled, a pending and an older one don't count.
Apps: two on test-1, one on both test-1 and prod-1.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.forms import Filters
from apps.analytics.models import DailyEventCount, DailyUsage, RollupRun, UsageEvent
from apps.analytics.services import do_rollup_day, do_rollup_recent
from tests.analytics.factories import (
    at,
    domain_event,
    make_app,
    make_cluster,
    make_decided_request,
    make_space,
    push_all,
    request_event,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(alice, bob, charlie, drain):
    today = timezone.localdate()
    base = today - timedelta(days=20)
    d1 = base - timedelta(days=base.weekday())
    d2, d3 = d1 + timedelta(days=1), d1 + timedelta(days=8)
    test_cluster, prod_cluster = make_cluster("test-1", "test"), make_cluster("prod-1", "prod")
    shop = make_space("shop-test", "test", test_cluster, alice)
    pay = make_space("pay-prod", "prod", prod_cluster, charlie)
    make_app(shop, "web", test_cluster)
    make_app(shop, "worker", test_cluster)
    make_app(pay, "api", test_cluster, prod_cluster)

    events = [
        *[request_event(alice, "spaces.create", at(d1, 9), space="shop-test") for _ in range(3)],
        request_event(alice, "apps.scale", at(d1, 9), space="shop-test", status=500, ms=90),
        *[request_event(bob, "approvals.decide", at(d1, 11)) for _ in range(2)],
        request_event(alice, "spaces.browse", at(d2, 8)),
        *[request_event(charlie, "apps.view", at(d2, 23), space="pay-prod") for _ in range(4)],
        request_event(bob, "spaces.browse", at(d3, 0)),
        domain_event("space.created", at(d1), environment="test", user=alice),
        domain_event("space.created", at(d1), environment="test", user=bob),
        domain_event("space.created", at(d1), environment="prod", user=charlie),
        domain_event("space.renewed", at(d2), environment="test", user=alice),
        domain_event("space.expired", at(d3), environment="test"),
    ]
    push_all(events)
    assert drain() == len(events)

    decided = at(d2, 12)
    for hours in (1, 2, 3, 10):
        make_decided_request(bob, "space.create.prod", hours=hours, decided_at=decided)
    make_decided_request(bob, "quota.raise", hours=4, decided_at=decided, state="rejected")
    make_decided_request(bob, "quota.raise", hours=50, decided_at=decided, state="cancelled")
    make_decided_request(bob, "quota.raise", hours=50, decided_at=decided, state="pending")
    make_decided_request(bob, "quota.raise", hours=50, decided_at=at(d1 - timedelta(days=3)))

    for day in (d1, d2, d3):
        do_rollup_day(day)
    return {"d1": d1, "d2": d2, "d3": d3, "all": Filters(d1, d3), "test": Filters(d1, d3, "test")}


def _snapshot():
    usage = sorted(
        DailyUsage.objects.values_list(
            "day", "user_id", "feature", "space_slug", "environment", "requests", "errors",
            "latency_ms_total", "latency_ms_max",
        )
    )  # fmt: skip
    counts = sorted(DailyEventCount.objects.values_list("day", "name", "environment", "count"))
    return usage, counts


def test_drain_resolves_space_environments(dataset):
    assert set(
        UsageEvent.objects.filter(space_slug="shop-test").values_list("environment", flat=True)
    ) == {"test"}
    assert set(
        UsageEvent.objects.filter(space_slug="pay-prod").values_list("environment", flat=True)
    ) == {"prod"}


def test_rerunning_a_rollup_changes_nothing(dataset):
    before = _snapshot()
    runs = list(RollupRun.objects.values_list("day", "requests", "domain_events", "users"))
    for day in (dataset["d1"], dataset["d2"], dataset["d3"]):
        do_rollup_day(day)
        do_rollup_day(day)
    assert _snapshot() == before
    assert list(RollupRun.objects.values_list("day", "requests", "domain_events", "users")) == runs
    assert sorted(r[1] for r in runs) == [1, 5, 6]


def test_a_rollup_replaces_its_day(dataset, alice, drain):
    from tests.analytics.factories import push_all as push

    push([request_event(alice, "spaces.browse", at(dataset["d3"], 5))])
    drain()
    do_rollup_day(dataset["d3"])
    assert RollupRun.objects.get(day=dataset["d3"]).requests == 2
    UsageEvent.objects.filter(occurred_at__date=dataset["d3"], kind="request").delete()
    do_rollup_day(dataset["d3"])
    assert not DailyUsage.objects.filter(day=dataset["d3"]).exists()


def test_active_users(dataset):
    report = selectors.active_users(dataset["all"])
    by_day = {r["day"]: r for r in report["rows"]}
    d1, d2, d3 = (dataset[k].isoformat() for k in ("d1", "d2", "d3"))
    assert len(report["rows"]) == 9
    assert (by_day[d1]["dau"], by_day[d1]["wau"], by_day[d1]["mau"]) == (2, 2, 2)
    assert (by_day[d2]["dau"], by_day[d2]["wau"], by_day[d2]["mau"]) == (2, 3, 3)
    assert (by_day[d3]["dau"], by_day[d3]["wau"], by_day[d3]["mau"]) == (1, 1, 3)
    assert report["current"] == {"dau": 1, "wau": 1, "mau": 3}
    quiet = (dataset["d1"] + timedelta(days=4)).isoformat()
    assert (by_day[quiet]["dau"], by_day[quiet]["wau"]) == (0, 3)

    test_only = {r["day"]: r for r in selectors.active_users(dataset["test"])["rows"]}
    assert (test_only[d1]["dau"], test_only[d2]["dau"], test_only[d3]["mau"]) == (1, 0, 1)


def test_top_features_and_trend(dataset):
    report = selectors.top_features(dataset["all"])
    rows = [(r["feature"], r["requests"], r["users"], r["errors"]) for r in report["rows"]]
    assert rows == [
        ("apps.view", 4, 1, 0),
        ("spaces.create", 3, 1, 0),
        ("approvals.decide", 2, 1, 0),
        ("spaces.browse", 2, 2, 0),
        ("apps.scale", 1, 1, 1),
    ]
    assert report["rows"][-1]["mean_latency_ms"] == 90
    trend = {s["feature"]: s["data"] for s in report["trend"]["series"]}
    assert sum(trend["spaces.browse"]) == 2
    assert trend["spaces.create"][0] == 3
    assert trend["apps.view"][1] == 4
    assert len(report["trend"]["labels"]) == 9

    test_only = selectors.top_features(dataset["test"])["rows"]
    assert [(r["feature"], r["requests"]) for r in test_only] == [
        ("spaces.create", 3),
        ("apps.scale", 1),
    ]


def test_core_users(dataset):
    rows = selectors.core_users(dataset["all"])["rows"]
    assert [(r["rank"], r["user"], r["requests"], r["active_days"]) for r in rows] == [
        (1, "alice", 5, 2),
        (2, "charlie", 4, 1),
        (3, "bob", 3, 2),
    ]
    assert rows[0]["top_features"] == "spaces.create (3), apps.scale (1), spaces.browse (1)"
    assert rows[2]["top_features"] == "approvals.decide (2), spaces.browse (1)"
    assert rows[2]["last_active"] == dataset["d3"].isoformat()


def test_space_activity(dataset):
    rows = selectors.space_activity(dataset["all"])["rows"]
    assert [
        (r["space"], r["environment"], r["requests"], r["users"], r["errors"]) for r in rows
    ] == [("pay-prod", "prod", 4, 1, 0), ("shop-test", "test", 4, 1, 1)]
    assert [r["space"] for r in selectors.space_activity(dataset["test"])["rows"]] == ["shop-test"]


def test_approval_lead_times(dataset):
    rows = selectors.approval_lead_times(dataset["all"])["rows"]
    assert [(r["workflow"], r["decided"], r["median_hours"], r["p90_hours"]) for r in rows] == [
        ("quota.raise", 1, 4.0, 4.0),
        ("space.create.prod", 4, 2.5, 7.9),
    ]


def test_test_spaces_per_week(dataset):
    rows = selectors.space_lifecycle(dataset["all"])["rows"]
    assert rows == [
        {"week": dataset["d1"].isoformat(), "created": 2, "renewed": 1, "expired": 0},
        {"week": (dataset["d1"] + timedelta(days=7)).isoformat(), "created": 0, "renewed": 0,
         "expired": 1},
    ]  # fmt: skip
    prod = selectors.space_lifecycle(Filters(dataset["d1"], dataset["d3"], "prod"))["rows"]
    assert [r["created"] for r in prod] == [1, 0]


def test_apps_per_cluster_and_environment(dataset):
    report = selectors.apps_per_cluster(dataset["all"])
    assert [(r["cluster"], r["environment"], r["apps"]) for r in report["rows"]] == [
        ("prod-1", "prod", 1),
        ("test-1", "test", 3),
    ]
    assert report["by_environment"] == {"prod": 1, "test": 3}
    test_only = selectors.apps_per_cluster(dataset["test"])["rows"]
    assert [r["cluster"] for r in test_only] == ["test-1"]


def test_domain_event_counts(dataset):
    rows = selectors.domain_events(dataset["all"])["rows"]
    assert [(r["event"], r["count"]) for r in rows] == [
        ("space.created", 3),
        ("space.expired", 1),
        ("space.renewed", 1),
    ]
    assert rows[0]["label"] == "Space created"


def test_rollup_recent_covers_today_and_yesterday(alice, drain):
    now = timezone.now()
    push_all(
        [request_event(alice, "home", now), request_event(alice, "home", now - timedelta(days=1))]
    )
    drain()
    assert do_rollup_recent(now) == [
        (timezone.localdate(now) - timedelta(days=1)).isoformat(),
        timezone.localdate(now).isoformat(),
    ]
    assert DailyUsage.objects.filter(feature="home").count() == 2


def test_days_past_raw_retention_keep_their_rollup(settings, alice, drain):
    settings.K2_ANALYTICS_RETENTION_DAYS = 10
    old = timezone.localdate() - timedelta(days=20)
    DailyUsage.objects.create(day=old, user=alice, feature="home", source="portal", requests=7)
    do_rollup_day(old)  # the raw events are gone: recomputing would wipe the day
    assert DailyUsage.objects.get(day=old).requests == 7
