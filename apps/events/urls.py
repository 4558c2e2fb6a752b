from django.urls import path

from apps.events import views

app_name = "events"
urlpatterns = [
    path("", views.center, name="center"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:pk>/delete/", views.delete_rule, name="delete_rule"),
    path("rules/<int:pk>/silence/", views.silence_rule, name="silence_rule"),
    path("silences/<int:pk>/end/", views.end_silence, name="end_silence"),
    path("sinks/<int:pk>/delete/", views.delete_sink, name="delete_sink"),
    path("apps/<slug:space_slug>/<slug:name>/", views.app_events, name="app_events"),
    path("apps/<slug:space_slug>/<slug:name>/memory/", views.app_memory_card, name="app_memory"),
]
