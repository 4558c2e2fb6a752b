"""/api/v1/clusters/<name>/ipam/ (policy, pools of the last scan), .../runs/, .../preview/,
.../scan/ and .../release/ (operations, 202), and /api/v1/ipam/runs/<id>/ (a report)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.clusters.api.views import named_problem
from apps.ipam import selectors, services
from apps.ipam.api.serializers import (
    IpamPolicyInputSerializer,
    IpamPolicySerializer,
    IpamRunDetailSerializer,
    IpamRunSerializer,
    LeakCandidateSerializer,
)
from apps.ipam.models import IpamRun
from apps.ipam.permissions import can_view_ipam
from apps.operations.api.serializers import OperationSerializer


def _cluster(request, name: str):
    if not can_view_ipam(request.user):
        raise PermissionDenied(_("Only platform admins see a cluster's IPAM."))
    return selectors.get_cluster_or_404(name)


OVERVIEW = inline_serializer("IpamOverview", {
    "policy": IpamPolicySerializer(),
    "last_run": IpamRunDetailSerializer(allow_null=True),
})  # fmt: skip


class ClusterIpamView(APIView):
    """The cluster's IPAM policy and its last scan (pools, blocks, leaked share); PATCH
    changes the policy (platform admins; unknown fields refused)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=OVERVIEW)
    def get(self, request, name=None):
        cluster = _cluster(request, name)
        last = selectors.last_scan(cluster)
        return Response({
            "policy": IpamPolicySerializer(services.policy_for(cluster)).data,
            "last_run": IpamRunDetailSerializer(last).data if last else None,
        })  # fmt: skip

    @extend_schema(request=IpamPolicyInputSerializer, responses=IpamPolicySerializer)
    def patch(self, request, name=None):
        cluster = _cluster(request, name)
        data = IpamPolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with named_problem():
            policy = services.do_update_policy(cluster, actor=Actor.from_request(request),
                                               **data.validated_data)  # fmt: skip
        return Response(IpamPolicySerializer(policy).data)


class ClusterIpamRunsView(generics.ListAPIView):
    """The cluster's IPAM runs, newest first."""

    serializer_class = IpamRunSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return selectors.runs_of(_cluster(self.request, self.kwargs["name"])).select_related(
            "cluster"
        )


class ClusterIpamPreviewView(generics.ListAPIView):
    """What "release now" would release if its scan finds the same (past the grace period)."""

    serializer_class = LeakCandidateSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        return services.release_preview(_cluster(self.request, self.kwargs["name"]))


class _StartView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    start = staticmethod(services.do_scan_now)

    @extend_schema(request=None, responses={202: OperationSerializer})
    def post(self, request, name=None):
        cluster = _cluster(request, name)
        with named_problem():
            operation = type(self).start(cluster, actor=Actor.from_request(request))
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


class ClusterIpamScanView(_StartView):
    """Scan now: a report, nothing released (an operation, 202)."""

    start = staticmethod(services.do_scan_now)


class ClusterIpamReleaseView(_StartView):
    """Release now what a new scan proves leaked (an operation, 202)."""

    start = staticmethod(services.do_release_now)


class IpamRunDetailView(generics.RetrieveAPIView):
    """One run with its full report."""

    serializer_class = IpamRunDetailSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        if not can_view_ipam(self.request.user):
            raise PermissionDenied(_("Only platform admins see a cluster's IPAM."))
        return get_object_or_404(IpamRun.objects.select_related("cluster"), pk=self.kwargs["pk"])
