"""In Chromium on daphne: a developer opens a terminal from the app's pod list, types into
xterm.js and sees the output; a platform admin finds the session by a command it ran and
replays its recording with asciinema-player."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.conftest import PASSWORD as PASSWORD_OF
from tests.conftest import _polling_wait_for_function, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username):
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD_OF)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=user-menu]")


def test_type_in_a_terminal_then_an_admin_replays_it(target, dev, admin_user, daphne_url, chromium):
    # daphne runs with the real password hashers (the tests' fast one is this process's).
    for user in (dev, admin_user):
        hasher = PBKDF2PasswordHasher()
        user.password = hasher.encode(PASSWORD_OF, hasher.salt())
        user.save(update_fields=["password"])
    context = chromium.new_context(base_url=daphne_url, locale="en-US",
                                   viewport={"width": 1280, "height": 900})  # fmt: skip
    context.set_default_timeout(20_000)
    violations = watch_csp(context)
    page = context.new_page()
    try:
        _sign_in(page, "devon")
        page.goto(f"/apps/{target['space'].slug}/web/?tab=pods")
        page.click("[data-testid=pod-terminal]")
        with context.expect_page() as opened:
            page.click("[data-testid=pod-terminal-web-sh]")
        term = opened.value
        term.wait_for_function = _polling_wait_for_function(term)
        term.wait_for_selector("[data-testid=terminal][data-state=connected]")
        term.click("[data-testid=terminal]")
        term.keyboard.type("echo $((6*7))")
        term.keyboard.press("Enter")
        term.wait_for_function("document.querySelector('.xterm-rows').textContent.includes('42')")
        term.screenshot(path="var/screenshots/terminal-session.png")
        term.keyboard.type("exit")
        term.keyboard.press("Enter")
        term.wait_for_selector("[data-testid=terminal][data-state=closed]")
        assert "The shell exited with status 0." in term.inner_text("[data-testid=terminal-status]")

        admin = context.new_page()
        admin.wait_for_function = _polling_wait_for_function(admin)
        context.clear_cookies()
        _sign_in(admin, "root")
        admin.goto("/terminal/sessions/")
        admin.fill("[data-testid=session-search]", "6*7")
        admin.click("[data-testid=session-filter-submit]")
        admin.wait_for_selector("[data-testid=session-row]")
        assert admin.locator("[data-testid=session-row]").count() == 1
        admin.click("[data-testid=session-row] a")
        commands = admin.locator("[data-testid=command] code").all_inner_texts()
        assert commands == ["echo $((6*7))", "exit"]
        admin.wait_for_selector("[data-testid=replay] .ap-player")
        admin.click("[data-testid=replay] .ap-play-button")  # the player's big play button
        admin.wait_for_function(
            "document.querySelector('[data-testid=replay]').textContent.includes('42')"
        )
        admin.screenshot(path="var/screenshots/terminal-replay.png", full_page=True)
    finally:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
