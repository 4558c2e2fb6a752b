from django.urls import path

from apps.backups.api import views

urlpatterns = [
    path("spaces/<slug:slug>/backups/", views.SpaceBackupsView.as_view(), name="space-backups"),
    path("backups/<int:pk>/", views.BackupDetailView.as_view(), name="backup-detail"),
    path("backups/<int:pk>/restore/", views.BackupRestoreView.as_view(), name="backup-restore"),
]
