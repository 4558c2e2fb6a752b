from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import (
    MeSerializer,
    TokenCreatedSerializer,
    TokenCreateSerializer,
    TokenOutputSerializer,
)
from apps.accounts.models import PersonalAccessToken
from apps.accounts.services import do_create_token, do_revoke_token
from apps.audit.actors import Actor


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own personal access tokens."""

    serializer_class = TokenOutputSerializer
    throttle_scopes = {"create": "token-create"}  # apps/core/api/throttling.py
    queryset = PersonalAccessToken.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return PersonalAccessToken.objects.filter(user=self.request.user)

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer})
    def create(self, request):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = do_create_token(
            request.user,
            data.validated_data["name"],
            expires_days=data.validated_data.get("expires_days"),
            actor=Actor.from_request(request),
        )
        token.token = raw
        return Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TokenOutputSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = do_revoke_token(self.get_object(), actor=Actor.from_request(request))
        return Response(TokenOutputSerializer(token).data)
