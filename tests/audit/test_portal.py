"""The portal list filters and pages; HTMX gets the results fragment; detail shows the diff."""

import pytest

from apps.audit.actors import Actor
from apps.audit.views import PAGE_SIZE
from tests.audit.factories import make_event
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def test_filters_paging_and_fragment(client, admin_user, alice):
    for i in range(PAGE_SIZE + 5):
        make_event("test.bulk", target=("tests.thing", i, f"thing {i}"))
    denied = make_event(
        "space.create",
        actor=Actor.for_user(alice),
        outcome="denied",
        reason="quota",
        space="team-a",
    )
    client.force_login(admin_user)

    first = client.get("/audit/?action=test.bulk")
    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert first.context["page"].paginator.count == PAGE_SIZE + 5
    assert "action=test.bulk&amp;page=2" in first.content.decode()

    for query in ("actor=alice", "outcome=denied", "action=space.", "space=team-a"):
        page = client.get(f"/audit/?{query}").context["page"]
        assert [e.pk for e in page.object_list] == [denied.pk], query
    assert not client.get("/audit/?until=2000-01-01T00:00").context["page"].object_list
    assert (
        client.get("/audit/?since=2000-01-01T00:00&outcome=denied").context["page"].paginator.count
        == 1
    )

    fragment = client.get("/audit/?outcome=denied", HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content and b"audit-table" in fragment.content


def test_detail_shows_the_before_after_diff(client, admin_user):
    event = make_event(
        "space.quota.update",
        changes={"cpu": {"before": "2", "after": "4"}, "token": "zz-top-secret"},
    )
    client.force_login(admin_user)
    html = client.get(f"/audit/{event.pk}/").content.decode()
    assert 'data-testid="audit-diff"' in html
    assert "bg-green-lt" in html
    assert "[redacted]" in html and "zz-top-secret" not in html


def test_api_filters_and_rejects_bad_input(admin_user):
    make_event("space.create", outcome="failed")
    api = api_as(admin_user)
    rows = api.get("/api/v1/audit/events/?outcome=failed").json()["results"]
    assert [r["action"] for r in rows] == ["space.create"]
    bad = api.get("/api/v1/audit/events/?outcome=maybe&since=yesterday")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"outcome", "since"}


def test_csv_export_streams_the_filtered_set_and_neutralises_formulas(client, admin_user):
    make_event("test.csv", reason="=HYPERLINK(evil)")
    make_event("test.other")
    client.force_login(admin_user)
    response = client.get("/audit/export.csv?action=test.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert "test.csv" in text and "test.other" not in text
    assert "'=HYPERLINK(evil)" in text


def test_events_name_their_space_and_targets_as_people_do(
    client, admin_user, alice, django_assert_max_num_queries
):
    """An approval about a space shows that space; an app reads space/app, linked while it exists."""
    from apps.approvals.models import ApprovalRequest
    from apps.workloads.models import App
    from tests.analytics.factories import make_app, make_cluster, make_space

    space = make_space("alice-prod", "prod", make_cluster("prod-1", "prod"), alice)
    app = make_app(space, "web")
    request = ApprovalRequest.objects.create(kind="space.quota", requester=alice, reason="more",
                                             payload={"space_id": space.pk, "slug": space.slug})  # fmt: skip
    make_event("approval.approve", target=request)
    make_event("app.update", target=app)
    gone = App.objects.create(space=space, name="old", kind="service")
    make_event("app.delete", target=gone)
    gone.delete()
    client.force_login(admin_user)
    with django_assert_max_num_queries(14):
        html = client.get("/audit/").content.decode()
    rows = html.split('data-testid="audit-row"')[1:]
    by_action = {a: r for r in rows for a in ("approval.approve", "app.update", "app.delete")
                 if f"<code>{a}</code>" in r}  # fmt: skip
    assert "alice-prod" in by_action["approval.approve"].split('data-testid="audit-target"')[1]
    assert "workloads.app" not in html and ">App<" in by_action["app.update"]
    assert f'href="/apps/{space.slug}/web/">alice-prod/web</a>' in by_action["app.update"]
    assert "alice-prod/old" in by_action["app.delete"] and "/apps/alice-prod/old/" not in html
    assert f'href="/approvals/{request.pk}/"' in by_action["approval.approve"]
