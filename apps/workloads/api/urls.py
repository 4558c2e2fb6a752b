from django.urls import path

from apps.workloads.api import views

apps = views.AppViewSet
APP = "<slug:space>/<slug:name>/"

urlpatterns = [
    path("", apps.as_view({"get": "list", "post": "create"}), name="app-list"),
    path("adopt/", apps.as_view({"post": "adopt"}), name="app-adopt"),
    path(
        APP,
        apps.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="app-detail",
    ),
    *[
        path(
            f"{APP}{route}/", apps.as_view({method: action}), name=f"app-{action.replace('_', '-')}"
        )
        for route, action, method in (
            ("deploy", "deploy", "post"),
            ("retry", "retry", "post"),
            ("scale", "scale", "post"),
            ("pause", "pause", "post"),
            ("resume", "resume", "post"),
            ("restart", "restart", "post"),
            ("rollback", "rollback", "post"),
            ("clone", "clone", "post"),
            ("placement", "placement", "post"),
            ("canary", "canary", "post"),
            ("canary/weight", "canary_weight", "post"),
            ("canary/promote", "canary_promote", "post"),
            ("canary/abort", "canary_abort", "post"),
            ("status", "status", "get"),
            ("revisions", "revisions", "get"),
            ("diff", "diff", "get"),
            ("export", "export", "get"),
        )
    ],
    path(f"{APP}revisions/<int:number>/", apps.as_view({"get": "revision"}), name="app-revision"),
]
