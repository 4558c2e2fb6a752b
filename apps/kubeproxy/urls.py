from django.urls import path

from apps.kubeproxy import views

app_name = "kubeproxy"
urlpatterns = [
    path("", views.sessions, name="sessions"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
]
