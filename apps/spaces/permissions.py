"""Who may do what to a space: the role -> permission table, in this one place.

Space roles are enforced with django-guardian object permissions: each membership is
mirrored into `SpaceUserObjectPermission` rows (see `grant_role`), and every check goes
through guardian. Platform admins may do everything to every space.

Other apps use `can(user, action, space)` (or the `can_<action>` helpers) and
`apps.spaces.selectors.spaces_visible_to(user)`.
"""

from django.contrib.auth.models import Permission
from guardian.core import ObjectPermissionChecker

from apps.accounts.roles import Role, has_role, is_platform_admin
from apps.audit.actors import Actor
from apps.audit.choices import ActorType
from apps.clusters.choices import PRODUCTION_ENVIRONMENTS
from apps.spaces.choices import SpaceRole

VIEW = "view_space"
DEPLOY = "deploy_apps"
TERMINAL = "open_terminal"
MANAGE_MEMBERS = "manage_members"
REQUEST_QUOTA = "request_quota"
DELETE = "delete_space"
TRANSFER = "transfer_space"
ALL_PERMISSIONS = (VIEW, DEPLOY, TERMINAL, MANAGE_MEMBERS, REQUEST_QUOTA, DELETE, TRANSFER)

# The table. Each role holds the permissions of the roles below it, plus its own.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    SpaceRole.VIEWER: frozenset({VIEW}),
    SpaceRole.DEVELOPER: frozenset({VIEW, DEPLOY, TERMINAL}),
    SpaceRole.ADMIN: frozenset({VIEW, DEPLOY, TERMINAL, MANAGE_MEMBERS, REQUEST_QUOTA}),
    SpaceRole.OWNER: frozenset(ALL_PERMISSIONS),
}

# Verbs (what callers ask) -> the permission each needs.
ACTIONS: dict[str, str] = {
    "view": VIEW,
    "deploy": DEPLOY,
    "terminal": TERMINAL,
    "manage_members": MANAGE_MEMBERS,
    "request_quota": REQUEST_QUOTA,
    "renew": REQUEST_QUOTA,
    "retry": REQUEST_QUOTA,
    "delete": DELETE,
    "transfer": TRANSFER,
}


def user_of(actor):
    """The user behind `actor` (a user or an audit Actor); None for system actors."""
    if isinstance(actor, Actor):
        if actor.type == ActorType.SYSTEM:
            return None
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(pk=actor.user_id).first()  # type: ignore[misc]
    return actor


def is_system(actor) -> bool:
    return isinstance(actor, Actor) and actor.type == ActorType.SYSTEM


def space_permissions(user, space) -> frozenset[str]:
    """The permission codenames `user` holds on `space` (one query; all for platform admins)."""
    if is_system(user):
        return frozenset(ALL_PERMISSIONS)
    user = user_of(user)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if is_platform_admin(user):
        return frozenset(ALL_PERMISSIONS)
    if space is None or space.pk is None:
        return frozenset()
    return frozenset(ObjectPermissionChecker(user).get_user_perms(space)) & set(ALL_PERMISSIONS)


def _environment_allows(permission: str, space) -> bool:
    # Production gets k2ctl on the bastion, never a web terminal (ARCHITECTURE.md).
    return not (permission == TERMINAL and space.environment in PRODUCTION_ENVIRONMENTS)


def can(user, action: str, space) -> bool:
    """May `user` do `action` ("view", "deploy", "terminal", "manage_members",
    "request_quota", "renew", "retry", "delete", "transfer", or a permission codename)
    to `space`?"""
    permission = ACTIONS.get(action, action)
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown space action {action!r}")
    return permission in space_permissions(user, space) and _environment_allows(permission, space)


def allowed_actions(user, space) -> dict[str, bool]:
    """Every verb of ACTIONS -> whether `user` may do it (for templates and the API)."""
    held = space_permissions(user, space)
    return {
        verb: perm in held and _environment_allows(perm, space) for verb, perm in ACTIONS.items()
    }


def can_view_space(user, space) -> bool:
    return can(user, "view", space)


def can_deploy_apps(user, space) -> bool:
    return can(user, "deploy", space)


def can_open_terminal(user, space) -> bool:
    return can(user, "terminal", space)


def can_manage_members(user, space) -> bool:
    return can(user, "manage_members", space)


def can_request_quota(user, space) -> bool:
    return can(user, "request_quota", space)


def can_delete_space(user, space) -> bool:
    return can(user, "delete", space)


def can_transfer_space(user, space) -> bool:
    return can(user, "transfer", space)


def can_create_space(user) -> bool:
    """Employees and platform admins create spaces; analysts and outsiders do not."""
    if is_system(user):
        return True
    user = user_of(user)
    return bool(user and user.is_active) and has_role(user, Role.EMPLOYEE, Role.PLATFORM_ADMIN)


def _permission_ids() -> dict[str, int]:
    rows = Permission.objects.filter(
        content_type__app_label="spaces", codename__in=ALL_PERMISSIONS
    ).values_list("codename", "id")
    return dict(rows)


def grant_role(space, user, role: str | None) -> None:
    """Make the guardian rows of `user` on `space` exactly those of `role` (None: none).

    Called by the services inside their transaction, next to the Membership write.
    """
    from apps.spaces.models import SpaceUserObjectPermission

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
