"""Portal pages of approvals: the inbox (tabs, filters, notifications), request detail with
decide and cancel, and the workflow definitions (platform admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.roles import is_platform_admin
from apps.approvals import notifications
from apps.approvals.exceptions import ApprovalConflict
from apps.approvals.forms import DecisionForm, DefinitionForm, RequestFilterForm, StepFormSet
from apps.approvals.models import WorkflowDefinition
from apps.approvals.permissions import can_cancel, can_manage_definitions, can_retry_handler
from apps.approvals.registry import registered_kinds
from apps.approvals.selectors import (
    all_requests,
    definitions,
    has_decided_current_step,
    inbox_for,
    is_current_approver,
    request_with_history,
    requested_by,
    requests_visible_to,
    step_timeline,
    unread_notifications,
)
from apps.approvals.services import (
    STEP_FIELDS,
    do_cancel_request,
    do_decide,
    do_retry_handler,
    do_update_definition,
)
from apps.audit.actors import Actor
from apps.core.decorators import user_passes_test_or_403
from apps.core.forms import error_text

PAGE_SIZE = 25
TABS = ("inbox", "mine", "all")


def _describe(request_obj) -> str:
    entry = registered_kinds().get(request_obj.kind)
    return entry.description(request_obj) if entry else request_obj.kind


@login_required
def inbox(request):
    admin = is_platform_admin(request.user)
    tab = request.GET.get("tab", "inbox")
    if tab not in TABS or (tab == "all" and not admin):
        tab = "inbox"
    base = {
        "inbox": lambda: inbox_for(request.user),
        "mine": lambda: requested_by(request.user),
        "all": all_requests,
    }[tab]()
    form = RequestFilterForm(request.GET or None)
    rows = form.filter(base) if form.is_bound else base
    page = Paginator(rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for row in page.object_list:
        row.description = _describe(row)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "tab": tab,
        "is_admin": admin,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "inbox_count": inbox_for(request.user).count(),
        "notifications": list(unread_notifications(request.user)[:10]),
        "may_manage_workflows": admin,
    }
    template = "approvals/_results.html" if request.htmx else "approvals/inbox.html"
    return render(request, template, context)


def _visible(request, pk):
    return get_object_or_404(request_with_history(requests_visible_to(request.user)), pk=pk)


@login_required
def detail(request, pk: int):
    obj = _visible(request, pk)
    notifications.mark_read(request.user, request=obj)
    may_decide = is_current_approver(request.user, obj) and not has_decided_current_step(
        request.user, obj
    )
    context = {
        "obj": obj,
        "description": _describe(obj),
        "timeline": step_timeline(obj),
        "decisions": list(obj.decisions.all()),
        "may_decide": may_decide,
        "may_cancel": can_cancel(request.user, obj),
        "may_retry": bool(obj.handler_error)
        and obj.handled_at is None
        and can_retry_handler(request.user),
        "form": DecisionForm(),
    }
    return render(request, "approvals/detail.html", context)


@login_required
@require_POST
def decide(request, pk: int):
    obj = _visible(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect(obj)
    approve = form.cleaned_data["verdict"] == "approve"
    try:
        do_decide(
            obj,
            actor=Actor.from_request(request),
            approve=approve,
            comment=form.cleaned_data["comment"],
        )
    except (PermissionDenied, ApprovalConflict) as exc:
        messages.error(request, str(getattr(exc, "detail", exc)))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("You approved request #%(id)s.") % {"id": obj.pk}
            if approve
            else _("You rejected request #%(id)s.") % {"id": obj.pk},
        )
    return redirect(obj)


@login_required
@require_POST
def cancel(request, pk: int):
    obj = _visible(request, pk)
    try:
        do_cancel_request(obj, actor=Actor.from_request(request))
    except (PermissionDenied, ApprovalConflict) as exc:
        messages.error(request, str(getattr(exc, "detail", exc)))
    else:
        messages.success(request, _("You cancelled request #%(id)s.") % {"id": obj.pk})
    return redirect(obj)


@login_required
@require_POST
def retry_handler(request, pk: int):
    obj = _visible(request, pk)
    try:
        do_retry_handler(obj, actor=Actor.from_request(request))
    except (PermissionDenied, ApprovalConflict) as exc:
        messages.error(request, str(getattr(exc, "detail", exc)))
    else:
        messages.success(request, _("The handler of request #%(id)s runs again.") % {"id": obj.pk})
    return redirect(obj)


@login_required
@require_POST
def mark_notifications_read(request):
    notifications.mark_read(request.user)
    return redirect("approvals:inbox")


@login_required
@user_passes_test_or_403(can_manage_definitions)
def workflows(request):
    return render(request, "approvals/workflows.html", {"definitions": definitions()})


def _step_initial(step) -> dict:
    return {f: getattr(step, f) for f in (*STEP_FIELDS, "escalate_to")}


@login_required
@user_passes_test_or_403(can_manage_definitions)
def workflow_edit(request, kind: str):
    definition = get_object_or_404(WorkflowDefinition, kind=kind)
    initial = {
        "name": definition.name,
        "description": definition.description,
        "is_active": definition.is_active,
    }
    steps_initial = [_step_initial(s) for s in definition.steps.order_by("order")]
    form = DefinitionForm(request.POST or None, initial=initial)
    steps = StepFormSet(request.POST or None, initial=steps_initial, prefix="steps")
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        kept = [
            f.cleaned_data
            for f in steps.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            do_update_definition(
                definition,
                actor=Actor.from_request(request),
                steps=[{k: v for k, v in s.items() if k != "DELETE"} for s in kept],
                **form.cleaned_data,
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(None, f"{key}: {' '.join(errors)}")
        else:
            messages.success(request, _("Workflow %(kind)s saved.") % {"kind": kind})
            return redirect("approvals:workflows")
    context = {"definition": definition, "form": form, "steps": steps}
    return render(request, "approvals/workflow_edit.html", context)
