from django.urls import path

from apps.clusters import views

app_name = "clusters"
urlpatterns = [path("", views.index, name="list")]
