"""Chromium: an analyst opens the dashboard and sees the charts drawn with data."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.analytics.services import do_drain_events, do_rollup_day
from tests.analytics.factories import (
    domain_event,
    make_app,
    make_cluster,
    make_decided_request,
    make_space,
    push_all,
    request_event,
)
from tests.conftest import sign_in

CHARTS = [
    "chart-active-users",
    "chart-top-features",
    "chart-feature-trend",
    "chart-lifecycle",
    "chart-approvals",
    "chart-apps",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_analyst_sees_the_charts_drawn_with_data(page, dana, alice, bob):
    now = timezone.now()
    cluster = make_cluster("test-1", "test")
    space = make_space("shop-test", "test", cluster, alice)
    make_app(space, "web", cluster)
    make_decided_request(bob, "quota.raise", hours=3, decided_at=now - timedelta(hours=1))
    push_all(
        [
            *[request_event(alice, "spaces.create", now - timedelta(days=d), space="shop-test")
              for d in range(5)],
            *[request_event(bob, "approvals.decide", now - timedelta(days=d)) for d in range(3)],
            domain_event("space.renewed", now - timedelta(days=1), environment="test", user=alice),
        ]
    )  # fmt: skip
    do_drain_events()
    for back in range(6):
        do_rollup_day(timezone.localdate() - timedelta(days=back))

    sign_in(page, "dana")
    page.goto("/analytics/")
    page.wait_for_selector("body[data-analytics-ready='1']")
    assert page.get_by_test_id("kpi-mau").inner_text() == "2"
    drawn = page.evaluate(
        """(ids) => ids.map((id) => {
            const chart = Chart.getChart(document.getElementById(id));
            if (!chart) return [id, 0, 0];
            const sets = chart.data.datasets;
            return [id, sets.length, sets.reduce((n, s) => n + s.data.filter((v) => v > 0).length, 0)];
        })""",
        CHARTS,
    )
    for chart_id, datasets, non_zero in drawn:
        assert datasets > 0, chart_id
        assert non_zero > 0, chart_id
    assert page.get_by_test_id("table-users").get_by_text("alice").is_visible()
    assert page.locator("[data-testid=csv-users]").get_attribute("href").endswith("format=csv")
