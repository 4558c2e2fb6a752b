"""Portal pages of the audit trail: the filtered list (HTMX-refreshed), CSV export, detail."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from apps.audit.export import csv_rows
from apps.audit.filters import AuditFilterForm
from apps.audit.permissions import can_view_audit
from apps.audit.selectors import describe_targets, events_visible_to
from apps.core.decorators import user_passes_test_or_403

PAGE_SIZE = 50


def _filtered(request):
    form = AuditFilterForm(request.GET or None)
    events = events_visible_to(request.user)
    if form.is_bound:
        events = form.filter(events) if form.is_valid() else events.none()
    return form, events


@login_required
@user_passes_test_or_403(can_view_audit)
def event_list(request):
    form, events = _filtered(request)
    page = Paginator(events.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = describe_targets(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "audit/_results.html" if request.htmx else "audit/list.html"
    return render(request, template, context)


@login_required
@user_passes_test_or_403(can_view_audit)
def export_csv(request):
    form, events = _filtered(request)
    response = StreamingHttpResponse(csv_rows(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@login_required
@user_passes_test_or_403(can_view_audit)
def event_detail(request, pk: int):
    event = get_object_or_404(events_visible_to(request.user), pk=pk)
    return render(request, "audit/detail.html", {"event": event})
