"""Reads of approval requests, restricted to the user before any lookup.

A user sees the requests they made, the requests they decided, and the requests of the
workflows they approve in (by group, escalation group or relative role); platform admins
see all. A request a user may not see is a 404, whatever they try to do with it.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from apps.accounts.roles import is_platform_admin
from apps.approvals.choices import Quorum, RequestState
from apps.approvals.models import ApprovalRequest, Decision, Notification, WorkflowDefinition
from apps.approvals.registry import registered_resolvers, user_is_approver, users_for


def _group_names(user) -> list[str]:
    return list(user.groups.values_list("name", flat=True))


def _fallback_ids(user, name: str, resolver) -> list[int]:
    """Pending requests at a step of `name` where the resolver (without a Q) lists `user`."""
    pending = ApprovalRequest.objects.pending().filter(current_approvers=name)
    return [r.pk for r in pending if resolver.users(r).filter(pk=user.pk).exists()]


def _current_step_q(user) -> Q:
    """Requests whose current step `user` is an approver of (state not considered)."""
    resolvers = registered_resolvers()
    groups = [g for g in _group_names(user) if g not in resolvers]
    q = Q(current_approvers__in=groups) | Q(escalated_to__in=_group_names(user))
    for name, resolver in resolvers.items():
        if resolver.requests_for is not None:
            q |= Q(current_approvers=name) & resolver.requests_for(user)
        else:
            q |= Q(pk__in=_fallback_ids(user, name, resolver))
    return q


def _involved_q(user) -> Q:
    """Requests of workflows where `user` approves at some step (any state)."""
    resolvers = registered_resolvers()
    q = Q(pk__in=[])
    for group in _group_names(user):
        if group not in resolvers:
            q |= Q(approver_keys__contains=f"|{group}|")
    for name, resolver in resolvers.items():
        if resolver.requests_for is not None:
            q |= Q(approver_keys__contains=f"|{name}|") & resolver.requests_for(user)
    return q


def _with_related(qs: QuerySet) -> QuerySet:
    return qs.select_related("requester", "definition")


def all_requests() -> QuerySet:
    """Every request (for platform admins: check is_platform_admin before using it)."""
    return _with_related(ApprovalRequest.objects.all())


def requests_visible_to(user) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return ApprovalRequest.objects.none()
    if is_platform_admin(user):
        return all_requests()
    decided = Decision.objects.filter(approver=user).values("request_id")
    return _with_related(
        ApprovalRequest.objects.filter(
            Q(requester=user) | Q(pk__in=decided) | _involved_q(user) | _current_step_q(user)
        )
    )


def inbox_for(user) -> QuerySet:
    """Pending requests `user` may decide at their current step and has not yet decided."""
    if not getattr(user, "is_authenticated", False):
        return ApprovalRequest.objects.none()
    already = Decision.objects.filter(
        request=OuterRef("pk"), step=OuterRef("current_step"), approver=user
    )
    return _with_related(
        ApprovalRequest.objects.pending()
        .filter(_current_step_q(user))
        .exclude(requester=user)
        .exclude(Exists(already))
    )


def requested_by(user) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return ApprovalRequest.objects.none()
    return _with_related(ApprovalRequest.objects.filter(requester=user))


def pending_count_for(user) -> int:
    """How many requests wait for `user`'s decision."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return inbox_for(user).count()


def unread_space_notice_count(user) -> int:
    """How many space notices (expiry reminders) `user` has not read."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True, space__isnull=False).count()


def badge_count_for(user) -> int:
    """The navigation badge: requests waiting for `user`'s decision plus unread space
    notices (request notices are not counted: the requests themselves are)."""
    return pending_count_for(user) + unread_space_notice_count(user)


def request_with_history(qs: QuerySet) -> QuerySet:
    """`qs` with the decisions and their approvers loaded (detail pages)."""
    return qs.prefetch_related(
        Prefetch("decisions", queryset=Decision.objects.select_related("approver"))
    )


def is_current_approver(user, request: ApprovalRequest) -> bool:
    """May `user` decide the current step (ignoring whether they already did)?"""
    if request.state != RequestState.PENDING or not getattr(user, "is_authenticated", False):
        return False
    if request.requester_id == user.pk:
        return False
    if request.escalated_to and request.escalated_to in _group_names(user):
        return True
    return user_is_approver(user, request.current_approvers, request)


def has_decided_current_step(user, request: ApprovalRequest) -> bool:
    return Decision.objects.filter(
        request=request, step=request.current_step, approver_id=user.pk
    ).exists()


def unread_notifications(user) -> QuerySet:
    return (
        Notification.objects.filter(user=user, read_at__isnull=True)
        .select_related("request", "space")
        .order_by("-created_at", "-id")
    )


def definitions() -> QuerySet:
    return WorkflowDefinition.objects.prefetch_related("steps")


def required_approvals(request: ApprovalRequest, index: int) -> int:
    """Approvals step `index` needs: 1 (any), N (count), or every approver but the requester."""
    step = request.steps[index]
    if step["quorum"] == Quorum.COUNT:
        return max(1, int(step["quorum_count"]))
    if step["quorum"] == Quorum.ALL:
        members = users_for(step["approvers"], request).exclude(pk=request.requester_id)
        return max(1, members.count())
    return 1


def step_timeline(request: ApprovalRequest) -> list[dict]:
    """The request's steps with their status and decisions (uses prefetched decisions).

    status: done (passed), current (waiting for decisions), waiting (not reached),
    rejected (ended here by a rejection), stopped (ended here: cancelled or expired),
    skipped (not reached by an ended request).
    """
    decisions = list(request.decisions.all())
    rows = []
    for index, step in enumerate(request.steps):
        at_step = [d for d in decisions if d.step == index]
        if request.state == RequestState.APPROVED or index < request.current_step:
            status = "done"
        elif index > request.current_step:
            status = "waiting" if request.is_pending else "skipped"
        elif request.is_pending:
            status = "current"
        elif request.state == RequestState.REJECTED:
            status = "rejected"
        else:
            status = "stopped"
        rows.append(
            {
                "index": index,
                "number": index + 1,
                "name": step["name"],
                "approvers": step["approvers"],
                "quorum": step["quorum"],
                "quorum_count": step["quorum_count"],
                "required": required_approvals(request, index) if status == "current" else None,
                "approvals": sum(1 for d in at_step if d.verdict == "approve"),
                "status": status,
                "escalated_to": request.escalated_to if status == "current" else "",
                "deadline_at": request.deadline_at if status == "current" else None,
                "decisions": at_step,
            }
        )
    return rows
