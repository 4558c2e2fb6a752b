"""/api/v1/spaces/<slug>/backups/ (list, back up now) and /api/v1/backups/<id>/."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response

from apps.audit.actors import Actor
from apps.backups import selectors, services
from apps.backups.api.serializers import BackupSerializer
from apps.operations.api.serializers import OperationSerializer
from apps.spaces.selectors import get_space_or_404


class SpaceBackupsView(generics.ListAPIView):
    """The backups of a space, newest first; POST takes one now (an operation, 202)."""

    serializer_class = BackupSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return selectors.backups_of_space(get_space_or_404(self.request.user, self.kwargs["slug"]))

    @extend_schema(request=None, responses={202: OperationSerializer})
    def post(self, request, slug=None):
        space = get_space_or_404(request.user, slug)
        operation = services.do_backup_space(space, actor=Actor.from_request(request))
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


class BackupDetailView(generics.RetrieveAPIView):
    serializer_class = BackupSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        return selectors.get_backup_or_404(self.request.user, self.kwargs["pk"])
