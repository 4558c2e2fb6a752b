"""Real Chromium: each demo role signs in and sees the navigation of its role."""

import pytest

from apps.accounts.demo import ensure_demo_users
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "alice": ["Spaces", "Apps", "Events", "Approvals", "Clusters", "Terminals"],
    "carol": ["Spaces", "Apps", "Events", "Approvals", "Clusters"],
    "admin": [
        "Spaces",
        "Apps",
        "Events",
        "Approvals",
        "Clusters",
        "IPAM",
        "Registries",
        "Analytics",
        "Reconciler",
        "Audit",
        "Terminals",
    ],
    "dana": ["Spaces", "Apps", "Events", "Approvals", "Clusters", "Analytics"],
}


def test_each_demo_role_sees_its_navigation(page):
    passwords = ensure_demo_users({})
    for username, expected in EXPECTED.items():
        sign_in(page, username, passwords[username])
        nav = page.locator("[data-testid=main-nav] .nav-link-title").all_inner_texts()
        assert nav == expected, username
        page.click("[data-testid=user-menu] > a")
        page.click("[data-testid=sign-out]")
        page.wait_for_selector("input[name=username]")


def test_wrong_password_is_explained_in_the_browser(page):
    ensure_demo_users({})
    page.goto("/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "Wrong username or password" in page.inner_text("[data-testid=login-error]")
