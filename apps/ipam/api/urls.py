from django.urls import path

from apps.ipam.api import views

urlpatterns = [
    path("clusters/<slug:name>/ipam/", views.ClusterIpamView.as_view(), name="cluster-ipam"),
    path("clusters/<slug:name>/ipam/runs/", views.ClusterIpamRunsView.as_view(), name="cluster-ipam-runs"),
    path("clusters/<slug:name>/ipam/preview/", views.ClusterIpamPreviewView.as_view(),
         name="cluster-ipam-preview"),
    path("clusters/<slug:name>/ipam/scan/", views.ClusterIpamScanView.as_view(), name="cluster-ipam-scan"),
    path("clusters/<slug:name>/ipam/release/", views.ClusterIpamReleaseView.as_view(),
         name="cluster-ipam-release"),
    path("ipam/runs/<int:pk>/", views.IpamRunDetailView.as_view(), name="ipam-run-detail"),
]  # fmt: skip
