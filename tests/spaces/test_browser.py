"""In Chromium: an employee requests a production space, an approver approves it from the
inbox, and the employee sees it active, with its namespace in the k2sim prod cluster."""

import time

import pytest

from apps.accounts.roles import Role
from tests.approvals.factories import make_workflow
from tests.conftest import make_user, sign_in
from tests.spaces.conftest import namespaces

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page):
    page.click("[data-testid=user-menu] > a")
    page.click("[data-testid=sign-out]")
    page.wait_for_selector("input[name=username]")


def test_request_approve_and_use_a_production_space(
    page, django_user_model, prod_cluster, test_cluster, sim, celery_worker_process
):
    make_workflow("space.create.prod", {"approvers": "approver", "quorum": "any"})
    make_user(django_user_model, "alice", Role.EMPLOYEE)
    make_user(django_user_model, "bob", Role.EMPLOYEE, Role.APPROVER)

    # 1. Alice asks for a production space, with a reason.
    sign_in(page, "alice")
    page.goto("/spaces/")
    page.click("[data-testid=space-create]")
    page.select_option("select[name=environment]", "prod")
    page.fill("input[name=slug]", "storefront")
    page.select_option("select[name=cluster]", "prod-1")
    page.fill("input[name=display_name]", "Storefront")
    page.fill("textarea[name=reason]", "The storefront goes live next week.")
    page.click("[data-testid=space-create-submit]")
    page.wait_for_selector("[data-testid=space-state][data-state=pending-approval]")
    assert "is waiting for approval" in page.content()
    sign_out(page)

    # 2. Bob approves it from his inbox.
    sign_in(page, "bob")
    page.goto("/approvals/")
    row = page.locator("[data-testid=approval-row]").first
    row.locator("[data-testid=approval-open]").click()
    page.fill("[data-testid=decision-comment]", "Approved for the launch.")
    page.click("[data-testid=decision-approve]")
    page.wait_for_selector("[data-testid=request-state]")
    assert "approved" in page.inner_text("[data-testid=request-state]").lower()
    sign_out(page)

    # 3. Alice sees it active; the namespace exists in the prod cluster.
    sign_in(page, "alice")
    deadline = time.monotonic() + 45
    while True:
        page.goto("/spaces/storefront/")
        state = page.get_attribute("[data-testid=space-state]", "data-state")
        if state == "active" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert state == "active"
    assert "Approved for the launch." in page.inner_text("[data-testid=space-requests]")
    page.wait_for_selector("[data-testid=usage-prod-1]")
    assert namespaces(sim["prod"], "storefront") == ["storefront"]
