from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core import ops

handler400 = "apps.core.errors.bad_request"
handler403 = "apps.core.errors.permission_denied"
handler404 = "apps.core.errors.page_not_found"
handler500 = "apps.core.errors.server_error"

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    # Prometheus text for a scraper with the metrics token (the name django-prometheus uses).
    path("metrics", ops.metrics, name="prometheus-django-metrics"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("api/v1/", include("k2cloud.api_urls")),
    path("account/k2ctl-sessions/", include("apps.kubeproxy.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.core.urls")),
    path("spaces/", include("apps.spaces.urls")),
    path("apps/", include("apps.workloads.urls")),
    path("approvals/", include("apps.approvals.urls")),
    path("clusters/", include("apps.clusters.urls")),
    path("reconciler/", include("apps.reconciler.urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("audit/", include("apps.audit.urls")),
    path("operations/", include("apps.operations.urls")),
    path("backups/", include("apps.backups.urls")),
    path("terminal/", include("apps.terminal.urls")),
    path("logs/", include("apps.podlogs.urls")),
    path("ipam/", include("apps.ipam.urls")),
    path("events/", include("apps.events.urls")),
    path("registries/", include("apps.registries.urls")),
]

if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
