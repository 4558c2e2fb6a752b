"""Reads of the audit trail, restricted to what the user may see.

Platform admins see every event. Anyone else sees the events of the spaces that the
registered scope hooks grant them (apps/spaces registers one: the spaces a user owns);
with no hook, or no granted space, a user sees nothing and the audit pages refuse them.
Spaces are named by primary key (`AuditEvent.space_pk`), never by slug: a slug is unique
among live spaces only, and a re-created space must not open its namesake's history.
"""

from collections.abc import Callable, Iterable

from django.utils.translation import gettext_lazy as _

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


# Targets whose pages need a related row to build their address.
_LINK_RELATED = {"workloads.app": ("space",)}
# What people call the common targets (models without a translated verbose name).
TARGET_LABELS = {
    "workloads.app": _("App"), "workloads.apprevision": _("Revision"), "spaces.space": _("Space"),
    "spaces.membership": _("Member"), "clusters.cluster": _("Cluster"),
    "approvals.approvalrequest": _("Approval request"), "accounts.personalaccesstoken": _("Access token"),
}  # fmt: skip


def describe_targets(events) -> list:
    """The events, each with `target_label` (the model's name in the reader's language) and
    `target_url` (its page, when the object still exists and has one): one query per
    target type on the page, not one per row."""
    from django.apps import apps as registry

    events = list(events)
    by_type: dict[str, set[str]] = {}
    for event in events:
        event.target_label, event.target_url = event.target_type, ""
        if event.target_type and event.target_id:
            by_type.setdefault(event.target_type, set()).add(event.target_id)
    urls: dict[tuple[str, str], str] = {}
    labels: dict[str, str] = {}
    for target_type, ids in by_type.items():
        try:
            model = registry.get_model(target_type)
        except (LookupError, ValueError):
            continue
        labels[target_type] = str(
            TARGET_LABELS.get(target_type) or model._meta.verbose_name
        ).capitalize()
        if not hasattr(model, "get_absolute_url"):
            continue
        pks = [i for i in ids if i.isdigit()]
        rows = model._default_manager.filter(pk__in=pks)
        if target_type in _LINK_RELATED:
            rows = rows.select_related(*_LINK_RELATED[target_type])
        for obj in rows:
            urls[(target_type, str(obj.pk))] = obj.get_absolute_url()
    for event in events:
        event.target_label = labels.get(event.target_type, event.target_type)
        event.target_url = urls.get((event.target_type, event.target_id), "")
    return events
