"""Django admin for users and groups, audited like every other change.

docs/identity.md sends platform admins here to change roles. A role (a group named by
`Role`) changes only through `do_set_user_roles`, the one audited, permission-checked
path; other groups, the staff/superuser/active flags and group permissions are recorded
as `user.update` / `group.update` events. Role groups keep their names (roles are found
by name) and cannot be deleted here.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from apps.accounts.roles import Role
from apps.accounts.services import do_set_user_roles
from apps.audit.actors import Actor
from apps.audit.services import diff, record

User = get_user_model()
FLAGS = ["is_active", "is_staff", "is_superuser"]


def _is_role(group) -> bool:
    return group is not None and group.name in Role.values


def _other_groups(groups) -> list[str]:
    return sorted(g.name for g in groups if not _is_role(g))


class AuditedUserAdmin(UserAdmin):
    def save_model(self, request, obj, form, change):
        if change and obj.pk:
            stored = User.objects.get(pk=obj.pk)
            obj._audit_flags = {name: getattr(stored, name) for name in FLAGS}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        user = form.instance
        if "groups" not in form.cleaned_data:
            super().save_related(request, form, formsets, change)
            return
        chosen = list(form.cleaned_data["groups"])
        current = list(user.groups.all())
        wanted_roles = {g.name for g in chosen if _is_role(g)}
        # The form saves the other groups; role groups stay as they are until the service.
        form.cleaned_data["groups"] = [g for g in chosen if not _is_role(g)] + [
            g for g in current if _is_role(g)
        ]
        super().save_related(request, form, formsets, change)
        do_set_user_roles(user, wanted_roles, actor=Actor.from_request(request))
        flags = getattr(user, "_audit_flags", None)
        changes = diff(flags, {n: getattr(user, n) for n in FLAGS}) if flags is not None else {}
        before_groups, after_groups = _other_groups(current), _other_groups(chosen)
        if before_groups != after_groups:
            changes["groups"] = {"before": before_groups, "after": after_groups}
        if changes:
            record(Actor.from_request(request), "user.update", user, changes=changes)


class AuditedGroupAdmin(GroupAdmin):
    def get_readonly_fields(self, request, obj=None):
        return ("name",) if _is_role(obj) else ()

    def has_delete_permission(self, request, obj=None):
        return not _is_role(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj._audit_before = _group_state(Group.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        group = form.instance
        changes = diff(getattr(group, "_audit_before", {}), _group_state(group))
        if changes:
            action = "group.update" if change else "group.create"
            record(Actor.from_request(request), action, group, changes=changes)

    def delete_model(self, request, obj):
        record(
            Actor.from_request(request), "group.delete", obj, changes=diff(_group_state(obj), {})
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        if any(_is_role(group) for group in queryset):
            raise PermissionDenied
        for group in queryset:
            self.delete_model(request, group)


def _group_state(group) -> dict:
    perms = group.permissions.values_list("content_type__app_label", "codename")
    return {"name": group.name, "permissions": sorted(f"{app}.{code}" for app, code in perms)}


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)
