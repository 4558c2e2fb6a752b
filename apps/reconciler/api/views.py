"""/api/v1/reconciler/: passes and "reconcile now" (platform admins), drift history (anyone,
for the apps they can see)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.audit.actors import Actor
from apps.clusters.models import Cluster
from apps.reconciler import selectors, services
from apps.reconciler.api.serializers import DriftSerializer, PassSerializer
from apps.reconciler.permissions import can_view_reconciler
from apps.workloads.selectors import apps_visible_to


@extend_schema(responses=PassSerializer(many=True))
@api_view(["GET"])
def passes(request):
    if not can_view_reconciler(request.user):
        raise PermissionDenied(_("Only platform admins may see reconcile passes."))
    cluster = request.query_params.get("cluster")
    cluster = get_object_or_404(Cluster, name=cluster) if cluster else None
    return Response(PassSerializer(selectors.recent_passes(cluster=cluster), many=True).data)


@extend_schema(request=None, responses={202: None})
@api_view(["POST"])
def reconcile(request, name: str):
    cluster = get_object_or_404(Cluster, name=name)
    services.do_request_reconcile(cluster, actor=Actor.from_request(request))
    return Response(status=status.HTTP_202_ACCEPTED)


@extend_schema(responses=DriftSerializer(many=True))
@api_view(["GET"])
def drift(request):
    visible = apps_visible_to(request.user)
    space, app = request.query_params.get("space"), request.query_params.get("app")
    if space:
        visible = visible.filter(space__slug=space)
    if app:
        visible = visible.filter(name=app)
    return Response(DriftSerializer(selectors.drift_history(apps=visible), many=True).data)
