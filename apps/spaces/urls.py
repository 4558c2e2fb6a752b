from django.urls import path

from apps.spaces import views

app_name = "spaces"
urlpatterns = [path("", views.index, name="list")]
