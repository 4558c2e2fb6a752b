"""In Chromium: a space owner opens the event center of the space, filters Warnings, and
creates an alert rule (with a webhook sink) for OOM kills."""

from pathlib import Path

import pytest

from apps.events.models import AlertRule
from tests.conftest import sign_in
from tests.events.test_portal_api import _event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def test_owner_filters_warnings_and_creates_an_alert_rule(
    page, cluster, space, app, alice, settings
):
    settings.K2_EVENTS_WEBHOOK_ALLOWLIST = ["127.0.0.1"]
    _event(cluster, space, app, reason="OOMKilled", count=4)
    _event(cluster, space, app, reason="BackOff", count=12, name="shop-1")
    _event(cluster, space, app, reason="Started", type_="Normal", count=9)
    SHOTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "alice")
    page.click("[data-nav=events]")
    page.goto(f"/events/?space={space.slug}")
    assert page.locator("[data-testid=event-row]").count() == 3
    page.select_option("[data-testid=event-filters] select[name=type]", "Warning")
    with page.expect_navigation():
        page.click("[data-testid=event-filters] button[type=submit]")
    rows = page.locator("[data-testid=event-row]")
    assert rows.count() == 2
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.type)")) == {"Warning"}
    page.wait_for_function("document.getElementById('events-chart').height > 0")
    page.screenshot(path=str(SHOTS / "events-center.png"), full_page=True)

    page.click("[data-testid=alert-rules-link]")
    page.fill("[data-testid=sink-form] input[name=name]", "team hook")
    page.select_option("[data-testid=sink-form] select[name=space]", space.slug)
    page.select_option("[data-testid=sink-form] select[name=kind]", "webhook")
    page.fill("[data-testid=sink-form] input[name=target]", "http://127.0.0.1:9/hook")
    with page.expect_navigation():
        page.click("[data-testid=create-sink]")
    page.fill("[data-testid=rule-form] input[name=name]", "OOM x3")
    page.select_option("[data-testid=rule-form] select[name=space]", space.slug)
    page.fill("[data-testid=rule-form] input[name=reason]", "OOMKilled")
    page.fill("[data-testid=rule-form] input[name=threshold]", "3")
    page.check("[data-testid=rule-form] input[name=sinks]")
    with page.expect_navigation():
        page.click("[data-testid=create-rule]")
    page.wait_for_selector("[data-testid=rule-row][data-name='OOM x3']")
    rule = AlertRule.objects.get(name="OOM x3")
    assert rule.space == space and rule.threshold == 3 and rule.sinks.get().name == "team hook"
    page.screenshot(path=str(SHOTS / "events-rules.png"), full_page=True)
