from django.urls import path

from apps.registries import views

app_name = "registries"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:pk>/", views.run_page, name="run"),
    path("<slug:name>/", views.detail, name="detail"),
    path("<slug:name>/preview/", views.start, {"what": "preview"}, name="preview"),
    path("<slug:name>/run/", views.start, {"what": "run"}, name="run-now"),
    path("<slug:name>/gc/", views.start, {"what": "gc"}, name="gc"),
]
