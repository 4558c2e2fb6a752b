"""The k2ctl API: log in (a session token from a personal token), refresh, log out, who am
I, and the spaces and apps a person may reach through the proxy."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.kubeproxy import device, policy, tokens
from apps.kubeproxy.api.authentication import CliTokenAuthentication
from apps.spaces.selectors import spaces_visible_to
from apps.workloads.models import App


class _CliView(APIView):
    authentication_classes = [CliTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def principal(self) -> tokens.Principal:
        return self.request.k2_principal  # type: ignore[attr-defined]

    def session(self):
        session = self.principal().session
        if session is None:
            raise PermissionDenied(_("This needs a k2ctl session token (run `k2ctl login`)."))
        return session


def _session_json(session, raw: str | None = None) -> dict:
    data = {"prefix": session.prefix, "expires_at": session.expires_at,
            "user": session.user.get_username()}  # fmt: skip
    if raw:
        data["token"] = raw
    return data


SESSION = inline_serializer("CliSession", {
    "token": serializers.CharField(required=False), "prefix": serializers.CharField(),
    "expires_at": serializers.DateTimeField(), "user": serializers.CharField()})  # fmt: skip


class SessionsView(_CliView):
    @extend_schema(request=None, responses={201: SESSION})
    def post(self, request):
        """Log in: a new session token, made from the personal access token presented."""
        principal = self.principal()
        if principal.session is not None:
            raise PermissionDenied(_("Log in with a personal access token, not a session token."))
        client = str(request.data.get("client", ""))[:200] if isinstance(request.data, dict) else ""
        session, raw = tokens.open_session(principal.token, client=client)
        return Response(_session_json(session, raw), status=status.HTTP_201_CREATED)


class CurrentSessionView(_CliView):
    @extend_schema(request=None, responses={200: SESSION})
    def post(self, request):
        """Refresh: push the session's expiry out (never past the personal token's)."""
        return Response(_session_json(tokens.refresh_session(self.session())))

    @extend_schema(responses={204: None})
    def delete(self, request):
        """Log out: revoke the session token presented."""
        tokens.revoke_session(self.session(), actor=Actor.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WhoamiView(_CliView):
    @extend_schema(responses={200: inline_serializer("CliWhoami", {
        "user": serializers.CharField(), "name": serializers.CharField(),
        "token": serializers.CharField(), "session_expires_at": serializers.DateTimeField(allow_null=True)})})  # fmt: skip
    def get(self, request):
        principal = self.principal()
        user = principal.user
        return Response({
            "user": user.get_username(), "name": user.get_full_name(),
            "token": str(principal.token),
            "session_expires_at": principal.session.expires_at if principal.session else None,
        })  # fmt: skip


def _space_json(space, user) -> dict:
    role = policy._role(user, space)
    return {
        "slug": space.slug, "title": space.title, "environment": space.environment,
        "namespace": space.namespace, "role": role, "state": space.state,
        "clusters": [sc.cluster.name for sc in space.placements.select_related("cluster")
                     .order_by("-is_primary", "cluster__name")],
        "exec": role in policy.roles_for(settings.K2_PROXY_EXEC_ROLES, space.environment),
    }  # fmt: skip


def _space_schema(name: str = "CliSpace", **kwargs):
    return inline_serializer(name, {
        "slug": serializers.CharField(), "environment": serializers.CharField(),
        "namespace": serializers.CharField(), "role": serializers.CharField(),
        "clusters": serializers.ListField(child=serializers.CharField())}, **kwargs)  # fmt: skip


class SpacesView(_CliView):
    @extend_schema(responses={200: _space_schema(many=True)})
    def get(self, request):
        spaces = spaces_visible_to(request.user).exclude(state="deleted").order_by("slug")
        return Response([_space_json(s, request.user) for s in spaces])


class SpaceView(_CliView):
    @extend_schema(responses={200: _space_schema("CliSpaceDetail")})
    def get(self, request, slug: str):
        space = spaces_visible_to(request.user).exclude(state="deleted").filter(slug=slug).first()
        if space is None:
            raise NotFound(_("No space %(space)s that you can see.") % {"space": slug})
        data = _space_json(space, request.user)
        data["apps"] = [
            {"name": a.name, "kind": a.kind, "status": a.status,
             "clusters": [p.cluster.name for p in a.placements.select_related("cluster")]}
            for a in App.objects.filter(space=space).order_by("name")
        ]  # fmt: skip
        return Response(data)


class _DeviceThrottle(ScopedRateThrottle):
    """Per address (nobody is signed in yet): the budget the view's throttle_scope names."""

    def __init__(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        super().__init__()

    def get_rate(self):
        """None (no budget) for a scope the settings leave out, rather than a 500."""
        return self.THROTTLE_RATES.get(self.scope)


class _DeviceView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [_DeviceThrottle]

    def body(self, *allowed: str) -> dict:
        data = self.request.data if isinstance(self.request.data, dict) else {}
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ValidationError({name: [_("Unknown field.")] for name in unknown})
        return data


class DeviceStartView(_DeviceView):
    throttle_scope = "k2ctl-device"

    @extend_schema(
        request=inline_serializer("CliDeviceStart", {"client": serializers.CharField(required=False)}),
        responses={201: inline_serializer("CliDeviceCode", {
            "device_code": serializers.CharField(), "user_code": serializers.CharField(),
            "verification_uri": serializers.CharField(),
            "verification_uri_complete": serializers.CharField(),
            "expires_in": serializers.IntegerField(), "interval": serializers.IntegerField()})},
    )  # fmt: skip
    def post(self, request):
        """Start a browser-free login: a code for the person to confirm in the portal."""
        client = str(self.body("client").get("client", ""))
        login, device_code, user_code = device.start(
            client=client, address=request.META.get("REMOTE_ADDR")
        )
        page = request.build_absolute_uri(reverse("kubeproxy:device"))
        return Response({
            "device_code": device_code, "user_code": user_code, "verification_uri": page,
            "verification_uri_complete": f"{page}?code={user_code}",
            "expires_in": int(settings.K2_PROXY_DEVICE_MINUTES * 60),
            "interval": login.interval,
        }, status=status.HTTP_201_CREATED)  # fmt: skip


class DeviceTokenView(_DeviceView):
    throttle_scope = "k2ctl-device-poll"

    @extend_schema(
        request=inline_serializer("CliDevicePoll", {"device_code": serializers.CharField()}),
        responses={200: SESSION, 400: OpenApiResponse(description=(
            "`{\"error\": \"authorization_pending\" | \"slow_down\" | \"expired_token\" | "
            "\"access_denied\" | \"invalid_grant\", \"error_description\": …}` (RFC 8628), "
            "or K2Cloud's error envelope naming an invalid field."))},
    )  # fmt: skip
    def post(self, request):
        """Poll a device login: RFC 8628's errors until it is confirmed, then the session."""
        code = self.body("device_code").get("device_code")
        if not isinstance(code, str) or not code:
            raise ValidationError({"device_code": [_("Give the device code.")]})
        try:
            session, raw = device.poll(code)
        except device.DeviceError as exc:
            return Response({"error": exc.code, "error_description": str(exc)},
                            status=status.HTTP_400_BAD_REQUEST)  # fmt: skip
        return Response(_session_json(session, raw))
