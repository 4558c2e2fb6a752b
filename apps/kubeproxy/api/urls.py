from django.urls import path

from apps.kubeproxy.api import views

urlpatterns = [
    path("sessions/", views.SessionsView.as_view(), name="k2ctl-sessions"),
    path("sessions/current/", views.CurrentSessionView.as_view(), name="k2ctl-session-current"),
    path("device/", views.DeviceStartView.as_view(), name="k2ctl-device"),
    path("device/token/", views.DeviceTokenView.as_view(), name="k2ctl-device-token"),
    path("whoami/", views.WhoamiView.as_view(), name="k2ctl-whoami"),
    path("spaces/", views.SpacesView.as_view(), name="k2ctl-spaces"),
    path("spaces/<slug:slug>/", views.SpaceView.as_view(), name="k2ctl-space"),
]
