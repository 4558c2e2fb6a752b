"""In Chromium: a developer creates an app through the form, watches it roll out live
(HTMX polling, no reload), and scales it; a real Celery worker applies it to k2sim."""

import pytest

from apps.workloads.models import App
from tests.conftest import sign_in
from tests.workloads.conftest import IMAGE, ready_pods

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_developer_creates_watches_and_scales_an_app(page, sim, space, dev, celery_worker_process):
    sign_in(page, "devon")
    page.goto(f"/apps/{space.slug}/")
    page.click("[data-testid=app-create]")
    page.wait_for_selector("[data-testid=app-form]")

    # Inline validation while typing: a bad image is flagged before submitting.
    page.fill("input[name=image]", "nginx")
    page.locator("input[name=image]").dispatch_event("change")
    page.wait_for_selector("[data-testid=error-image]")
    page.fill("input[name=name]", "storefront")
    page.fill("input[name=image]", IMAGE)
    page.locator("input[name=image]").dispatch_event("change")
    page.wait_for_selector("[data-testid=error-image]", state="detached")
    page.fill("textarea[name=ports]", "http 8080")
    page.fill("input[name=ingress_host]", "storefront.k2.test")
    page.click("[data-testid=app-submit]")

    # The detail page follows the rollout without a reload.
    page.wait_for_url(f"**/apps/{space.slug}/storefront/")
    live = page.locator("[data-testid=app-live-status]")
    live.wait_for()
    page.wait_for_selector("[data-testid=app-live-status][data-phase=running]", timeout=30_000)
    assert "1/1 ready" in page.inner_text("[data-testid=app-ready]")

    page.fill("[data-testid=scale-replicas]", "3")
    page.click("[data-testid=scale-submit]")
    page.wait_for_selector("text=Scaling to 3 replicas.")
    page.wait_for_function(
        "document.querySelector('[data-testid=app-ready]')?.innerText.includes('3/3 ready')",
        timeout=30_000,
    )
    assert App.objects.get(name="storefront").replicas == 3
    assert len(ready_pods(sim, "wl-test", space.namespace, "storefront")) == 3
