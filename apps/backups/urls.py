from django.urls import path

from apps.backups import views

app_name = "backups"
urlpatterns = [
    path("spaces/<slug:slug>/", views.space_card, name="space-card"),
    path("spaces/<slug:slug>/take/", views.backup_now, name="take"),
    path("<int:pk>/restore/", views.restore, name="restore"),
]
