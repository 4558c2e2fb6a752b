"""Who may do what with backups, built on the space permission table (apps/spaces/permissions.py).

| verb   | who                                                          |
|--------|--------------------------------------------------------------|
| view   | whoever may view the space (its members, platform admins)    |
| backup | the space's admins and owners, platform admins, the platform |

A backup of a space that no longer exists is seen by platform admins only (restore
decides its own rules).
"""

from apps.spaces import permissions as space_perms


def can_view_backups(who, space) -> bool:
    return space is not None and space_perms.can(who, "view", space)


def can_backup_space(who, space) -> bool:
    """Take a backup now: the holders of update_space, i.e. the space's admins and owners,
    platform admins and the platform itself (space_permissions grants them everything)."""
    return space is not None and space_perms.UPDATE in space_perms.space_permissions(who, space)
