from django.urls import path

from apps.workloads import views

app_name = "workloads"
urlpatterns = [path("", views.index, name="list")]
