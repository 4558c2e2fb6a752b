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
