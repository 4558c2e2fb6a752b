"""/api/v1/operations/: background work the caller may see, with retry and cancel."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit.actors import Actor
from apps.operations import services
from apps.operations.api.serializers import OperationSerializer
from apps.operations.choices import OperationState
from apps.operations.selectors import operation_list_for, operations_visible_to

FILTERS = [
    OpenApiParameter("state", OpenApiTypes.STR, OpenApiParameter.QUERY,
                     description="Operation state.", enum=OperationState.values),
    OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.QUERY,
                     description="Operation kind, e.g. 'approvals.run_handler'."),
    OpenApiParameter("space", OpenApiTypes.STR, OpenApiParameter.QUERY,
                     description="Space id (slug)."),
]  # fmt: skip


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class OperationViewSet(viewsets.ReadOnlyModelViewSet):
    """All operations for platform admins; those of their spaces for everyone else."""

    serializer_class = OperationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if self.action != "list":
            return operations_visible_to(self.request.user)
        q = self.request.query_params
        state = q.get("state", "")
        return operation_list_for(
            self.request.user, state=state if state in OperationState.values else "",
            kind=q.get("kind", ""), space=q.get("space", ""),
        )  # fmt: skip

    @extend_schema(request=None, responses=OperationSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        operation = services.do_retry_operation(
            self.get_object(), actor=Actor.from_request(request)
        )
        return Response(OperationSerializer(operation).data)

    @extend_schema(request=None, responses=OperationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        operation = services.do_cancel_operation(
            self.get_object(), actor=Actor.from_request(request)
        )
        return Response(OperationSerializer(operation).data)
