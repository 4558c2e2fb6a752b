"""The spaces API: thin views over the selectors (404) and services (403, 400, 409)."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.audit.actors import Actor
from apps.spaces import selectors, services
from apps.spaces.api import serializers as s
from apps.spaces.choices import SpaceState
from apps.spaces.models import SpaceCluster
from apps.spaces.permissions import allowed_actions

PLACEMENTS = Prefetch("placements", queryset=SpaceCluster.objects.select_related("cluster"))


def _user_or_400(username: str):
    user = services.active_user(username)
    if user is None:
        raise ValidationError(
            {"user": [_("There is no active user named '%(user)s'.") % {"user": username}]}
        )
    return user


def _change_result(result, request) -> Response:
    result.space.refresh_from_db()
    body = {
        "applied": result.applied,
        "approval_request": getattr(result.approval, "pk", None),
        "space": s.SpaceSerializer(result.space).data,
    }
    return Response(body, status=status.HTTP_200_OK if result.applied else 202)


LIST_PARAMETERS = [
    OpenApiParameter("environment", OpenApiTypes.STR, description="test, staging, prod or ml"),
    OpenApiParameter(
        "state",
        OpenApiTypes.STR,
        enum=SpaceState.values,
        description="A state; live spaces when left out.",
    ),  # fmt: skip
    OpenApiParameter("q", OpenApiTypes.STR, description="Part of the name."),
]


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class SpaceViewSet(viewsets.GenericViewSet):
    """Spaces the caller may see; every change goes through apps.spaces.services."""

    lookup_field = "slug"
    lookup_value_regex = "[a-z0-9-]{1,63}"
    serializer_class = s.SpaceSerializer

    def get_queryset(self):
        return selectors.spaces_visible_to(self.request.user).prefetch_related(PLACEMENTS)

    def get_object(self):
        return selectors.get_space_or_404(self.request.user, self.kwargs["slug"])

    @extend_schema(responses=s.SpaceListSerializer(many=True))
    def list(self, request):
        params = request.query_params
        spaces = selectors.space_list_for(
            request.user,
            environment=params.get("environment", ""),
            state=params.get("state", ""),
            query=params.get("q", ""),
        ).prefetch_related(PLACEMENTS)
        page = self.paginate_queryset(spaces)
        return self.get_paginated_response(s.SpaceListSerializer(page, many=True).data)

    @extend_schema(request=s.SpaceCreateSerializer, responses={201: s.SpaceCreatedSerializer})
    def create(self, request):
        data = s.SpaceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = services.do_create_space(
            actor=Actor.from_request(request),
            slug=v["slug"],
            environment=v["environment"],
            display_name=v.get("display_name", ""),
            description=v.get("description", ""),
            cluster=v.get("cluster") or None,
            extra_clusters=v.get("extra_clusters") or [],
            quota=v.get("quota") or None,
            reason=v.get("reason", ""),
        )
        space = result.space
        space.approval_request = getattr(result.approval, "pk", None)
        space.quota_request = getattr(result.quota_request, "pk", None)
        return Response(s.SpaceCreatedSerializer(space).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, slug=None):
        return Response(s.SpaceSerializer(self.get_object()).data)

    @extend_schema(request=s.SpaceUpdateSerializer, responses=s.SpaceSerializer)
    def partial_update(self, request, slug=None):
        space = self.get_object()
        data = s.SpaceUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.do_update_space(space, actor=Actor.from_request(request), **data.validated_data)
        return Response(s.SpaceSerializer(space).data)

    @extend_schema(responses={202: s.SpaceSerializer})
    def destroy(self, request, slug=None):
        space = services.do_delete_space(self.get_object(), actor=Actor.from_request(request))
        return Response(s.SpaceSerializer(space).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=s.SpaceSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, slug=None):
        space = services.do_retry_space(self.get_object(), actor=Actor.from_request(request))
        return Response(s.SpaceSerializer(space).data)

    @extend_schema(request=s.SpaceRenewSerializer, responses={200: s.SpaceChangeResultSerializer,
                                                          202: s.SpaceChangeResultSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def renew(self, request, slug=None):
        space = self.get_object()
        data = s.SpaceRenewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.do_renew_space(
            space, actor=Actor.from_request(request), reason=data.validated_data.get("reason", "")
        )
        return _change_result(result, request)

    @extend_schema(request=s.SpaceQuotaRequestSerializer, responses={200: s.SpaceChangeResultSerializer,
                                                                202: s.SpaceChangeResultSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def quota(self, request, slug=None):
        space = self.get_object()
        data = s.SpaceQuotaRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.do_request_quota(
            space, data.validated_data["quota"], actor=Actor.from_request(request),
            reason=data.validated_data.get("reason", ""),
        )  # fmt: skip
        return _change_result(result, request)

    @extend_schema(request=s.SpaceTransferSerializer, responses=s.SpaceSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, slug=None):
        space = self.get_object()
        data = s.SpaceTransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_owner = _user_or_400(data.validated_data["user"])
        services.do_transfer_space(space, new_owner, actor=Actor.from_request(request))
        return Response(s.SpaceSerializer(space).data)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def usage(self, request, slug=None):
        """Hard and used quota per cluster, from the ResourceQuota status (cached briefly)."""
        return Response({"clusters": selectors.quota_usage(self.get_object())})

    @extend_schema(request=None, responses=s.SpaceTransitionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole (short) list
    def timeline(self, request, slug=None):
        transitions = selectors.timeline_of(self.get_object())
        return Response(s.SpaceTransitionSerializer(transitions, many=True).data)

    @extend_schema(request=None, responses=s.SpaceRequestSummarySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def requests(self, request, slug=None):
        found = selectors.requests_for(self.get_object())
        return Response(s.SpaceRequestSummarySerializer(found, many=True).data)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def permissions(self, request, slug=None):
        """What the caller may do to this space: {action: bool}."""
        return Response(allowed_actions(request.user, self.get_object()))


class MemberViewSet(viewsets.GenericViewSet):
    """Members of one space; changes need manage_members (admins and owners)."""

    lookup_field = "username"
    lookup_value_regex = "[^/]+"
    serializer_class = s.MembershipSerializer
    pagination_class = None  # a space's members come as one list

    def space(self):
        return selectors.get_space_or_404(self.request.user, self.kwargs["space_slug"])

    def get_queryset(self):
        return selectors.members_of(self.space())

    def list(self, request, space_slug=None):
        members = selectors.members_of(self.space())
        return Response(s.MembershipSerializer(members, many=True).data)

    @extend_schema(request=s.MemberAddSerializer, responses={201: s.MembershipSerializer})
    def create(self, request, space_slug=None):
        space = self.space()
        data = s.MemberAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.active_user(data.validated_data["user"])
        membership = services.do_add_member(
            space, user, data.validated_data["role"], actor=Actor.from_request(request)
        )
        return Response(s.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, space_slug=None, username=None):
        membership = selectors.membership_or_404(self.space(), username)
        return Response(s.MembershipSerializer(membership).data)

    @extend_schema(request=s.MemberChangeSerializer, responses=s.MembershipSerializer)
    def partial_update(self, request, space_slug=None, username=None):
        membership = selectors.membership_or_404(self.space(), username)
        data = s.MemberChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.do_change_member_role(
            membership, data.validated_data["role"], actor=Actor.from_request(request)
        )
        return Response(s.MembershipSerializer(membership).data)

    def destroy(self, request, space_slug=None, username=None):
        membership = selectors.membership_or_404(self.space(), username)
        services.do_remove_member(membership, actor=Actor.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
