from django.urls import path

from apps.kubeproxy import views

app_name = "kubeproxy"
urlpatterns = [
    path("", views.sessions, name="sessions"),
    path("device/", views.device_login, name="device"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
]
