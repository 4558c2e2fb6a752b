"""Portal pages of operations: the filtered list and the detail, both refreshed by HTMX while
work is under way; retry and cancel buttons call the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.operations import services
from apps.operations.choices import ACTIVE_STATES
from apps.operations.exceptions import OperationConflict
from apps.operations.forms import OperationFilterForm
from apps.operations.permissions import can_change_operation
from apps.operations.selectors import operation_list_for, operations_visible_to

PAGE_SIZE = 25


@login_required
def operation_list(request):
    form = OperationFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = operation_list_for(
        request.user, state=data.get("state", ""), kind=data.get("kind", ""),
        space=data.get("space", ""), query=data.get("q", ""),
    )  # fmt: skip
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "page": page, "query": query.urlencode(),
        "polling": any(op.state in ACTIVE_STATES for op in page.object_list),
    }  # fmt: skip
    template = "operations/_results.html" if request.htmx else "operations/list.html"
    return render(request, template, context)


@login_required
def operation_detail(request, pk: int):
    operation = get_object_or_404(operations_visible_to(request.user), pk=pk)
    context = {"op": operation, "may_change": can_change_operation(request.user, operation)}
    template = "operations/_progress.html" if request.htmx else "operations/detail.html"
    return render(request, template, context)


def _act(request, pk: int, service, done: str):
    operation = get_object_or_404(operations_visible_to(request.user), pk=pk)
    try:
        service(operation, actor=Actor.from_request(request))
        messages.success(request, done)
    except OperationConflict as exc:
        messages.error(request, str(exc.detail))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("operations:detail", pk)


@login_required
@require_POST
def retry(request, pk: int):
    return _act(request, pk, services.do_retry_operation, _("The operation was queued again."))


@login_required
@require_POST
def cancel(request, pk: int):
    return _act(request, pk, services.do_cancel_operation, _("The operation was cancelled."))
