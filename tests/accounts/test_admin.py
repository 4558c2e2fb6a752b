"""Roles changed in the Django admin (as docs/identity.md tells platform admins to) go
through do_set_user_roles: audited like every other role change; role groups keep their
names; other group and flag changes are audited too."""

import pytest
from django.contrib.auth.models import Group, Permission

from apps.accounts.roles import Role, ensure_role_groups
from apps.audit.models import AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(client, django_user_model):
    ensure_role_groups()
    user = django_user_model.objects.create_superuser("ops", "ops@example.test", "pw-12345678")
    user.groups.add(Group.objects.get(name=Role.PLATFORM_ADMIN))
    client.force_login(user)
    return user


def _user_form(user, groups, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [str(g.pk) for g in groups],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_granting_a_role_in_the_admin_is_audited_as_a_role_change(
    client, platform_admin, django_user_model
):
    alice = make_user(django_user_model, "alice", Role.EMPLOYEE)
    team = Group.objects.create(name="payments-team")
    wanted = Group.objects.filter(name__in=[Role.EMPLOYEE, Role.PLATFORM_ADMIN])
    response = client.post(
        f"/admin/auth/user/{alice.pk}/change/", _user_form(alice, [*wanted, team])
    )
    assert response.status_code == 302

    assert set(alice.groups.values_list("name", flat=True)) == {
        "employee", "platform-admin", "payments-team",
    }  # fmt: skip
    roles = AuditEvent.objects.get(action="user.roles.update")
    assert roles.actor_name == "ops" and roles.target_id == str(alice.pk)
    assert roles.changes == {
        "roles": {"before": ["employee"], "after": ["employee", "platform-admin"]}
    }
    other = AuditEvent.objects.get(action="user.update")
    assert other.changes == {"groups": {"before": [], "after": ["payments-team"]}}


def test_making_a_superuser_in_the_admin_is_audited(client, platform_admin, django_user_model):
    alice = make_user(django_user_model, "alice", Role.EMPLOYEE)
    employee = Group.objects.filter(name=Role.EMPLOYEE)
    response = client.post(
        f"/admin/auth/user/{alice.pk}/change/",
        _user_form(alice, employee, is_staff="on", is_superuser="on"),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.update")
    assert event.changes == {
        "is_staff": {"before": False, "after": True},
        "is_superuser": {"before": False, "after": True},
    }
    assert not AuditEvent.objects.filter(action="user.roles.update").exists()


def test_role_groups_keep_their_names_and_permission_edits_are_audited(client, platform_admin):
    group = Group.objects.get(name=Role.APPROVER)
    permission = Permission.objects.get(codename="view_user")
    url = f"/admin/auth/group/{group.pk}/change/"
    response = client.post(url, {"name": "approvers-renamed", "permissions": [permission.pk]})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "approver"  # read-only for role groups
    event = AuditEvent.objects.get(action="group.update")
    assert event.target_name == "approver"
    assert event.changes == {"permissions": {"before": [], "after": ["auth.view_user"]}}
    delete = f"/admin/auth/group/{group.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Group.objects.filter(name=Role.APPROVER).exists()
