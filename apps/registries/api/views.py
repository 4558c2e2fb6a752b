"""/api/v1/registries/ (list, register), /api/v1/registries/<name>/ (read, PATCH, DELETE),
.../runs/, .../run/ and .../gc/ (operations, 202), /api/v1/registries/runs/<id>/ (a report).
Platform admins only; passwords are accepted, never returned."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.clusters.api.views import named_problem
from apps.operations.api.serializers import OperationSerializer
from apps.registries import selectors, services
from apps.registries.api.serializers import (
    RegistryCreateSerializer,
    RegistryInputSerializer,
    RegistryRunDetailSerializer,
    RegistryRunSerializer,
    RegistrySerializer,
    RunInputSerializer,
)
from apps.registries.models import Registry, RegistryRun
from apps.registries.permissions import can_view_registries


def _check(request) -> None:
    if not can_view_registries(request.user):
        raise PermissionDenied(_("Only platform admins see image registries."))


def _registry(request, name: str) -> Registry:
    _check(request)
    return selectors.get_registry_or_404(name)


class RegistryListView(APIView):
    """Every registry (GET) and registering one (POST, starts in dry-run mode)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=RegistrySerializer(many=True))
    def get(self, request):
        _check(request)
        return Response(
            RegistrySerializer(Registry.objects.prefetch_related("clusters"), many=True).data
        )

    @extend_schema(request=RegistryCreateSerializer, responses={201: RegistrySerializer})
    def post(self, request):
        _check(request)
        data = RegistryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with named_problem():
            registry = services.do_register_registry(
                actor=Actor.from_request(request), **data.validated_data
            )
        return Response(RegistrySerializer(registry).data, status=status.HTTP_201_CREATED)


class RegistryDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=RegistrySerializer)
    def get(self, request, name=None):
        return Response(RegistrySerializer(_registry(request, name)).data)

    @extend_schema(request=RegistryInputSerializer, responses=RegistrySerializer)
    def patch(self, request, name=None):
        registry = _registry(request, name)
        data = RegistryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with named_problem():
            registry = services.do_update_registry(registry, actor=Actor.from_request(request),
                                                   **data.validated_data)  # fmt: skip
        return Response(RegistrySerializer(registry).data)

    @extend_schema(responses={204: None})
    def delete(self, request, name=None):
        services.do_delete_registry(_registry(request, name), actor=Actor.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegistryRunsView(generics.ListAPIView):
    """The registry's runs (previews, deletes, GCs), newest first."""

    serializer_class = RegistryRunSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return selectors.runs_of(_registry(self.request, self.kwargs["name"]))


class RegistryRunStartView(APIView):
    """Start a retention run: a dry-run report, then (delete mode) its deletions (202)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=RunInputSerializer, responses={202: OperationSerializer})
    def post(self, request, name=None):
        registry = _registry(request, name)
        data = RunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with named_problem():
            operation = services.do_start_run(registry, actor=Actor.from_request(request),
                                              mode=data.validated_data.get("mode"))  # fmt: skip
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


class RegistryGcView(APIView):
    """Start a garbage collection (Harbor: its GC job, followed to the end) (202)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={202: OperationSerializer})
    def post(self, request, name=None):
        registry = _registry(request, name)
        operation = services.do_start_gc(registry, actor=Actor.from_request(request))
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


class RegistryRunDetailView(generics.RetrieveAPIView):
    """One run with its full report: per repository, what is kept and why, what is deleted."""

    serializer_class = RegistryRunDetailSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        _check(self.request)
        return get_object_or_404(
            RegistryRun.objects.select_related("registry"), pk=self.kwargs["pk"]
        )
