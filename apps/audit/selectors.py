"""Reads of the audit trail, restricted to what the user may see.

Platform admins see every event. Anyone else sees the events of the spaces that the
registered scope hooks grant them (apps/spaces registers one: the spaces a user owns);
with no hook, or no granted space, a user sees nothing and the audit pages refuse them.
Spaces are named by primary key (`AuditEvent.space_pk`), never by slug: a slug is unique
among live spaces only, and a re-created space must not open its namesake's history.
"""

from collections.abc import Callable, Iterable

from apps.accounts.roles import is_platform_admin
from apps.audit.models import AuditEvent

SpaceScope = Callable[[object], Iterable[int]]
_space_scopes: list[SpaceScope] = []


def register_space_scope(func: SpaceScope) -> SpaceScope:
    """Register `func(user) -> space primary keys` whose events `user` may read (usable as a
    decorator)."""
    if func not in _space_scopes:
        _space_scopes.append(func)
    return func


def unregister_space_scope(func: SpaceScope) -> None:
    if func in _space_scopes:
        _space_scopes.remove(func)


def visible_space_ids(user) -> set[int]:
    """Primary keys of the spaces whose events `user` may read."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {int(space) for scope in _space_scopes for space in scope(user)}


def events_visible_to(user):
    if not getattr(user, "is_authenticated", False):
        return AuditEvent.objects.none()
    if is_platform_admin(user):
        return AuditEvent.objects.all()
    spaces = visible_space_ids(user)
    if not spaces:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(space_pk__in=spaces)
