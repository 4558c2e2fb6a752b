"""Mounted at /api/v1/approvals/."""

from rest_framework.routers import SimpleRouter

from apps.approvals.api.views import ApprovalRequestViewSet, WorkflowDefinitionViewSet

router = SimpleRouter()
router.register("requests", ApprovalRequestViewSet, basename="approval-request")
router.register("definitions", WorkflowDefinitionViewSet, basename="approval-definition")
urlpatterns = router.urls
