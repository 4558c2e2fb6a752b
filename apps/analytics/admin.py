from django.contrib import admin

from apps.analytics.models import AnalyticsOptOut


@admin.register(AnalyticsOptOut)
class AnalyticsOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "reason", "created_at"]
    raw_id_fields = ["user"]
