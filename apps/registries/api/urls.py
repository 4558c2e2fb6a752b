from django.urls import path

from apps.registries.api import views

urlpatterns = [
    path("registries/", views.RegistryListView.as_view(), name="registry-list"),
    path(
        "registries/runs/<int:pk>/",
        views.RegistryRunDetailView.as_view(),
        name="registry-run-detail",
    ),
    path("registries/<slug:name>/", views.RegistryDetailView.as_view(), name="registry-detail"),
    path("registries/<slug:name>/runs/", views.RegistryRunsView.as_view(), name="registry-runs"),
    path("registries/<slug:name>/run/", views.RegistryRunStartView.as_view(), name="registry-run"),
    path("registries/<slug:name>/gc/", views.RegistryGcView.as_view(), name="registry-gc"),
]
