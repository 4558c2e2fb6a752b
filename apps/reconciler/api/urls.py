from django.urls import path

from apps.reconciler.api import views

urlpatterns = [
    path("passes/", views.passes, name="reconciler-passes"),
    path("drift/", views.drift, name="reconciler-drift"),
    path("clusters/<slug:name>/reconcile/", views.reconcile, name="reconciler-reconcile"),
]
