from rest_framework.routers import SimpleRouter

from apps.audit.api import views

router = SimpleRouter()
router.register("events", views.AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
