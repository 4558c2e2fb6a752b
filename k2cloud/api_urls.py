"""The K2 REST API, version 1: every app mounts its API under /api/v1/."""

from django.urls import include, path

app_name = "api"
urlpatterns = [
    path("", include("apps.accounts.api.urls")),
    path("audit/", include("apps.audit.api.urls")),
    path("approvals/", include("apps.approvals.api.urls")),
    path("", include("apps.backups.api.urls")),  # before spaces/: spaces/<slug>/backups/
    path("spaces/", include("apps.spaces.api.urls")),
    path("apps/", include("apps.workloads.api.urls")),
    path("apps/", include("apps.podlogs.api.urls")),
    path("", include("apps.ipam.api.urls")),  # before clusters/: clusters/<name>/ipam/
    path("", include("apps.clusters.api.urls")),
    path("", include("apps.registries.api.urls")),
    path("reconciler/", include("apps.reconciler.api.urls")),
    path("analytics/", include("apps.analytics.api.urls")),
    path("operations/", include("apps.operations.api.urls")),
    path("events/", include("apps.events.api.urls")),
    path("k2ctl/", include("apps.kubeproxy.api.urls")),
]
