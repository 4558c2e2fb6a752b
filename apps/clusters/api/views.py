"""The clusters API: thin views over apps.clusters.services and selectors."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.audit.actors import Actor
from apps.clusters import services
from apps.clusters.api.serializers import (
    ClusterRegisterSerializer,
    ClusterSerializer,
    ClusterSummarySerializer,
    ClusterUpdateSerializer,
    EnvironmentPolicySerializer,
    PlacementSerializer,
    PolicyInputSerializer,
    PolicySerializer,
    ProbeSerializer,
)
from apps.clusters.choices import Environment
from apps.clusters.models import Cluster
from apps.clusters.permissions import can_view_cluster_details, can_view_cluster_summary
from apps.clusters.placement import choose_cluster
from apps.clusters.selectors import clusters_visible_to, probe_history


class CanSeeClusters(permissions.BasePermission):
    """Reads need a platform role; writes are decided (and denials audited) by the services."""

    message = gettext_lazy("You need a platform role to see clusters.")

    def has_permission(self, request, view):
        if request.method not in permissions.SAFE_METHODS:
            return True
        return can_view_cluster_summary(request.user)


@contextmanager
def named_problem():
    """A service's field errors, with the problem also in the envelope's top-level message
    (the default message only lists the field names)."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        detail = {field: list(msgs) for field, msgs in exc.message_dict.items()}
        detail["non_field_errors"] = [m for msgs in exc.message_dict.values() for m in msgs]
        raise ValidationError(detail) from exc


def _actor(request):
    return Actor.from_request(request)


class ClusterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Clusters: admins see and change everything; others see a read-only summary."""

    lookup_field = "name"
    lookup_value_regex = "[a-z0-9-]+"
    permission_classes = [permissions.IsAuthenticated, CanSeeClusters]
    # Each registration connects to an address the caller chose (apps/core/api/throttling.py).
    throttle_scopes = {"create": "cluster-register", "partial_update": "cluster-register"}
    queryset = Cluster.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return clusters_visible_to(self.request.user).order_by("environment", "name")

    def get_serializer_class(self):
        if can_view_cluster_details(self.request.user):
            return ClusterSerializer
        return ClusterSummarySerializer

    def _respond(self, cluster, code=status.HTTP_200_OK):
        cluster = Cluster.objects.select_related("policy").get(pk=cluster.pk)
        return Response(ClusterSerializer(cluster).data, status=code)

    @extend_schema(request=ClusterRegisterSerializer, responses={201: ClusterSerializer})
    def create(self, request):
        data = ClusterRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with named_problem():
            cluster = services.do_register_cluster(**data.validated_data, actor=_actor(request))
        return self._respond(cluster, status.HTTP_201_CREATED)

    @extend_schema(request=ClusterUpdateSerializer, responses=ClusterSerializer)
    def partial_update(self, request, name=None):
        cluster = self.get_object()
        data = ClusterUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        with named_problem():
            cluster = services.do_update_cluster(
                cluster, **data.validated_data, actor=_actor(request)
            )
        return self._respond(cluster)

    def _flag(self, request, service):
        return self._respond(service(self.get_object(), actor=_actor(request)))

    @extend_schema(request=None, responses=ClusterSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, name=None):
        return self._flag(request, services.do_disable_cluster)

    @extend_schema(request=None, responses=ClusterSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, name=None):
        return self._flag(request, services.do_enable_cluster)

    @extend_schema(request=None, responses=ClusterSerializer)
    @action(detail=True, methods=["post"])
    def cordon(self, request, name=None):
        return self._flag(request, services.do_cordon_cluster)

    @extend_schema(request=None, responses=ClusterSerializer)
    @action(detail=True, methods=["post"])
    def uncordon(self, request, name=None):
        return self._flag(request, services.do_uncordon_cluster)

    @extend_schema(request=None, responses=ProbeSerializer)
    @action(detail=True, methods=["post"])
    def probe(self, request, name=None):
        probe = services.do_probe_cluster_now(self.get_object(), actor=_actor(request))
        return Response(ProbeSerializer(probe).data)

    @extend_schema(responses=ProbeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the recent history
    def probes(self, request, name=None):
        cluster = self.get_object()
        if not can_view_cluster_details(request.user):
            raise PermissionDenied(_("Only platform admins see probe history."))
        return Response(ProbeSerializer(probe_history(cluster), many=True).data)

    @extend_schema(methods=["GET"], responses=PolicySerializer)
    @extend_schema(methods=["PATCH"], request=PolicyInputSerializer, responses=PolicySerializer)
    @action(detail=True, methods=["get", "patch"])
    def policy(self, request, name=None):
        cluster = self.get_object()
        if request.method == "GET":
            return Response(PolicySerializer(cluster.policy).data)
        data = PolicyInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        with named_problem():
            policy = services.do_update_cluster_policy(
                cluster, dict(data.validated_data), actor=_actor(request)
            )
        return Response(PolicySerializer(policy).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("environment", enum=Environment.values, required=True),
            OpenApiParameter("cpu", str, description="CPU the space needs (quantity)"),
            OpenApiParameter("memory", str, description="Memory the space needs (quantity)"),
        ],
        responses=PlacementSerializer,
    )
    @action(detail=False, methods=["get"])
    def placement(self, request):
        environment = request.query_params.get("environment", "")
        if environment not in Environment.values:
            raise ValidationError(
                {
                    "environment": [
                        _("Pick one of: %(envs)s.") % {"envs": ", ".join(Environment.values)}
                    ]
                }
            )
        try:
            result = choose_cluster(
                environment,
                cpu=request.query_params.get("cpu"),
                memory=request.query_params.get("memory"),
            )
        except ValueError as exc:
            raise ValidationError(
                {"cpu": [_("Give CPU and memory as Kubernetes quantities such as 4 and 8Gi.")]}
            ) from exc
        body = {
            "cluster": result.cluster.name if result.cluster else None,
            "reason": result.reason,
            "skipped": result.skipped,
        }
        return Response(PlacementSerializer(body).data)


class EnvironmentPolicyViewSet(viewsets.GenericViewSet):
    """Defaults per environment that new clusters start with."""

    lookup_field = "environment"
    lookup_value_regex = "[a-z0-9-]+"
    serializer_class = EnvironmentPolicySerializer
    permission_classes = [permissions.IsAuthenticated, CanSeeClusters]
    pagination_class = None  # one row per environment

    def list(self, request):
        rows = [services.environment_policy(env) for env in Environment.values]
        return Response(EnvironmentPolicySerializer(rows, many=True).data)

    def retrieve(self, request, environment=None):
        if environment not in Environment.values:
            raise Http404
        return Response(EnvironmentPolicySerializer(services.environment_policy(environment)).data)

    @extend_schema(request=PolicyInputSerializer, responses=EnvironmentPolicySerializer)
    def partial_update(self, request, environment=None):
        if environment not in Environment.values:
            raise Http404
        data = PolicyInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        with named_problem():
            policy = services.do_update_environment_policy(
                environment, dict(data.validated_data), actor=_actor(request)
            )
        return Response(EnvironmentPolicySerializer(policy).data)
