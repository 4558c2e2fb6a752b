"""The CSP watch every browser test runs under can fail: an inline handler is reported."""

import pytest

from tests.conftest import sign_in, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_csp_watch_reports_an_inline_handler(chromium, live_server, alice):
    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    violations = watch_csp(context)
    page = context.new_page()
    try:
        sign_in(page, "alice")
        assert violations == []  # the portal itself passes
        page.evaluate(
            """document.body.insertAdjacentHTML('beforeend',
               '<img src="data:," onerror="document.title = 1" data-testid="evil">')"""
        )
        page.wait_for_timeout(300)
        assert any("script-src" in v for v in violations), violations
        assert page.title() != "1"  # and the handler did not run
    finally:
        context.close()
