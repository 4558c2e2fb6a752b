from django.urls import path

from apps.terminal import views

app_name = "terminal"
urlpatterns = [
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<uuid:key>/", views.session_detail, name="session"),
    path("sessions/<uuid:key>/recording.cast", views.session_recording, name="recording"),
    path("<slug:space>/<slug:app>/", views.terminal, name="open"),
    path("<slug:space>/<slug:app>/check/", views.check, name="check"),
]
