"""The approvals API: requests (list, detail, submit, decide, cancel) and workflow definitions.

Every request lookup goes through requests_visible_to(user) first, so a request the
caller may not see is a 404 whatever the action; the services answer 403 (not an
approver of the current step, not the requester) and 409 (decided, or decided twice).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.roles import is_platform_admin
from apps.approvals.api.serializers import (
    STATE_CHOICES,
    DecideSerializer,
    DefinitionSerializer,
    RequestDetailSerializer,
    RequestSerializer,
    SubmitSerializer,
)
from apps.approvals.models import ApprovalRequest, WorkflowDefinition
from apps.approvals.permissions import can_cancel, can_manage_definitions
from apps.approvals.selectors import (
    definitions,
    has_decided_current_step,
    inbox_for,
    is_current_approver,
    request_with_history,
    requested_by,
    requests_visible_to,
    step_timeline,
)
from apps.approvals.services import (
    do_cancel_request,
    do_decide,
    do_retry_handler,
    do_submit_request,
    do_update_definition,
)
from apps.audit.actors import Actor

ERRORS = {
    400: OpenApiResponse(description="Invalid input: the envelope's `fields` names the fields."),
    403: OpenApiResponse(description="Not allowed (e.g. not an approver of the current step)."),
    404: OpenApiResponse(description="No such request, or not visible to the caller."),
    409: OpenApiResponse(description="The request is decided, or the caller decided this step."),
}
SCOPES = ["visible", "inbox", "mine", "all"]


def _param(name, description, **kwargs):
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.QUERY, description=description, **kwargs
    )


class ApprovalRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Approval requests the caller may see."""

    queryset = ApprovalRequest.objects.none()  # for the schema; requests use get_queryset
    serializer_class = RequestSerializer

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return request_with_history(requests_visible_to(user))
        params = self.request.query_params
        scope = params.get("scope", "visible")
        errors = {}
        if scope not in SCOPES:
            errors["scope"] = [_("Choose one of: %(s)s.") % {"s": ", ".join(SCOPES)}]
        if scope == "all" and not is_platform_admin(user):
            raise exceptions.PermissionDenied(_("Only platform admins list all requests."))
        state = params.get("state")
        if state and state not in STATE_CHOICES:
            errors["state"] = [_("Choose one of: %(s)s.") % {"s": ", ".join(STATE_CHOICES)}]
        if errors:
            raise exceptions.ValidationError(errors)
        qs = {
            "inbox": inbox_for,
            "mine": requested_by,
        }.get(scope, requests_visible_to)(user)
        if state:
            qs = qs.filter(state=state)
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        return qs.order_by("-created_at", "-id")

    def _detail(self, obj, code=status.HTTP_200_OK):
        user = self.request.user
        obj = request_with_history(requests_visible_to(user)).get(pk=obj.pk)
        context = {
            "request": self.request,
            "timeline": step_timeline(obj),
            "can_decide": is_current_approver(user, obj)
            and not has_decided_current_step(user, obj),
            "can_cancel": can_cancel(user, obj),
        }
        return Response(RequestDetailSerializer(obj, context=context).data, status=code)

    @extend_schema(
        parameters=[
            _param(
                "scope",
                "visible (default): all the caller may see; inbox: waiting for the caller's "
                "decision; mine: made by the caller; all: every request (platform admins).",
                enum=SCOPES,
            ),
            _param("state", "Request state.", enum=STATE_CHOICES),
            _param("kind", "Request kind, e.g. space.create.prod."),
        ],
        responses={200: RequestSerializer(many=True), 400: ERRORS[400], 403: ERRORS[403]},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: RequestDetailSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        request=SubmitSerializer,
        responses={201: RequestDetailSerializer, 400: ERRORS[400]},
        description="Submit a request of a kind that allows direct submission.",
    )
    def create(self, request):
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        target = (v["target_type"], v["target_id"], v["target_name"]) if v["target_id"] else None
        obj = do_submit_request(
            v["kind"],
            v["payload"],
            actor=Actor.from_request(request),
            reason=v["reason"],
            target=target,
        )
        return self._detail(obj, status.HTTP_201_CREATED)

    @extend_schema(
        request=DecideSerializer,
        responses={200: RequestDetailSerializer, **ERRORS},
        description="Approve or reject the current step (a rejection needs a comment).",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        obj = self.get_object()
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approve = data.validated_data["verdict"] == "approve"
        obj = do_decide(
            obj,
            actor=Actor.from_request(request),
            approve=approve,
            comment=data.validated_data["comment"],
        )
        return self._detail(obj)

    @extend_schema(
        request=None,
        responses={
            200: RequestDetailSerializer,
            403: ERRORS[403],
            404: ERRORS[404],
            409: ERRORS[409],
        },
        description="Withdraw a pending request (the requester only).",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._detail(do_cancel_request(self.get_object(), actor=Actor.from_request(request)))

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"], url_path="retry-handler")
    def retry_handler(self, request, pk=None):
        """Platform admins: run a failed on-approved/on-rejected handler again."""
        do_retry_handler(self.get_object(), actor=Actor.from_request(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class IsPlatformAdmin(permissions.BasePermission):
    message = _("Only platform admins read and change approval workflows.")

    def has_permission(self, request, view):
        return can_manage_definitions(request.user)


class WorkflowDefinitionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Workflow definitions, one per request kind (platform admins)."""

    queryset = WorkflowDefinition.objects.none()
    serializer_class = DefinitionSerializer
    permission_classes = [permissions.IsAuthenticated, IsPlatformAdmin]
    lookup_field = "kind"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):
        return definitions().select_related("updated_by")

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        definition = self.get_object()
        data = DefinitionSerializer(definition, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        definition = do_update_definition(
            definition,
            actor=Actor.from_request(request),
            steps=v.get("steps"),
            name=v.get("name"),
            description=v.get("description"),
            is_active=v.get("is_active"),
        )
        return Response(DefinitionSerializer(self.get_queryset().get(pk=definition.pk)).data)
