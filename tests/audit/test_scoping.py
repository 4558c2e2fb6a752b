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
        "mine": make_event(
            "space.update", space=("team-a", "Team A", 101), changes={"q": {"after": 1}}
        ),
        "other": make_event("space.update", space=("team-b", "Team B", 102)),
        "global": make_event("cluster.create"),
    }


@pytest.fixture
def alice_owns_team_a(alice):
    def scope(user):
        return [101] if user.pk == alice.pk else []

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


def _owned_space(slug, owner, cluster, **extra):
    from apps.spaces.models import Membership
    from tests.analytics.factories import make_space

    space = make_space(slug, "test", cluster, owner, **extra)
    Membership.objects.create(space=space, user=owner, role="owner")
    return space


def test_the_owner_of_a_recreated_space_does_not_read_the_deleted_spaces_events(alice, bob):
    """Slugs are unique among live spaces only: scope is the space's id, not its name."""
    from tests.analytics.factories import make_cluster

    cluster = make_cluster("test-1", "test")
    old = _owned_space("shop", alice, cluster)
    alices = make_event("space.update", space=old, changes={"secret_plan": {"after": "x"}})
    type(old).objects.filter(pk=old.pk).update(state="deleted")
    new = _owned_space("shop", bob, cluster)
    bobs = make_event("space.update", space=new)

    assert (alices.space_id, bobs.space_id) == ("shop", "shop")  # the same name
    assert [r["id"] for r in api_as(bob).get("/api/v1/audit/events/").json()["results"]] == [
        bobs.pk
    ]
    assert api_as(bob).get(f"/api/v1/audit/events/{alices.pk}/").status_code == 404
    # Alice still owns the deleted space: she reads its history, not the new space's.
    assert [r["id"] for r in api_as(alice).get("/api/v1/audit/events/").json()["results"]] == [
        alices.pk
    ]


def test_the_migration_backfills_the_space_that_was_live_at_the_time():
    """Migration 0004 names old events' spaces by id: the target itself, the only space of
    that slug, or the one live when the event was written; otherwise none (admins only)."""
    from datetime import UTC, datetime
    from importlib import import_module

    resolve = import_module("apps.audit.migrations.0005_auditevent_space_pk")._resolve

    def at(day):
        return datetime(2026, 1, day, tzinfo=UTC)

    spaces = {"shop": [(1, at(1), at(10)), (2, at(12), None)], "solo": [(3, at(5), None)]}
    assert resolve(spaces, "shop", at(5), "", "") == 1
    assert resolve(spaces, "shop", at(15), "", "") == 2
    assert resolve(spaces, "shop", at(11), "", "") is None  # between the two: unknown
    assert resolve(spaces, "shop", at(11), "spaces.space", "2") == 2  # the target names it
    assert resolve(spaces, "solo", at(1), "", "") == 3
    assert resolve(spaces, "gone", at(1), "", "") is None


@pytest.mark.django_db(transaction=True)
def test_the_backfill_runs_on_the_database_and_keeps_the_chain(require_postgres, alice, bob):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from apps.audit.models import AuditEvent
    from apps.audit.verify import verify_chain
    from tests.analytics.factories import make_cluster

    cluster = make_cluster("test-1", "test")
    old = _owned_space("shop", alice, cluster)
    first = make_event("space.update", space=("shop", "shop"))  # written without the key
    type(old).objects.filter(pk=old.pk).update(state="deleted")
    new = _owned_space("shop", bob, cluster)
    second = make_event("space.update", space=("shop", "shop"))
    assert AuditEvent.objects.filter(space_pk__isnull=False).count() == 0

    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0004_actor_channel_token_hash_version")])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert AuditEvent.objects.get(pk=first.pk).space_pk == old.pk
    assert AuditEvent.objects.get(pk=second.pk).space_pk == new.pk
    assert verify_chain().ok
