"""One permission per verb: renew, retry and update have their own guardian permission
(no longer borrowing request_quota / manage_members), the terminal follows the cluster
policy's `terminal_allowed`, and the data migration gives existing admins and owners the
new permissions."""

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Permission
from django.utils import timezone

from apps.accounts.roles import Role
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.clusters.models import ClusterPolicy
from apps.spaces import permissions as perms
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space, SpaceUserObjectPermission
from apps.spaces.services import do_add_member
from tests.conftest import api_as, make_user
from tests.spaces.conftest import make_space

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev(django_user_model):
    """An employee, made a developer of alpha."""
    return make_user(django_user_model, "dev", Role.EMPLOYEE)


@pytest.fixture
def alpha(alice, bob, dev, test_cluster):
    """Active test space: alice owns it, bob is an admin, dev a developer."""
    space = make_space(alice, "alpha", cluster=test_cluster)
    do_add_member(space, bob, "admin", actor=Actor.for_user(alice))
    do_add_member(space, dev, "developer", actor=Actor.for_user(alice))
    Space.objects.filter(pk=space.pk).update(
        state=SpaceState.ACTIVE, expires_at=timezone.now() + timezone.timedelta(days=3)
    )
    space.refresh_from_db()
    return space


def _strip(space, user, codename):
    """Take one permission from a member, leaving the rest of their role."""
    SpaceUserObjectPermission.objects.filter(
        content_object=space, user=user, permission__codename=codename
    ).delete()


VERBS = {
    # verb: (codename, method, path, body, status when allowed)
    "update": ("update_space", "patch", "/api/v1/spaces/alpha/", {"display_name": "A"}, 200),
    "renew": ("renew_space", "post", "/api/v1/spaces/alpha/renew/", {}, 200),
    "retry": ("retry_space", "post", "/api/v1/spaces/alpha/retry/", None, 409),
}


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_each_verb_is_its_own_permission(alpha, bob, dev, verb):
    codename, method, path, body, allowed = VERBS[verb]
    assert codename in perms.ROLE_PERMISSIONS["admin"]
    assert codename not in perms.ROLE_PERMISSIONS["developer"]
    # The wrong role is refused, and the refusal is audited.
    response = getattr(api_as(dev), method)(path, body, format="json")
    assert response.status_code == 403, response.content
    assert AuditEvent.objects.filter(outcome="denied", actor_name="dev").exists()
    # The right role is let through (retry: through the permission check, then 409).
    assert getattr(api_as(bob), method)(path, body, format="json").status_code == allowed
    # The verb no longer borrows another permission: without its own one, bob is refused
    # although he keeps request_quota and manage_members.
    _strip(alpha, bob, codename)
    assert perms.can(bob, "request_quota", alpha) and perms.can(bob, "manage_members", alpha)
    assert getattr(api_as(bob), method)(path, body, format="json").status_code == 403


def test_the_terminal_follows_the_cluster_policy(alpha, alice, dev, test_cluster):
    """`can_open_terminal` is the decision point of every terminal entry point."""
    policy = ClusterPolicy.objects.get(cluster=test_cluster)
    ClusterPolicy.objects.filter(pk=policy.pk).update(terminal_allowed=True)
    alpha.refresh_from_db()
    assert perms.can_open_terminal(dev, alpha) and perms.can_open_terminal(alice, alpha)
    assert perms.can_open_terminal(Actor.for_user(dev), alpha)
    viewer_like = Actor.anonymous()
    assert not perms.can_open_terminal(viewer_like, alpha)

    ClusterPolicy.objects.filter(pk=policy.pk).update(terminal_allowed=False)
    alpha = Space.objects.get(pk=alpha.pk)  # a fresh cluster and policy
    assert not perms.can_open_terminal(dev, alpha)
    assert not perms.can_open_terminal(alice, alpha)
    assert perms.can(dev, "deploy", alpha)  # only the terminal is switched off
    body = api_as(dev).get("/api/v1/spaces/alpha/permissions/").json()
    assert body["terminal"] is False and body["deploy"] is True


def test_existing_admins_and_owners_get_the_new_permissions(alpha, alice, bob, dev):
    """The data migration: memberships made before the split receive the new codenames."""
    from importlib import import_module

    migration = import_module("apps.spaces.migrations.0002_one_permission_per_verb")
    new = ["update_space", "renew_space", "retry_space"]
    SpaceUserObjectPermission.objects.filter(permission__codename__in=new).delete()
    Permission.objects.filter(content_type__app_label="spaces", codename__in=new).delete()
    assert not perms.can(bob, "renew", alpha)

    migration.grant_new_permissions(global_apps, None)
    migration.grant_new_permissions(global_apps, None)  # idempotent

    held = {
        user: set(
            SpaceUserObjectPermission.objects.filter(
                content_object=alpha, user=user, permission__codename__in=new
            ).values_list("permission__codename", flat=True)
        )
        for user in (alice, bob, dev)
    }
    assert held == {alice: set(new), bob: set(new), dev: set()}
    assert perms.can(bob, "renew", alpha) and perms.can(bob, "update", alpha)
    assert not perms.can(dev, "retry", alpha)
