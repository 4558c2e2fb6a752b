"""The analytics API: one read-only endpoint per dashboard report, JSON or CSV.

GET /api/v1/analytics/<report>/?start=YYYY-MM-DD&end=YYYY-MM-DD&environment=test[&format=csv]
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, renderers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics import selectors
from apps.analytics.api.renderers import ReportCSVRenderer
from apps.analytics.forms import DashboardFilterForm
from apps.analytics.permissions import CanViewAnalytics
from apps.clusters.choices import Environment

PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 29 days ago)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (default: today)."),
    OpenApiParameter("environment", OpenApiTypes.STR, enum=Environment.values),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
]


def report_payload(name: str, filters) -> dict:
    report = selectors.REPORTS[name](filters)
    payload = {key: value for key, value in report.items() if key != "columns"}
    payload["columns"] = [{"key": key, "label": str(label)} for key, label in report["columns"]]
    payload["filters"] = filters.as_dict()
    if name == "summary":
        payload["forwarder"] = selectors.forwarder_status()
    return payload


class ReportView(APIView):
    """One dashboard report; filters are validated like the portal's form."""

    permission_classes = [CanViewAnalytics]
    renderer_classes = [renderers.JSONRenderer, ReportCSVRenderer]
    pagination_class = None
    report_name = ""

    @extend_schema(parameters=PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        form = DashboardFilterForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(_messages(form))
        return Response(report_payload(self.report_name, form.filters()))


def _messages(form) -> dict:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


def report_view(name: str):
    return type(f"{name.title()}ReportView", (ReportView,), {"report_name": name}).as_view()
