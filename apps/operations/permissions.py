"""Who sees and steers operations: platform admins all of them; a space's members see that
space's operations, and its admins and owners retry or cancel them (as they retry the
space itself). System actors (the sweeper) may do everything."""

from apps.accounts.roles import is_platform_admin
from apps.audit.actors import is_system, person_of
from apps.spaces.permissions import can


def can_view_operations(user) -> bool:
    """The portal's list is open to every signed-in user (it shows only what they may see)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_view_operation(who, operation) -> bool:
    user = person_of(who)
    if user is None:
        return is_system(who)
    if is_platform_admin(user) or operation.actor_user_id == user.pk:
        return True  # their own work (a restore before its space exists)
    if operation.space_id is None:
        return False

    return can(user, "view", operation.space)


def can_change_operation(actor, operation) -> bool:
    """Retry or cancel: platform admins, the system, and the admins/owners of its space."""
    if is_system(actor):
        return True
    user = person_of(actor)
    if user is None:
        return False
    if is_platform_admin(user):
        return True
    if operation.space_id is None:
        return operation.actor_user_id == user.pk  # their own restore, before its space

    return can(user, "retry", operation.space)
