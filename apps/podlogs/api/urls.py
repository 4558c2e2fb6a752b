from django.urls import path

from apps.podlogs.api.views import AppLogsView

urlpatterns = [path("<slug:space>/<slug:name>/logs/", AppLogsView.as_view(), name="app-logs")]
