from django.urls import path

from apps.podlogs import views

app_name = "podlogs"
urlpatterns = [path("<slug:space>/<slug:app>/", views.logs, name="logs")]
