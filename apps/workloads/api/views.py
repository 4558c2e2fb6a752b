"""The apps API: thin views over the selectors (404) and services (403, 400)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.audit.actors import Actor
from apps.spaces.selectors import get_space_or_404
from apps.workloads import selectors, services
from apps.workloads.api import serializers as s
from apps.workloads.rendering.spec import DNS_LABEL_RE
from apps.workloads.status import read_status

LIST_PARAMETERS = [
    OpenApiParameter("space", OpenApiTypes.STR, description="Only the apps of this space."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Part of the name."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="service, stateful, job or cronjob"),
    OpenApiParameter("status", OpenApiTypes.STR),
]


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _placement(items):
    return [dict(item) for item in items] if items is not None else None


class AppViewSet(viewsets.GenericViewSet):
    """Apps the caller may see; every change goes through apps.workloads.services."""

    serializer_class = s.AppSerializer

    def get_queryset(self):
        return selectors.apps_visible_to(self.request.user)

    def get_object(self):
        return selectors.get_app_or_404(
            self.request.user, self.kwargs["space"], self.kwargs["name"]
        )

    def _actor(self):
        return Actor.from_request(self.request)

    def _detail(self, app, code=status.HTTP_200_OK):
        app = selectors.get_app_or_404(self.request.user, app.space.slug, app.name)
        return Response(s.AppDetailSerializer(app).data, status=code)

    @extend_schema(parameters=LIST_PARAMETERS, responses=s.AppSerializer(many=True))
    def list(self, request):
        params = request.query_params
        space = get_space_or_404(request.user, params["space"]) if params.get("space") else None
        apps = selectors.app_list_for(
            request.user, space=space, query=params.get("q", ""), kind=params.get("kind", ""),
            status=params.get("status", ""),
        )  # fmt: skip
        page = self.paginate_queryset(apps)
        return self.get_paginated_response(s.AppSerializer(page, many=True).data)

    @extend_schema(request=s.AppCreateSerializer, responses={201: s.AppDetailSerializer})
    def create(self, request):
        v = _valid(s.AppCreateSerializer, request)
        space = get_space_or_404(request.user, v["space"])
        app = services.do_create_app(
            space, name=v["name"], spec=v["spec"], replicas=v["replicas"],
            placement=_placement(v.get("placement")), description=v["description"],
            message=v["message"], actor=self._actor(),
        )  # fmt: skip
        return self._detail(app, status.HTTP_201_CREATED)

    @extend_schema(responses=s.AppDetailSerializer)
    def retrieve(self, request, space, name):
        return Response(s.AppDetailSerializer(self.get_object()).data)

    @extend_schema(request=s.AppEditSerializer, responses=s.AppDetailSerializer)
    def partial_update(self, request, space, name):
        app = self.get_object()
        v = _valid(s.AppEditSerializer, request)
        services.do_edit_app(app, spec=v["spec"], message=v["message"], actor=self._actor())
        return self._detail(app)

    @extend_schema(request=None, responses={202: s.AppDetailSerializer})
    def destroy(self, request, space, name):
        app = services.do_delete_app(self.get_object(), actor=self._actor())
        return self._detail(app, status.HTTP_202_ACCEPTED)

    # --- actions -------------------------------------------------------------------------
    @extend_schema(request=None, responses=s.AppDetailSerializer)
    def deploy(self, request, space, name):
        return self._detail(services.do_deploy_app(self.get_object(), actor=self._actor()))

    @extend_schema(request=None, responses=s.AppDetailSerializer)
    def retry(self, request, space, name):
        """Push an unsettled app on again (deploying, pending, failed, or stuck deleting)."""
        return self._detail(services.do_retry_app(self.get_object(), actor=self._actor()))

    @extend_schema(request=s.ScaleSerializer, responses=s.AppDetailSerializer)
    def scale(self, request, space, name):
        app = self.get_object()
        v = _valid(s.ScaleSerializer, request)
        return self._detail(services.do_scale_app(app, v["replicas"], actor=self._actor()))

    @extend_schema(request=None, responses=s.AppDetailSerializer)
    def pause(self, request, space, name):
        return self._detail(services.do_pause_app(self.get_object(), actor=self._actor()))

    @extend_schema(request=None, responses=s.AppDetailSerializer)
    def resume(self, request, space, name):
        return self._detail(services.do_resume_app(self.get_object(), actor=self._actor()))

    @extend_schema(request=None, responses=s.AppDetailSerializer)
    def restart(self, request, space, name):
        return self._detail(services.do_restart_app(self.get_object(), actor=self._actor()))

    @extend_schema(request=s.RollbackSerializer, responses=s.AppDetailSerializer)
    def rollback(self, request, space, name):
        app = self.get_object()
        v = _valid(s.RollbackSerializer, request)
        services.do_rollback_app(app, v["revision"], message=v["message"], actor=self._actor())
        return self._detail(app)

    @extend_schema(request=s.CloneSerializer, responses={201: s.AppDetailSerializer})
    def clone(self, request, space, name):
        app = self.get_object()
        v = _valid(s.CloneSerializer, request)
        target = selectors.clone_target(request.user, app, v.get("target_space"))
        clone = services.do_clone_app(
            app, target_space=target, name=v["name"], message=v["message"], actor=self._actor()
        )
        return self._detail(clone, status.HTTP_201_CREATED)

    @extend_schema(request=s.PlacementChangeSerializer, responses=s.AppDetailSerializer)
    def placement(self, request, space, name):
        app = self.get_object()
        v = _valid(s.PlacementChangeSerializer, request)
        return self._detail(
            services.do_set_placement(app, _placement(v["placement"]), actor=self._actor())
        )

    @extend_schema(request=s.CanarySerializer, responses=s.AppDetailSerializer)
    def canary(self, request, space, name):
        app = self.get_object()
        v = _valid(s.CanarySerializer, request)
        services.do_start_canary(
            app, spec=v["spec"], weight=v["weight"], replicas=v["replicas"], message=v["message"],
            actor=self._actor(),
        )  # fmt: skip
        return self._detail(app)

    @extend_schema(request=s.WeightSerializer, responses=s.AppDetailSerializer)
    def canary_weight(self, request, space, name):
        app = self.get_object()
        v = _valid(s.WeightSerializer, request)
        return self._detail(services.do_set_canary_weight(app, v["weight"], actor=self._actor()))

    @extend_schema(request=None, responses=s.AppDetailSerializer)
    def canary_promote(self, request, space, name):
        return self._detail(services.do_promote_canary(self.get_object(), actor=self._actor()))

    @extend_schema(request=None, responses=s.AppDetailSerializer)
    def canary_abort(self, request, space, name):
        return self._detail(services.do_abort_canary(self.get_object(), actor=self._actor()))

    @extend_schema(request=s.AdoptSerializer, responses={201: s.AppDetailSerializer})
    def adopt(self, request):
        v = _valid(s.AdoptSerializer, request)
        space = get_space_or_404(request.user, v["space"])
        app = services.do_adopt_deployment(
            space, deployment=v["deployment"], name=v.get("name"), cluster_name=v.get("cluster"),
            actor=self._actor(),
        )  # fmt: skip
        return self._detail(app, status.HTTP_201_CREATED)

    # --- reads ---------------------------------------------------------------------------
    @extend_schema(responses=s.StatusSerializer)
    def status(self, request, space, name):
        return Response(read_status(self.get_object()))

    @extend_schema(responses=s.RevisionSerializer(many=True))
    def revisions(self, request, space, name):
        revisions = selectors.revisions_of(self.get_object())
        page = self.paginate_queryset(revisions)
        return self.get_paginated_response(s.RevisionSerializer(page, many=True).data)

    @extend_schema(responses=s.RevisionDetailSerializer)
    def revision(self, request, space, name, number):
        revision = selectors.get_revision_or_404(self.get_object(), number)
        return Response(s.RevisionDetailSerializer(revision).data)

    @extend_schema(
        parameters=[OpenApiParameter("from", OpenApiTypes.INT, required=True),
                    OpenApiParameter("to", OpenApiTypes.INT)],
        responses=s.DiffSerializer,
    )  # fmt: skip
    def diff(self, request, space, name):
        app = self.get_object()
        params = request.query_params
        if not str(params.get("from", "")).isdigit():
            raise ValidationError({"from": [_("Give the revision number to compare from.")]})
        old = selectors.get_revision_or_404(app, params["from"])
        new = selectors.get_revision_or_404(app, params.get("to") or app.revision.number)
        return Response(
            {
                "from_revision": old.number,
                "to_revision": new.number,
                "diff": selectors.revision_diff(old, new),
            }
        )

    @extend_schema(
        parameters=[OpenApiParameter("cluster", OpenApiTypes.STR),
                    OpenApiParameter("namespace", OpenApiTypes.STR)],
        responses={(200, "application/yaml"): OpenApiTypes.STR},
    )  # fmt: skip
    def export(self, request, space, name):
        app = self.get_object()
        namespace = request.query_params.get("namespace") or None
        if namespace is not None and (not DNS_LABEL_RE.match(namespace) or len(namespace) > 63):
            raise ValidationError({"namespace": [_("Not a namespace name.")]})
        text = selectors.export_yaml(
            app, cluster=request.query_params.get("cluster"), namespace=namespace
        )
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{app.space.slug}-{app.name}.yaml"'
        return response
