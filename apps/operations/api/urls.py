from django.urls import path

from apps.operations.api import views

ops = views.OperationViewSet
urlpatterns = [
    path("", ops.as_view({"get": "list"}), name="operation-list"),
    path("<int:pk>/", ops.as_view({"get": "retrieve"}), name="operation-detail"),
    path("<int:pk>/retry/", ops.as_view({"post": "retry"}), name="operation-retry"),
    path("<int:pk>/cancel/", ops.as_view({"post": "cancel"}), name="operation-cancel"),
]
