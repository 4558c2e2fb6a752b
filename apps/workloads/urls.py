from django.urls import path

from apps.workloads import views

app_name = "workloads"
APP = "<slug:space_slug>/<slug:name>/"
urlpatterns = [
    path("", views.index, name="list"),
    path("<slug:space_slug>/", views.index, name="space"),
    path("<slug:space_slug>/new/", views.create, name="create"),
    path("<slug:space_slug>/validate/", views.validate, name="validate"),
    path("<slug:space_slug>/adopt/", views.adopt, name="adopt"),
    path(APP, views.detail, name="detail"),
    path(f"{APP}edit/", views.edit, name="edit"),
    path(f"{APP}status/", views.status_fragment, name="status"),
    path(f"{APP}export.yaml", views.export, name="export"),
    path(f"{APP}do/<slug:verb>/", views.action, name="action"),
]
