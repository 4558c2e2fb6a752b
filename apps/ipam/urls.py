from django.urls import path

from apps.ipam import views

app_name = "ipam"
urlpatterns = [
    path("", views.index, name="index"),
    path("clusters/<slug:name>/", views.cluster_page, name="cluster"),
    path("clusters/<slug:name>/scan/", views.scan_now, name="scan"),
    path("clusters/<slug:name>/release/", views.release_now, name="release"),
    path("runs/<int:pk>/", views.run_page, name="run"),
]
