"""In Chromium on daphne: an owner opens an app's logs from its page, sees lines arrive,
pauses them and highlights a search within the loaded lines."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.conftest import PASSWORD, _polling_wait_for_function, sign_in, watch_csp
from tests.podlogs.conftest import RATE, make_app, make_pod

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINES = "document.querySelectorAll('[data-testid=logs] .k2-log-text').length"


def test_an_owner_follows_pauses_and_searches_an_apps_logs(space, clusters, sim, alice,
                                                          daphne_url, chromium):  # fmt: skip
    make_app(space, clusters["wl-test"])
    make_pod(sim, "wl-test", space.namespace, "web", "web-0", annotations={RATE: "20"})
    hasher = PBKDF2PasswordHasher()  # daphne runs with the real password hashers
    alice.password = hasher.encode(PASSWORD, hasher.salt())
    alice.save(update_fields=["password"])
    context = chromium.new_context(base_url=daphne_url, locale="en-US",
                                   viewport={"width": 1280, "height": 900})  # fmt: skip
    context.set_default_timeout(20_000)
    violations = watch_csp(context)
    page = context.new_page()
    page.wait_for_function = _polling_wait_for_function(page)
    try:
        sign_in(page, "alice")
        page.goto(f"/apps/{space.slug}/web/")
        page.click("[data-testid=tab-logs]")
        page.wait_for_function(f"{LINES} >= 10")  # the tail, then followed lines
        first = page.inner_text("[data-testid=logs] .k2-log-line")
        assert first.startswith("web-0/web") and "request id=" in first
        page.wait_for_function(f"{LINES} >= 30")
        page.click("[data-testid=logs-pause]")
        page.wait_for_selector("[data-testid=logs-pause][data-paused=true]")
        assert "Paused" in page.inner_text("[data-testid=logs-status]")
        page.fill("[data-testid=logs-search]", "path=/healthz")
        page.wait_for_selector("[data-testid=logs] mark")
        assert page.locator("[data-testid=logs] mark").first.is_visible()
        assert page.locator("[data-testid=logs] mark").first.inner_text() == "path=/healthz"
        assert "matches" in page.inner_text("[data-testid=logs-matches]")
        page.screenshot(path="var/screenshots/logs-paused-search.png")
        page.click("[data-testid=logs-pause]")
        page.wait_for_selector("[data-testid=logs-pause][data-paused=false]")
    finally:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
