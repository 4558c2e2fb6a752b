"""Real Chromium: a platform admin filters the audit log and opens an event's diff."""

import pytest

from apps.audit.actors import Actor
from tests.audit.factories import make_event
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_filters_the_audit_log_and_opens_the_diff(page, admin_user, alice):
    make_event("space.create", actor=Actor.for_user(alice), space=("team-a", "Team A"))
    make_event("token.create", actor=Actor.for_user(alice))
    target = make_event(
        "cluster.policy.update",
        actor=Actor.for_user(admin_user),
        target=("clusters.cluster", 3, "prod-east"),
        cluster=("3", "prod-east"),
        changes={
            "memory_overcommit": {"before": "2.0", "after": "1.0"},
            "kubeconfig": {"before": "old-secret", "after": "new-secret"},
        },
    )
    sign_in(page, "root")
    page.click("[data-testid=main-nav] [data-nav=audit]")
    page.wait_for_selector("[data-testid=audit-table]")
    assert page.locator("[data-testid=audit-row]").count() >= 3

    page.fill("input[name=action]", "cluster.")
    page.select_option("select[name=outcome]", "succeeded")
    page.click("[data-testid=audit-filter-submit]")
    rows = page.locator("[data-testid=audit-row]")
    rows.first.wait_for()
    page.wait_for_function("document.querySelectorAll('[data-testid=audit-row]').length === 1")
    assert "action=cluster." in page.url  # HTMX pushed the filtered address
    assert rows.first.get_attribute("data-event-id") == str(target.pk)

    rows.first.locator("[data-testid=audit-detail-link]").click()
    diff = page.locator("[data-testid=audit-diff]")
    diff.wait_for()
    text = diff.inner_text()
    assert "memory_overcommit" in text and "2.0" in text and "1.0" in text
    assert "[redacted]" in text and "secret" not in text.replace("[redacted]", "")
    assert page.locator("[data-testid=audit-event] [data-testid=outcome]").inner_text() == (
        "succeeded"
    )
