from django.urls import path

from apps.approvals import views

app_name = "approvals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/retry-handler/", views.retry_handler, name="retry-handler"),
    path("workflows/", views.workflows, name="workflows"),
    path("workflows/<str:kind>/", views.workflow_edit, name="workflow-edit"),
    path("notifications/read/", views.mark_notifications_read, name="notifications-read"),
]
