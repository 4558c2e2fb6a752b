"""The analyst dashboard page: filters, tables drawn on the server, charts fed by the API."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.analytics import selectors
from apps.analytics.forms import DashboardFilterForm, default_filters
from apps.analytics.permissions import can_view_analytics
from apps.core.decorators import user_passes_test_or_403

# Report name → (table title, what an empty table means), in page order.
TABLES = {
    "features": (_("Top features"), _("No feature was used in this range.")),
    "users": (_("Core users"), _("Nobody used the portal or the API in this range.")),
    "spaces": (_("Activity per space"), _("No request named a space in this range.")),
    "approvals": (
        _("Approval lead time"),
        _("No request was approved or rejected in this range."),
    ),
    "lifecycle": (_("Test spaces per week"), _("No test space was created, renewed or expired.")),
    "apps": (_("Apps per cluster"), _("No cluster is registered.")),
    "events": (_("Domain events"), _("No domain event was recorded in this range.")),
    "summary": (_("Active users per day"), _("No active users in this range.")),
}

CHART_LABELS = {
    "dau": _("Daily active"),
    "wau": _("Weekly active"),
    "mau": _("Monthly active"),
    "requests": _("Requests"),
    "created": _("Created"),
    "renewed": _("Renewed"),
    "expired": _("Expired"),
    "apps": _("Apps"),
    "median": _("Median (hours)"),
    "p90": _("p90 (hours)"),
}


def _table(name: str, report: dict, query: str) -> dict:
    keys = [key for key, _label in report["columns"]]
    title, empty = TABLES[name]
    csv = reverse(f"api:analytics-{name}") + "?" + (f"{query}&" if query else "") + "format=csv"
    return {
        "name": name,
        "title": title,
        "empty": empty,
        "labels": [label for _key, label in report["columns"]],
        "cells": [[row.get(key) for key in keys] for row in report["rows"]],
        "csv_url": csv,
    }


@login_required
@user_passes_test_or_403(can_view_analytics)
def dashboard(request):
    form = DashboardFilterForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    filters = form.filters() if valid else default_filters()
    query = filters.as_dict()
    query_string = urlencode({k: v for k, v in query.items() if v})
    reports = {name: report(filters) for name, report in selectors.REPORTS.items()}
    summary = reports["summary"]
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form if form.is_bound else DashboardFilterForm(initial=query),
            "filters": filters,
            "current": summary["current"],
            "has_usage": any(row["dau"] for row in summary["rows"]),
            "tables": [_table(name, reports[name], query_string) for name in TABLES],
            "forwarder": selectors.forwarder_status(),
            "api_urls": {name: reverse(f"api:analytics-{name}") for name in selectors.REPORTS},
            "chart_labels": {key: str(label) for key, label in CHART_LABELS.items()},
            "query": query_string,
        },
    )
