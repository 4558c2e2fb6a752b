from django.urls import path

from apps.reconciler import views

app_name = "reconciler"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:name>/reconcile/", views.reconcile_now, name="reconcile"),
    path("<slug:name>/log-collection/", views.log_collection, name="log-collection"),
]
