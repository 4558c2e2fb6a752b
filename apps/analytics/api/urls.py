from django.urls import path

from apps.analytics import selectors
from apps.analytics.api.views import report_view

urlpatterns = [
    path(f"{name}/", report_view(name), name=f"analytics-{name}") for name in selectors.REPORTS
]
