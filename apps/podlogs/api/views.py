"""GET /api/v1/apps/<space>/<app>/logs/ — an app's logs for scripts, streamed as text."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

from apps.podlogs.access import UNAUTHENTICATED, decide
from apps.podlogs.options import OptionError, parse
from apps.podlogs.stream import text_lines

PARAMETERS = [
    OpenApiParameter("cluster", OpenApiTypes.STR, description="One of the app's clusters (default: all)."),
    OpenApiParameter("pod", OpenApiTypes.STR, description="One pod (default: all the app's pods)."),
    OpenApiParameter("container", OpenApiTypes.STR, description="One container (default: all)."),
    OpenApiParameter("tail", OpenApiTypes.INT, description="Lines from the end of each log (default 200)."),
    OpenApiParameter("since", OpenApiTypes.STR, description="A duration (15m, 2h, 1d) or an RFC 3339 time."),
    OpenApiParameter("timestamps", OpenApiTypes.BOOL),
    OpenApiParameter("previous", OpenApiTypes.BOOL, description="The previous container (after a crash or OOM kill); never follows."),
    OpenApiParameter("follow", OpenApiTypes.BOOL, description="Keep streaming new lines (default true)."),
]  # fmt: skip


class AppLogsView(APIView):
    """Stream the logs of an app's pods, one line per log line (text/plain): the options
    and the authorization (any member of the space, viewer and up) of the portal's Logs."""

    @extend_schema(operation_id="apps_logs", parameters=PARAMETERS,
                   responses={(200, "text/plain"): OpenApiTypes.STR})  # fmt: skip
    def get(self, request, space: str, name: str):
        decision = decide(request.user, space, name, request.query_params.get("cluster", ""))
        if not decision.allowed:
            if decision.code == UNAUTHENTICATED:
                self.permission_denied(request)
            raise NotFound(decision.reason)
        try:
            options = parse(request.query_params)
        except OptionError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        app = decision.app
        response = StreamingHttpResponse(
            text_lines(decision.clusters, app.space.namespace, app.name, options),
            content_type="text/plain; charset=utf-8",
        )
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold the stream
        return response
