"""Reads of the audit trail, restricted to what the user may see.

Platform admins see every event. Anyone else sees the events of the spaces that the
registered scope hooks grant them (apps/spaces registers one: the spaces a user owns);
with no hook, or no granted space, a user sees nothing and the audit pages refuse them.
"""

from collections.abc import Callable, Iterable

from apps.accounts.roles import is_platform_admin
from apps.audit.models import AuditEvent

SpaceScope = Callable[[object], Iterable[str]]
_space_scopes: list[SpaceScope] = []


def register_space_scope(func: SpaceScope) -> SpaceScope:
    """Register `func(user) -> space ids` whose events `user` may read (usable as a decorator)."""
    if func not in _space_scopes:
        _space_scopes.append(func)
    return func


def unregister_space_scope(func: SpaceScope) -> None:
    if func in _space_scopes:
        _space_scopes.remove(func)


def visible_space_ids(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return {str(space) for scope in _space_scopes for space in scope(user)}


def events_visible_to(user):
    if not getattr(user, "is_authenticated", False):
        return AuditEvent.objects.none()
    if is_platform_admin(user):
        return AuditEvent.objects.all()
    spaces = visible_space_ids(user)
    if not spaces:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(space_id__in=spaces)
