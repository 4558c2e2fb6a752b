"""The operations list and detail: API (paginated, filtered, scoped) and portal (English and
Chinese, empty state, HTMX progress polling, retry and cancel buttons)."""

import pytest

from apps.audit.actors import Actor
from apps.operations.models import Operation
from apps.operations.services import do_start_operation
from tests.conftest import api_as
from tests.operations.conftest import KIND

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(counting, sent, space, cluster, django_capture_on_commit_callbacks):
    """One operation in alice's space, one platform-wide (a cluster's), one failed."""
    with django_capture_on_commit_callbacks(execute=True):
        mine = do_start_operation(KIND, actor=Actor.system("tests"), space=space)
        platform = do_start_operation(KIND, actor=Actor.system("tests"), cluster=cluster)
        failed = do_start_operation(KIND, actor=Actor.system("tests"), space=space)
    Operation.objects.filter(pk=failed.pk).update(state="failed", error="RuntimeError: boom")
    return {"mine": mine, "platform": platform, "failed": failed}


def test_api_lists_what_each_person_may_see(ops, admin_user, alice, charlie):
    assert api_as(None).get("/api/v1/operations/").status_code in (401, 403)
    body = api_as(admin_user).get("/api/v1/operations/").json()
    assert body["count"] == 3 and {r["id"] for r in body["results"]} == {o.pk for o in ops.values()}
    body = api_as(alice).get("/api/v1/operations/").json()
    assert {r["id"] for r in body["results"]} == {ops["mine"].pk, ops["failed"].pk}
    assert body["results"][0]["space"] == "ops-space"
    assert api_as(charlie).get("/api/v1/operations/").json()["count"] == 0
    assert api_as(charlie).get(f"/api/v1/operations/{ops['mine'].pk}/").status_code == 404
    assert api_as(alice).get(f"/api/v1/operations/{ops['platform'].pk}/").status_code == 404


def test_api_filters_and_detail(ops, admin_user):
    api = api_as(admin_user)
    assert [r["id"] for r in api.get("/api/v1/operations/?state=failed").json()["results"]] == [
        ops["failed"].pk
    ]
    assert api.get("/api/v1/operations/?space=ops-space").json()["count"] == 2
    assert api.get(f"/api/v1/operations/?kind={KIND}").json()["count"] == 3
    detail = api.get(f"/api/v1/operations/{ops['failed'].pk}/").json()
    assert detail["state"] == "failed" and detail["error"] == "RuntimeError: boom"
    assert detail["kind_label"] == "Three steps" and detail["actor"] == "tests"


def test_api_retry_and_cancel(ops, admin_user, alice, bob, sent):
    failed = ops["failed"].pk
    response = api_as(bob).post(f"/api/v1/operations/{failed}/retry/")  # a viewer
    assert response.status_code == 403 and response.json()["message"]
    response = api_as(alice).post(f"/api/v1/operations/{failed}/retry/")
    assert response.status_code == 200 and response.json()["state"] == "queued"
    response = api_as(alice).post(f"/api/v1/operations/{failed}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    response = api_as(alice).post(f"/api/v1/operations/{failed}/cancel/")
    assert response.status_code == 409 and "cannot be cancelled" in response.json()["message"]


def test_portal_list_detail_and_polling(ops, client, alice):
    client.force_login(alice)
    html = client.get("/operations/").content.decode()
    assert html.count('data-testid="operation-row"') == 2
    assert 'hx-trigger="every 2s"' in html  # queued work: the list refreshes itself
    html = client.get("/operations/?state=failed").content.decode()
    assert html.count('data-testid="operation-row"') == 1
    page = client.get(f"/operations/{ops['failed'].pk}/").content.decode()
    assert "RuntimeError: boom" in page and 'data-testid="operation-retry"' in page
    assert 'hx-trigger="every 2s"' not in page  # final: no polling
    partial = client.get(f"/operations/{ops['mine'].pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert (
        partial.startswith('\n<div id="operation-progress"') or 'id="operation-progress"' in partial
    )
    assert "<html" not in partial and 'hx-trigger="every 2s"' in partial
    response = client.post(f"/operations/{ops['mine'].pk}/cancel/", follow=True)
    assert "The operation was cancelled." in response.content.decode()
    assert Operation.objects.get(pk=ops["mine"].pk).state == "cancelled"


def test_portal_empty_state_in_chinese(client, charlie, counting):
    client.force_login(charlie)
    html = client.get("/operations/", HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert 'data-testid="empty-state"' in html and "暂无操作" in html


def test_portal_paging(counting, sent, admin_user, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(30):
            do_start_operation(KIND, actor=Actor.system("tests"))
    client.force_login(admin_user)
    first = client.get("/operations/").content.decode()
    assert first.count('data-testid="operation-row"') == 25 and "Page 1 of 2" in first
    assert (
        client.get("/operations/?page=2").content.decode().count('data-testid="operation-row"') == 5
    )
