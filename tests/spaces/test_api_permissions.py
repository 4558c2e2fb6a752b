"""The permission matrix: every space action, as each role on its own space and as someone
from another team, through the API, with the exact status codes (404 when the space is not
visible, 403 when visible but not allowed)."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from apps.accounts.roles import Role, ensure_role_groups
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space
from apps.spaces.services import do_add_member
from tests.conftest import api_as
from tests.spaces.conftest import make_space

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "admin", "developer", "viewer", "other_team", "platform_admin"]


class Rollback(Exception):
    pass


def _user(django_user_model, name, *roles):
    ensure_role_groups()
    user = django_user_model.objects.create_user(username=name, password=None)
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    return user


@pytest.fixture
def world(django_user_model, test_cluster):
    """Space "alpha" (owner, admin, developer, viewer, an extra viewer) and "beta" of
    another team; alpha is active so every action is possible."""
    people = {
        name: _user(django_user_model, name, Role.EMPLOYEE)
        for name in ("owner", "admin", "developer", "viewer", "other_team", "extra", "newbie")
    }
    people["platform_admin"] = _user(django_user_model, "platform_admin", Role.PLATFORM_ADMIN)
    alpha = make_space(people["owner"], "alpha", cluster=test_cluster)
    for name in ("admin", "developer", "viewer"):
        do_add_member(alpha, people[name], name, actor=Actor.for_user(people["owner"]))
    do_add_member(alpha, people["extra"], "viewer", actor=Actor.for_user(people["owner"]))
    make_space(people["other_team"], "beta", cluster=test_cluster)
    Space.objects.filter(pk=alpha.pk).update(
        state=SpaceState.ACTIVE, expires_at=timezone.now() + timezone.timedelta(days=3)
    )
    return people


ACTIONS = {
    # name: (method, path, body, codes for PERSONAS in order)
    "view": ("get", "/api/v1/spaces/alpha/", None, [200, 200, 200, 200, 404, 200]),
    "permissions": ("get", "/api/v1/spaces/alpha/permissions/", None,
                    [200, 200, 200, 200, 404, 200]),
    "members": ("get", "/api/v1/spaces/alpha/members/", None, [200, 200, 200, 200, 404, 200]),
    "timeline": ("get", "/api/v1/spaces/alpha/timeline/", None, [200, 200, 200, 200, 404, 200]),
    "requests": ("get", "/api/v1/spaces/alpha/requests/", None, [200, 200, 200, 200, 404, 200]),
    "usage": ("get", "/api/v1/spaces/alpha/usage/", None, [200, 200, 200, 200, 404, 200]),
    "update": ("patch", "/api/v1/spaces/alpha/", {"display_name": "Alpha team"},
               [200, 200, 403, 403, 404, 200]),
    "quota": ("post", "/api/v1/spaces/alpha/quota/", {"quota": {"cpu": "2"}},
              [200, 200, 403, 403, 404, 200]),
    "renew": ("post", "/api/v1/spaces/alpha/renew/", {}, [200, 200, 403, 403, 404, 200]),
    "add_member": ("post", "/api/v1/spaces/alpha/members/", {"user": "newbie", "role": "viewer"},
                   [201, 201, 403, 403, 404, 201]),
    "change_member": ("patch", "/api/v1/spaces/alpha/members/extra/", {"role": "developer"},
                      [200, 200, 403, 403, 404, 200]),
    "remove_member": ("delete", "/api/v1/spaces/alpha/members/extra/", None,
                      [204, 204, 403, 403, 404, 204]),
    "retry": ("post", "/api/v1/spaces/alpha/retry/", None, [409, 409, 403, 403, 404, 409]),
    "transfer": ("post", "/api/v1/spaces/alpha/transfer/", {"user": "newbie"},
                 [200, 403, 403, 403, 404, 200]),
    "delete": ("delete", "/api/v1/spaces/alpha/", None, [202, 403, 403, 403, 404, 202]),
}  # fmt: skip


@pytest.mark.parametrize("action", list(ACTIONS))
def test_permission_matrix(world, action):
    method, path, body, codes = ACTIONS[action]
    got = {}
    for persona in PERSONAS:
        try:
            with transaction.atomic():
                response = getattr(api_as(world[persona]), method)(path, body, format="json")
                got[persona] = response.status_code
                if response.status_code >= 400:
                    error = response.json()
                    assert error["message"] and error["code"], error
                if response.status_code == 403:
                    assert AuditEvent.objects.filter(
                        outcome="denied", actor_name=persona
                    ).exists(), "a refusal is audited"
                raise Rollback
        except Rollback:
            pass
    assert got == dict(zip(PERSONAS, codes, strict=True))


def test_permissions_endpoint_lists_what_each_role_may_do(world):
    expected = {
        "owner": {"view", "deploy", "terminal", "manage_members", "request_quota", "renew",
                  "retry", "delete", "transfer"},
        "admin": {"view", "deploy", "terminal", "manage_members", "request_quota", "renew",
                  "retry"},
        "developer": {"view", "deploy", "terminal"},
        "viewer": {"view"},
    }  # fmt: skip
    for persona, allowed in expected.items():
        body = api_as(world[persona]).get("/api/v1/spaces/alpha/permissions/").json()
        assert {k for k, v in body.items() if v} == allowed, persona


def test_only_employees_and_admins_create_spaces(world, dana, charlie, test_cluster):
    body = {"slug": "made-here", "environment": "test", "cluster": test_cluster.name}
    assert api_as(dana).post("/api/v1/spaces/", body, format="json").status_code == 403
    assert api_as(charlie).post("/api/v1/spaces/", body, format="json").status_code == 403
    assert not Space.objects.filter(slug="made-here").exists()
    from tests.contract.openapi import ContractAPIClient as APIClient

    assert APIClient().post("/api/v1/spaces/", body, format="json").status_code in (401, 403)
    response = api_as(world["newbie"]).post("/api/v1/spaces/", body, format="json")
    assert response.status_code == 201, response.json()


def test_lists_show_only_visible_spaces(world):
    def slugs(persona):
        return [s["slug"] for s in api_as(world[persona]).get("/api/v1/spaces/").json()["results"]]

    assert slugs("viewer") == ["alpha"]
    assert slugs("other_team") == ["beta"]
    assert slugs("platform_admin") == ["alpha", "beta"]
    assert slugs("newbie") == []


def test_api_filters_and_requests_answer_202(world, test_cluster):
    from datetime import timedelta

    owner = api_as(world["owner"])
    assert [
        s["slug"] for s in owner.get("/api/v1/spaces/?environment=prod").json()["results"]
    ] == []
    assert [s["slug"] for s in owner.get("/api/v1/spaces/?state=active").json()["results"]] == [
        "alpha"
    ]
    assert owner.get("/api/v1/spaces/?q=alp").json()["results"][0]["my_role"] == "owner"

    response = owner.post("/api/v1/spaces/alpha/quota/", {"quota": {"cpu": "30"},
                                                          "reason": "load test"}, format="json")  # fmt: skip
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["applied"] is False and body["approval_request"]
    assert body["space"]["quota"]["cpu"] == "4"
    listed = owner.get("/api/v1/spaces/alpha/requests/").json()
    assert [(r["kind"], r["state"]) for r in listed] == [("quota.raise", "pending")]
    response = owner.post("/api/v1/spaces/alpha/quota/", {"quota": {"cpu": "31"}}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "conflict"

    Space.objects.filter(slug="alpha").update(created_at=timezone.now() - timedelta(days=89))
    response = owner.post("/api/v1/spaces/alpha/renew/", {"reason": "one more week"},
                          format="json")  # fmt: skip
    assert response.status_code == 202 and response.json()["approval_request"]
