"""Who may do what to a space: the role -> permission table, in this one place.

Space roles are enforced with django-guardian object permissions: each membership is
mirrored into `SpaceUserObjectPermission` rows (see `grant_role`), and every check goes
through guardian. Platform admins and the platform itself (tasks, commands) may do
everything to every space.

| verb           | permission       | viewer | developer | admin | owner |
|----------------|------------------|--------|-----------|-------|-------|
| view           | view_space       | yes    | yes       | yes   | yes   |
| deploy         | deploy_apps      |        | yes       | yes   | yes   |
| terminal       | open_terminal    |        | yes       | yes   | yes   |
| manage_members | manage_members   |        |           | yes   | yes   |
| update         | update_space     |        |           | yes   | yes   |
| request_quota  | request_quota    |        |           | yes   | yes   |
| renew          | renew_space      |        |           | yes   | yes   |
| retry          | retry_space      |        |           | yes   | yes   |
| delete         | delete_space     |        |           |       | yes   |
| transfer       | transfer_space   |        |           |       | yes   |

The terminal also needs the cluster policy's `terminal_allowed` (never in production).
Other apps use `can(who, action, space)` (`who`: an Actor, or a user in views) and
`apps.spaces.selectors.spaces_visible_to(user)`.
"""

from django.contrib.auth.models import Permission
from guardian.core import ObjectPermissionChecker

from apps.accounts.roles import Role, has_role, is_platform_admin
from apps.audit.actors import is_system, person_of
from apps.clusters.choices import PRODUCTION_ENVIRONMENTS
from apps.clusters.permissions import cluster_allows_terminal
from apps.spaces.choices import SpaceRole
from apps.spaces.models import SpaceUserObjectPermission

VIEW = "view_space"
DEPLOY = "deploy_apps"
TERMINAL = "open_terminal"
MANAGE_MEMBERS = "manage_members"
UPDATE = "update_space"
REQUEST_QUOTA = "request_quota"
RENEW = "renew_space"
RETRY = "retry_space"
DELETE = "delete_space"
TRANSFER = "transfer_space"
ALL_PERMISSIONS = (
    VIEW, DEPLOY, TERMINAL, MANAGE_MEMBERS, UPDATE, REQUEST_QUOTA, RENEW, RETRY, DELETE,
    TRANSFER,
)  # fmt: skip

# The table. Each role holds the permissions of the roles below it, plus its own.
_ADMIN = frozenset({VIEW, DEPLOY, TERMINAL, MANAGE_MEMBERS, UPDATE, REQUEST_QUOTA, RENEW, RETRY})
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    SpaceRole.VIEWER: frozenset({VIEW}),
    SpaceRole.DEVELOPER: frozenset({VIEW, DEPLOY, TERMINAL}),
    SpaceRole.ADMIN: _ADMIN,
    SpaceRole.OWNER: frozenset(ALL_PERMISSIONS),
}

# Verbs (what callers ask) -> the permission each needs: one permission per verb.
ACTIONS: dict[str, str] = {
    "view": VIEW,
    "deploy": DEPLOY,
    "terminal": TERMINAL,
    "manage_members": MANAGE_MEMBERS,
    "update": UPDATE,
    "request_quota": REQUEST_QUOTA,
    "renew": RENEW,
    "retry": RETRY,
    "delete": DELETE,
    "transfer": TRANSFER,
}
# The verbs the permissions endpoint (and the space pages) publish.
LISTED_ACTIONS = (
    "view", "deploy", "terminal", "manage_members", "request_quota", "renew", "retry", "delete",
    "transfer",
)  # fmt: skip


def space_permissions(who, space) -> frozenset[str]:
    """The permission codenames `who` (an Actor or a user) holds on `space` (one query;
    all for platform admins and the platform itself)."""
    if is_system(who):
        return frozenset(ALL_PERMISSIONS)
    user = person_of(who)
    if user is None or not user.is_active:
        return frozenset()
    if is_platform_admin(user):
        return frozenset(ALL_PERMISSIONS)
    if space is None or space.pk is None:
        return frozenset()
    return frozenset(ObjectPermissionChecker(user).get_user_perms(space)) & set(ALL_PERMISSIONS)


def _policy_allows(permission: str, space) -> bool:
    """The policy flags that decide beyond roles: a web terminal only where the space's
    cluster policy allows it, and never in production (k2ctl on the bastion instead)."""
    if permission != TERMINAL:
        return True
    if space.environment in PRODUCTION_ENVIRONMENTS:
        return False
    return cluster_allows_terminal(space.primary_cluster)


def can(who, action: str, space) -> bool:
    """May `who` (an Actor or a user) do `action` (a verb of ACTIONS or a permission
    codename) to `space`?"""
    permission = ACTIONS.get(action, action)
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown space action {action!r}")
    return permission in space_permissions(who, space) and _policy_allows(permission, space)


def allowed_actions(who, space) -> dict[str, bool]:
    """Every published verb -> whether `who` may do it (for templates and the API)."""
    held = space_permissions(who, space)
    return {
        verb: ACTIONS[verb] in held and _policy_allows(ACTIONS[verb], space)
        for verb in LISTED_ACTIONS
    }


def can_open_terminal(who, space) -> bool:
    """The space-level answer: the role grants it (developers and above) and the primary
    cluster's policy allows it. Opening a terminal into a pod is decided by
    apps/terminal/access.py: the same role, and the policy of the pod's own cluster."""
    return can(who, "terminal", space)


def can_create_space(who) -> bool:
    """Employees and platform admins create spaces; analysts and outsiders do not."""
    if is_system(who):
        return True
    user = person_of(who)
    return bool(user and user.is_active) and has_role(user, Role.EMPLOYEE, Role.PLATFORM_ADMIN)


def can_send_reminders(who) -> bool:
    """Expiry reminders are the platform's own work (the beat task), never a person's."""
    return is_system(who)


def _permission_ids() -> dict[str, int]:
    rows = Permission.objects.filter(
        content_type__app_label="spaces", codename__in=ALL_PERMISSIONS
    ).values_list("codename", "id")
    return dict(rows)


def grant_role(space, user, role: str | None) -> None:
    """Make the guardian rows of `user` on `space` exactly those of `role` (None: none).

    Called by the services inside their transaction, next to the Membership write.
    """
    SpaceUserObjectPermission.objects.filter(content_object=space, user=user).delete()
    if role is None:
        return
    ids = _permission_ids()
    SpaceUserObjectPermission.objects.bulk_create(
        [
            SpaceUserObjectPermission(content_object=space, user=user, permission_id=ids[codename])
            for codename in sorted(ROLE_PERMISSIONS[role])
        ]
    )
