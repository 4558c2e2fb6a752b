"""Read-mostly admin views of spaces for platform admins; changes go through the services."""

from django.contrib import admin

from apps.spaces.models import Membership, Space, SpaceCluster, SpaceReminder, SpaceTransition


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class SpaceClusterInline(admin.TabularInline):
    model = SpaceCluster
    fields = ["cluster", "is_primary", "status", "error", "last_attempt_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class SpaceReminderInline(admin.TabularInline):
    model = SpaceReminder
    fields = ["window_days", "expires_at", "sent_at", "recipients"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class SpaceTransitionInline(admin.TabularInline):
    model = SpaceTransition
    fields = ["at", "from_state", "to_state", "actor_name", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ["slug", "environment", "state", "primary_cluster", "owner", "expires_at"]
    list_filter = ["environment", "state"]
    search_fields = ["slug", "display_name", "owner__username"]
    inlines = [SpaceClusterInline, MembershipInline, SpaceTransitionInline, SpaceReminderInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
