from django.urls import path

from apps.events.api import views

urlpatterns = [
    path("", views.EventListView.as_view(), name="event-list"),
    path("counts/", views.EventCountsView.as_view(), name="event-counts"),
    path("rules/", views.RuleListView.as_view(), name="event-rule-list"),
    path("rules/<int:pk>/", views.RuleDetailView.as_view(), name="event-rule-detail"),
    path("rules/<int:pk>/silences/", views.SilenceListView.as_view(), name="event-silence-list"),
    path("silences/<int:pk>/", views.SilenceDetailView.as_view(), name="event-silence-detail"),
    path("sinks/", views.SinkListView.as_view(), name="event-sink-list"),
    path("sinks/<int:pk>/", views.SinkDetailView.as_view(), name="event-sink-detail"),
]
