"""Portal pages: my spaces (filters, paging), create (test and production), detail with
members, quota usage, clusters, timeline and requests; outsiders get 404."""

import pytest

from apps.approvals.models import ApprovalRequest
from apps.audit.actors import Actor
from apps.spaces.models import Membership, Space
from tests.spaces.conftest import make_space

pytestmark = pytest.mark.django_db


def test_my_spaces_lists_filters_and_shows_expiry(client, alice, bob, clusters):
    make_space(alice, "web-test", cluster=clusters["test"])
    make_space(bob, "not-mine", cluster=clusters["test"])
    client.force_login(alice)
    page = client.get("/spaces/").content.decode()
    assert 'data-space="web-test"' in page and "not-mine" not in page
    assert "Active" in page and "days" in page  # expiry of a test space
    page = client.get("/spaces/?environment=prod").content.decode()
    assert 'data-space="web-test"' not in page and 'data-testid="empty-state"' in page
    page = client.get("/spaces/?state=failed").content.decode()
    assert 'data-space="web-test"' not in page


def test_the_list_pages(client, alice, clusters, settings):
    from apps.spaces import views

    for i in range(3):
        make_space(alice, f"paged-{i}", cluster=clusters["test"])
    views.PAGE_SIZE, old = 2, views.PAGE_SIZE
    try:
        client.force_login(alice)
        first = client.get("/spaces/").content.decode()
        second = client.get("/spaces/?page=2").content.decode()
    finally:
        views.PAGE_SIZE = old
    assert first.count('data-testid="space-row"') == 2 and "1 / 2" in first
    assert second.count('data-testid="space-row"') == 1


def test_create_a_test_space_from_the_form(client, alice, clusters):
    client.force_login(alice)
    page = client.get("/spaces/new/").content.decode()
    assert "Test or production?" in page and "Needs approval" in page
    response = client.post("/spaces/new/", {"environment": "test", "slug": "from-form"})
    assert response.status_code == 302 and response["Location"] == "/spaces/from-form/"
    assert Space.objects.get(slug="from-form").state == "provisioning"


def test_create_form_names_the_problem(client, alice, clusters):
    client.force_login(alice)
    response = client.post(
        "/spaces/new/", {"environment": "prod", "slug": "Bad Name", "reason": "x"}
    )
    assert response.status_code == 200
    assert "is not a valid name" in response.content.decode()
    response = client.post(
        "/spaces/new/", {"environment": "prod", "slug": "shop", "cluster": "test-1", "reason": "x"}
    )
    assert "a Production space needs a Production cluster" in response.content.decode()
    assert not Space.objects.exists()


def test_request_a_production_space_from_the_form(client, alice, clusters):
    client.force_login(alice)
    response = client.post(
        "/spaces/new/", {"environment": "prod", "slug": "billing", "reason": "Billing goes live"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "is waiting for approval" in page and 'data-state="pending-approval"' in page
    assert ApprovalRequest.objects.filter(kind="space.create.prod").count() == 1


def test_detail_shows_members_quota_usage_clusters_and_timeline(client, alice, bob, clusters):
    from apps.spaces.services import do_add_member

    space = make_space(alice, "detailed", cluster=clusters["test"])
    do_add_member(space, bob, "developer", actor=Actor.for_user(alice))
    client.force_login(alice)
    page = client.get("/spaces/detailed/").content.decode()
    for needle in ('data-member="bob"', 'data-testid="space-clusters"', "test-1",
                   'data-testid="space-timeline"', "Provisioned on test-1", "quota-form",
                   "member-add", "space-renew", "space-delete"):  # fmt: skip
        assert needle in page, needle
    usage = client.get("/spaces/detailed/usage/").content.decode()
    assert "limits.cpu" in usage and "requests.storage" in usage
    # A developer sees it, without the managing forms.
    client.force_login(bob)
    page = client.get("/spaces/detailed/").content.decode()
    assert "member-add" not in page and "space-delete" not in page


def test_outsiders_get_404_and_viewers_403_on_actions(client, alice, bob, charlie, clusters):
    from apps.spaces.services import do_add_member

    space = make_space(alice, "guarded", cluster=clusters["test"])
    client.force_login(charlie)
    assert client.get("/spaces/guarded/").status_code == 404
    assert client.post("/spaces/guarded/delete/").status_code == 404
    do_add_member(space, bob, "viewer", actor=Actor.for_user(alice))
    client.force_login(bob)
    assert client.post("/spaces/guarded/delete/").status_code == 403
    assert client.post("/spaces/guarded/members/", {"user": "charlie", "role": "viewer"}
                       ).status_code == 403  # fmt: skip
    space.refresh_from_db()
    assert space.state == "active"


def test_members_are_managed_from_the_detail_page(client, alice, bob, clusters):
    make_space(alice, "crew", cluster=clusters["test"])
    client.force_login(alice)
    client.post("/spaces/crew/members/", {"user": "bob", "role": "viewer"})
    assert Membership.objects.get(space__slug="crew", user=bob).role == "viewer"
    client.post("/spaces/crew/members/bob/role/", {"role": "admin"})
    assert Membership.objects.get(space__slug="crew", user=bob).role == "admin"
    response = client.post("/spaces/crew/members/", {"user": "nobody", "role": "viewer"},
                           follow=True)  # fmt: skip
    assert "There is no active user of that name." in response.content.decode()
    client.post("/spaces/crew/members/bob/remove/")
    assert not Membership.objects.filter(space__slug="crew", user=bob).exists()


def test_list_pages_cost_the_same_queries_for_more_spaces(client, alice, clusters):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import api_as

    def cost(path):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(alice)
    api = api_as(alice)
    make_space(alice, "count-0", cluster=clusters["test"])
    portal = cost("/spaces/")
    with CaptureQueriesContext(connection) as ctx:
        api.get("/api/v1/spaces/")
    rest = len(ctx.captured_queries)
    for i in range(1, 5):
        make_space(alice, f"count-{i}", cluster=clusters["test"])
    assert cost("/spaces/") == portal
    with CaptureQueriesContext(connection) as ctx:
        assert len(api.get("/api/v1/spaces/").json()["results"]) == 5
    assert len(ctx.captured_queries) == rest


def test_a_failed_space_shows_its_error_and_a_retry_button(client, alice, clusters):
    space = make_space(alice, "broken", cluster=clusters["test"])
    Space.objects.filter(pk=space.pk).update(state="failed", last_error="Cluster test-1: boom")
    client.force_login(alice)
    page = client.get("/spaces/broken/").content.decode()
    assert 'data-testid="space-retry"' in page and "Cluster test-1: boom" in page
    response = client.post("/spaces/broken/retry/", follow=True)
    assert "Provisioning was started again." in response.content.decode()
    assert Space.objects.get(pk=space.pk).state == "provisioning"


def test_cluster_detail_lists_the_spaces_placed_on_it(client, alice, admin_user, clusters):
    make_space(alice, "on-test", cluster=clusters["test"])
    client.force_login(admin_user)
    page = client.get(f"/clusters/{clusters['test'].name}/").content.decode()
    assert 'data-testid="cluster-spaces"' in page
    assert 'href="/spaces/on-test/"' in page and ">alice<" in page
    other = client.get(f"/clusters/{clusters['prod'].name}/").content.decode()
    assert "on-test" not in other and 'data-testid="cluster-spaces-empty"' in other
