"""Real Chromium: an approver approves a pending request from the inbox with a comment,
and the requester sees it approved."""

import pytest

from tests.approvals.factories import submit
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_approver_approves_from_the_inbox_and_the_requester_sees_it(
    page, workflow, handlers, alice, bob
):
    request = submit(alice, reason="Load test before the launch")

    sign_in(page, "bob")
    page.click("[data-testid=main-nav] [data-nav=approvals]")
    row = page.locator(f"[data-testid=approval-row][data-request-id='{request.pk}']")
    row.wait_for()
    assert page.locator("[data-testid=inbox-count]").inner_text() == "1"
    row.locator("[data-testid=approval-open]").click()
    page.wait_for_selector("[data-testid=decision-form]")
    assert "Load test before the launch" in page.inner_text("[data-testid=request-history]")
    page.fill("[data-testid=decision-comment]", "Go ahead, keep it small")
    page.click("[data-testid=decision-approve]")
    page.wait_for_selector("[data-testid=request-state]:has-text('approved')")
    assert page.locator("[data-testid=decision-form]").count() == 0
    assert "Go ahead, keep it small" in page.inner_text("[data-testid=step-timeline]")
    page.click("[data-testid=user-menu] > a")
    page.click("[data-testid=sign-out]")
    page.wait_for_selector("input[name=username]")

    sign_in(page, "alice")
    page.goto("/approvals/?tab=mine")
    mine = page.locator(f"[data-testid=approval-row][data-request-id='{request.pk}']")
    assert mine.locator("[data-testid=state]").inner_text() == "approved"
    assert "was approved" in page.locator("[data-testid=notification]").first.inner_text()
    mine.locator("[data-testid=approval-open]").click()
    page.wait_for_selector("[data-testid=request-state]:has-text('approved')")
    assert "bob" in page.inner_text("[data-testid=request-history]")
    assert "Go ahead, keep it small" in page.inner_text("[data-testid=request-history]")
    assert handlers.approved[request.pk] == 1
