"""/api/v1/spaces/<slug>/backups/ (list, back up now) and /api/v1/backups/<id>/."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response

from apps.audit.actors import Actor
from apps.backups import selectors, services
from apps.backups.api.serializers import BackupSerializer, RestoreInputSerializer
from apps.backups.restore import do_restore_backup
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


class BackupRestoreView(generics.GenericAPIView):
    """Restore a verified backup into a space of a free name on an enabled cluster: an
    operation (202) whose result reports what was created, skipped and failed."""

    serializer_class = RestoreInputSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=RestoreInputSerializer, responses={202: OperationSerializer})
    def post(self, request, pk=None):
        backup = selectors.get_backup_or_404(request.user, pk)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        operation = do_restore_backup(
            backup, actor=Actor.from_request(request), slug=data.validated_data.get("slug", ""),
            cluster=data.validated_data.get("cluster", ""),
        )  # fmt: skip
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)
