"""/api/v1/events/ (filtered like the event center: cluster, space, app, type, reason,
since, until, q), /api/v1/events/counts/ (occurrences over time), /api/v1/events/rules/
and /api/v1/events/sinks/ (list, create; DELETE one), a rule's silences (DELETE ends one).
"""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.clusters.models import Cluster
from apps.events import selectors, services
from apps.events.api.serializers import (
    EventSerializer,
    RuleInputSerializer,
    RuleSerializer,
    SilenceInputSerializer,
    SilenceSerializer,
    SinkInputSerializer,
    SinkSerializer,
)  # fmt: skip
from apps.events.models import Silence
from apps.spaces.selectors import spaces_visible_to
from apps.workloads.models import App

FILTER_PARAMS = [OpenApiParameter(name, OpenApiTypes.STR, description=f"filter by {name}")
                 for name in selectors.FILTERS]  # fmt: skip


class EventListView(generics.ListAPIView):
    """Stored events (merged rows) the caller may see, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = EventSerializer

    def get_queryset(self):
        return selectors.filtered(self.request.user, self.request.query_params)[0]

    @extend_schema(parameters=FILTER_PARAMS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EventCountsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=FILTER_PARAMS, responses=inline_serializer("EventCounts", {
        "labels": serializers.ListField(child=serializers.CharField()),
        "normal": serializers.ListField(child=serializers.IntegerField()),
        "warning": serializers.ListField(child=serializers.IntegerField()),
    }))  # fmt: skip
    def get(self, request):
        rows = selectors.filtered(request.user, request.query_params)[0]
        return Response(selectors.counts_over_time(rows))


def _space(user, slug: str):
    if not slug:
        return None
    space = spaces_visible_to(user).filter(slug=slug).first()
    if space is None:
        raise ValidationError({"space": ["No such space."]})
    return space


class RuleListView(generics.ListCreateAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = RuleSerializer

    def get_queryset(self):
        return selectors.rules_visible_to(self.request.user)

    @extend_schema(request=RuleInputSerializer, responses={201: RuleSerializer})
    def post(self, request):
        data = RuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        space = _space(request.user, values.pop("space", ""))
        if values.get("app"):
            app = App.objects.filter(space=space, name=values["app"]).first() if space else None
            if app is None:
                raise ValidationError({"app": ["No such app in the rule's space."]})
            values["app"] = app
        if values.get("cluster"):
            cluster = Cluster.objects.filter(name=values["cluster"]).first()
            if cluster is None:
                raise ValidationError({"cluster": ["No such cluster."]})
            values["cluster"] = cluster
        sinks = list(
            selectors.sinks_visible_to(request.user).filter(pk__in=values.get("sinks") or [])
        )
        if len(sinks) != len(set(values.get("sinks") or [])):
            raise ValidationError({"sinks": ["No such sink."]})
        values["sinks"] = sinks
        rule = services.do_create_rule(space=space, data=values, actor=Actor.from_request(request))
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailView(generics.RetrieveDestroyAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = RuleSerializer

    def get_queryset(self):
        return selectors.rules_visible_to(self.request.user)

    def perform_destroy(self, instance):
        services.do_delete_rule(instance, actor=Actor.from_request(self.request))


class SinkListView(generics.ListCreateAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SinkSerializer

    def get_queryset(self):
        return selectors.sinks_visible_to(self.request.user).select_related("space")

    @extend_schema(request=SinkInputSerializer, responses={201: SinkSerializer})
    def post(self, request):
        data = SinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        space = _space(request.user, values.pop("space", ""))
        sink = services.do_create_sink(space=space, actor=Actor.from_request(request), **values)
        return Response(SinkSerializer(sink).data, status=status.HTTP_201_CREATED)


class SinkDetailView(generics.RetrieveDestroyAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SinkSerializer

    def get_queryset(self):
        return selectors.sinks_visible_to(self.request.user)

    def perform_destroy(self, instance):
        services.do_delete_sink(instance, actor=Actor.from_request(self.request))


class SilenceListView(generics.ListCreateAPIView):
    """The silences of a rule (newest first); POST mutes the rule until `ends_at`."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SilenceSerializer

    def _rule(self):
        return get_object_or_404(
            selectors.rules_visible_to(self.request.user), pk=self.kwargs["pk"]
        )

    def get_queryset(self):
        return self._rule().silences.select_related("created_by").order_by("-ends_at", "-id")

    @extend_schema(request=SilenceInputSerializer, responses={201: SilenceSerializer})
    def post(self, request, pk: int):
        data = SilenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        silence = services.do_silence_rule(self._rule(), actor=Actor.from_request(request),
                                           **data.validated_data)  # fmt: skip
        return Response(SilenceSerializer(silence).data, status=status.HTTP_201_CREATED)


class SilenceDetailView(generics.RetrieveDestroyAPIView):
    """DELETE ends the silence now (the row stays, for the record)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SilenceSerializer

    def get_queryset(self):
        return Silence.objects.select_related("rule__space", "created_by").filter(
            rule__in=selectors.rules_visible_to(self.request.user)
        )

    def perform_destroy(self, instance):
        services.do_end_silence(instance, actor=Actor.from_request(self.request))


def get_event_or_404(user, pk: int):
    return get_object_or_404(selectors.events_visible_to(user), pk=pk)
