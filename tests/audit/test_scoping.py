"""Who sees which events, through the portal and the API: admins all, space owners their
spaces', everyone else nothing (refused), anonymous sent to sign in."""

import pytest

from apps.audit.selectors import register_space_scope, unregister_space_scope
from tests.audit.factories import make_event
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    return {
        "mine": make_event("space.update", space=("team-a", "Team A"), changes={"q": {"after": 1}}),
        "other": make_event("space.update", space=("team-b", "Team B")),
        "global": make_event("cluster.create"),
    }


@pytest.fixture
def alice_owns_team_a(alice):
    def scope(user):
        return ["team-a"] if user.pk == alice.pk else []

    register_space_scope(scope)
    yield
    unregister_space_scope(scope)


def test_anonymous_is_refused(client, api, events):
    assert client.get("/audit/").status_code == 302
    assert client.get(f"/audit/{events['mine'].pk}/").status_code == 302
    assert client.get("/audit/export.csv").status_code == 302
    response = api.get("/api/v1/audit/events/")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code", "fields"}


def test_an_outsider_without_scope_is_refused(client, charlie, events):
    client.force_login(charlie)
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{events['mine'].pk}/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    response = api_as(charlie).get("/api/v1/audit/events/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_platform_admin_sees_everything(client, admin_user, events):
    client.force_login(admin_user)
    response = client.get("/audit/")
    assert response.status_code == 200
    shown = {e.pk for e in response.context["page"].object_list}
    assert {e.pk for e in events.values()} <= shown
    body = api_as(admin_user).get("/api/v1/audit/events/").json()
    assert {e.pk for e in events.values()} <= {row["id"] for row in body["results"]}


def test_a_space_owner_sees_only_their_space(client, alice, alice_owns_team_a, events):
    mine, other = events["mine"], events["other"]
    client.force_login(alice)

    page = client.get("/audit/")
    assert page.status_code == 200
    assert [e.pk for e in page.context["page"].object_list] == [mine.pk]
    assert client.get(f"/audit/{mine.pk}/").status_code == 200
    assert client.get(f"/audit/{other.pk}/").status_code == 404
    assert client.get(f"/audit/{events['global'].pk}/").status_code == 404
    csv = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    assert csv.count("\n") == 2 and "team-a" in csv and "team-b" not in csv

    api = api_as(alice)
    assert [r["id"] for r in api.get("/api/v1/audit/events/").json()["results"]] == [mine.pk]
    assert api.get(f"/api/v1/audit/events/{mine.pk}/").status_code == 200
    assert api.get(f"/api/v1/audit/events/{other.pk}/").status_code == 404
    # A filter naming another space cannot widen the scope.
    assert api.get("/api/v1/audit/events/?space=team-b").json()["results"] == []
