"""Read-only API of the audit trail, scoped and filtered like the portal."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, viewsets

from apps.audit.api.serializers import AuditEventSerializer
from apps.audit.choices import Outcome
from apps.audit.filters import AuditFilterForm
from apps.audit.permissions import can_view_audit
from apps.audit.selectors import events_visible_to


class CanViewAudit(permissions.BasePermission):
    message = _("You may not read the audit trail: it is open to platform admins and space owners.")

    def has_permission(self, request, view):
        return can_view_audit(request.user)


def _param(name, description, type_=OpenApiTypes.STR, **kwargs):
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description, **kwargs)


FILTER_PARAMETERS = [
    _param("actor", "Username (or task name) of the actor, exact, case-insensitive."),
    _param("action", "An action verb, or a prefix ending in '.' (e.g. 'token.')."),
    _param("target_type", "app_label.model of the target, e.g. 'accounts.personalaccesstoken'."),
    _param("target_id", "Id of the target."),
    _param("space", "Space id (slug)."),
    _param("cluster", "Cluster id."),
    _param("outcome", "Outcome.", enum=Outcome.values),
    _param("since", "Events at or after this time (ISO 8601).", OpenApiTypes.DATETIME),
    _param("until", "Events at or before this time (ISO 8601).", OpenApiTypes.DATETIME),
]


@extend_schema_view(list=extend_schema(parameters=FILTER_PARAMETERS))
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Audit events the caller may see: all for platform admins, their spaces' for others."""

    serializer_class = AuditEventSerializer
    permission_classes = [permissions.IsAuthenticated, CanViewAudit]

    def get_queryset(self):
        events = events_visible_to(self.request.user).order_by("-id")
        if self.action != "list":
            return events
        form = AuditFilterForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {
                    "non_field_errors" if name == "__all__" else name: [e["message"] for e in errs]
                    for name, errs in form.errors.get_json_data().items()
                }
            )
        return form.filter(events)
