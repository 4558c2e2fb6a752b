"""Who may do what with backups, built on the space permission table (apps/spaces/permissions.py).

| verb   | who                                                          |
|--------|--------------------------------------------------------------|
| view   | whoever may view the space (its members, platform admins)    |
| backup | the space's admins and owners, platform admins, the platform |
| restore| the space's former owners, platform admins, the platform      |

A backup of a space that no longer exists is seen by platform admins only (restore
decides its own rules).
"""

from apps.accounts.roles import is_platform_admin
from apps.audit.actors import is_system, person_of
from apps.spaces import permissions as space_perms
from apps.spaces.choices import SpaceRole
from apps.spaces.models import Membership


def can_view_backups(who, space) -> bool:
    return space is not None and space_perms.can(who, "view", space)


def can_backup_space(who, space) -> bool:
    """Take a backup now: the holders of update_space, i.e. the space's admins and owners,
    platform admins and the platform itself (space_permissions grants them everything)."""
    return space is not None and space_perms.UPDATE in space_perms.space_permissions(who, space)


def can_restore_backup(who, backup) -> bool:
    """Restore: platform admins (and the platform), and the people who owned the space —
    its owner, or a member with the owner role — even after it was destroyed. Whether
    they may create the new space (and in which environment) is the spaces service's
    check, run as them when the restore creates it."""
    if is_system(who):
        return True
    user = person_of(who)
    if user is None or not user.is_active:
        return False
    if is_platform_admin(user):
        return True
    space = backup.space
    if space is None:
        return False
    return (
        space.owner_id == user.pk
        or Membership.objects.filter(space=space, user=user, role=SpaceRole.OWNER).exists()
    )
