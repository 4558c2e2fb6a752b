"""Every write of the approval engine: submit, decide, cancel, deadlines, handlers, definitions.

Each service: permission check (a refusal is audited) → validate → one transaction that
locks the request row → audit record → notifications; kind handlers and email run on
commit. Portal, API and Celery tasks share these functions.
"""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.events import emit
from apps.approvals.choices import (
    TERMINAL_STATES,
    NotificationVerb,
    Quorum,
    RequestState,
    Verdict,
)
from apps.approvals.exceptions import ApprovalConflict
from apps.approvals.models import ApprovalRequest, Decision, WorkflowDefinition, WorkflowStep
from apps.approvals.notifications import notify
from apps.approvals.permissions import (
    can_decide,
    can_manage_definitions,
    can_retry_handler,
    can_submit,
)
from apps.approvals.registry import UnknownKind, get_kind, users_for, validate_approvers
from apps.approvals.selectors import is_current_approver, required_approvals
from apps.audit.actors import Actor
from apps.audit.choices import Outcome
from apps.audit.services import authorize, record, record_denied
from apps.operations.services import do_start_operation
from apps.spaces.models import Space

MAX_REASON = 2000
MAX_COMMENT = 5000
SYSTEM = "workers.approvals"


# --- helpers --------------------------------------------------------------------------------
def _describe_target(target) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    if isinstance(target, models.Model):
        meta = target._meta
        key = getattr(target, "slug", None) or target.pk
        return f"{meta.app_label}.{meta.model_name}", str(key), str(target)[:255]
    kind, ident, name = (
        str(part if part is not None else "") for part in (*target, "", "", "")[:3]
    )
    return kind, ident, name


def current_approvers(request: ApprovalRequest):
    """Users who may decide the current step, without the requester and those who decided."""
    User = get_user_model()
    if request.step is None:
        return User.objects.none()
    ids = set(users_for(request.current_approvers, request).values_list("pk", flat=True))
    if request.escalated_to:
        escalation = User.objects.filter(is_active=True, groups__name=request.escalated_to)
        ids |= set(escalation.values_list("pk", flat=True))
    decided = Decision.objects.filter(request=request, step=request.current_step)
    ids -= set(decided.values_list("approver_id", flat=True)) | {request.requester_id}
    return User.objects.filter(pk__in=ids)


def enqueue_handler(request_id: int) -> None:
    """Hand a terminal request to its kind's handler, in an operation (called on commit):
    its worker holds a lease, and the sweeper resumes it if that worker dies."""
    request = ApprovalRequest.objects.filter(pk=request_id).first()
    if request is None:
        return
    space = None
    if request.target_type == "spaces.space" and str(request.target_id).isdigit():
        space = Space.objects.filter(pk=request.target_id).first()
    do_start_operation(
        "approvals.run_handler", actor=Actor.system(f"{SYSTEM}.run_request_handler"),
        params={"request_id": request_id}, key=f"approvals.run_handler:{request_id}",
        space=space, target_name=f"#{request_id} {request.kind}",
    )  # fmt: skip


def _on_terminal(request: ApprovalRequest) -> None:
    request_id = request.pk
    # robust: a broker hiccup after commit is logged, not shown to the decider as an error;
    # the minute sweep re-enqueues requests whose handler never ran (do_requeue_unhandled).
    transaction.on_commit(lambda: enqueue_handler(request_id), robust=True)


def _step_label(request: ApprovalRequest, index: int) -> str:
    return f"{index + 1} ({request.steps[index]['name']})"


# --- submit ---------------------------------------------------------------------------------
def do_submit_request(
    kind: str, payload: dict, *, actor: Actor, reason: str, target=None
) -> ApprovalRequest:
    """Open a request of `kind` at the first step of its workflow.

    1. The requester is a signed-in, active user.
    2. The kind is registered and has an active workflow whose approvers all resolve;
       the reason is given; the kind's validate_payload cleans the payload.
    3. One transaction: the request (with a snapshot of the steps, so later edits of the
       definition leave it alone), the audit event, the first step's notifications.
    """
    authorize(
        actor, "approval.submit", None,
        allowed=lambda: can_submit(actor), message=_("Sign in to submit a request."),
    )  # fmt: skip
    requester = actor.person
    try:
        entry = get_kind(kind)
    except UnknownKind:
        raise ValidationError(
            {"kind": [_("Unknown request kind '%(kind)s'.") % {"kind": kind}]}
        ) from None
    definition = WorkflowDefinition.objects.filter(kind=kind, is_active=True).first()
    steps = list(definition.steps.order_by("order")) if definition else []
    if not steps:
        raise ValidationError(
            {"kind": [_("No active workflow is defined for '%(kind)s'.") % {"kind": kind}]}
        )
    for step in steps:
        for name in filter(None, [step.approvers, step.escalate_to]):
            problem = validate_approvers(name)
            if problem:
                raise ValidationError(
                    {"kind": [_("The workflow cannot be used: %(p)s") % {"p": problem}]}
                )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you need this; approvers read it.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"reason": [_("A reason has at most %(n)d characters.") % {"n": MAX_REASON}]}
        )
    if not isinstance(payload, dict):
        raise ValidationError({"payload": [_("The payload must be a JSON object.")]})
    try:
        cleaned = entry.validate_payload(payload, requester=requester)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {f"payload.{key}": value for key, value in exc.message_dict.items()}
            ) from exc
        raise ValidationError({"payload": exc.messages}) from exc
    target_type, target_id, target_name = _describe_target(target)

    now = timezone.now()
    with transaction.atomic():
        request = ApprovalRequest(
            kind=kind,
            definition=definition,
            payload=cleaned if cleaned is not None else payload,
            requester=requester,
            reason=reason,
            steps=[s.snapshot() for s in steps],
            target_type=target_type,
            target_id=target_id[:64],
            target_name=target_name[:255],
            created_at=now,
        )
        request.enter_step(0, now)
        request.set_approver_keys()
        request.save()
        record(
            actor, "approval.submit", request,
            changes={
                "state": {"before": None, "after": request.state},
                "kind": {"before": None, "after": kind},
                "reason": {"before": None, "after": reason},
            },
        )  # fmt: skip
        notify(current_approvers(request), NotificationVerb.SUBMITTED, request, actor=requester)
    return request


# --- decide ---------------------------------------------------------------------------------
def _refuse_conflict(actor, action: str, request, message: str):
    record_denied(actor, action, request, reason=message)
    raise ApprovalConflict(message)


def _closed_message(request: ApprovalRequest) -> str:
    return _("This request is already %(state)s; it takes no more decisions.") % {
        "state": request.get_state_display()
    }


def do_decide(request: ApprovalRequest, *, actor: Actor, approve: bool, comment: str = ""):
    """Approve or reject the current step of `request` as `actor`.

    1. Refuse (403) the requester and anyone who is not an approver of the current step;
       refuse (409) a decided request.
    2. A rejection needs a comment: the requester reads why.
    3. Lock the request row (concurrent deciders queue here), re-check the state and the
       step under the lock (409 if it changed, or if the actor already decided this step),
       append the decision, then: reject → rejected; enough approvals → next step, or
       approved after the last one.
    4. Audit, notify; a terminal request's handler is enqueued on commit.
    """
    action = "approval.approve" if approve else "approval.reject"
    authorize(
        actor, action, request,
        allowed=getattr(actor.person, "pk", None) != request.requester_id,
        message=_("You cannot decide your own request."),
    )  # fmt: skip
    if not request.is_pending:
        _refuse_conflict(actor, action, request, _closed_message(request))
    authorize(
        actor, action, request,
        allowed=lambda: can_decide(actor, request),
        message=_("You are not an approver of step %(step)s of this request.")
        % {"step": _step_label(request, request.current_step)},
    )  # fmt: skip
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": [_("Say why you reject it; the requester reads it.")]})
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            {"comment": [_("A comment has at most %(n)d characters.") % {"n": MAX_COMMENT}]}
        )
    seen_step = request.current_step
    try:
        with transaction.atomic():
            locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
            _decide_locked(locked, seen_step, actor=actor, approve=approve, comment=comment)
    except ApprovalConflict as exc:
        record_denied(actor, action, request, reason=str(exc.detail))
        raise
    return locked


def _decide_locked(
    locked: ApprovalRequest, seen_step: int, *, actor: Actor, approve, comment
) -> None:
    person = actor.person
    if person is None:  # decisions are people's; the platform never approves
        raise PermissionDenied(_("Only a person can decide an approval request."))
    if not locked.is_pending:
        raise ApprovalConflict(_closed_message(locked))
    if locked.current_step != seen_step and not is_current_approver(person, locked):
        raise ApprovalConflict(
            _("The request moved on to step %(step)s meanwhile; reload it.")
            % {"step": _step_label(locked, locked.current_step)}
        )
    step = locked.current_step
    if Decision.objects.filter(request=locked, step=step, approver=person).exists():
        raise ApprovalConflict(
            _("You already decided step %(step)s of this request.")
            % {"step": _step_label(locked, step)}
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            Decision.objects.create(
                request=locked,
                step=step,
                approver=person,
                verdict=Verdict.APPROVE if approve else Verdict.REJECT,
                comment=comment,
                created_at=now,
            )
    except IntegrityError:
        raise ApprovalConflict(
            _("You already decided step %(step)s of this request.")
            % {"step": _step_label(locked, step)}
        ) from None

    before = {"state": locked.state, "step": step}
    if not approve:
        locked.state, locked.decided_at = RequestState.REJECTED, now
        locked.leave_steps()
    else:
        approvals = Decision.objects.filter(
            request=locked, step=step, verdict=Verdict.APPROVE
        ).count()
        if approvals >= required_approvals(locked, step):
            if step + 1 < len(locked.steps):
                locked.enter_step(step + 1, now)
            else:
                locked.state, locked.decided_at = RequestState.APPROVED, now
                locked.leave_steps()
    locked.save()
    after = {"state": locked.state, "step": locked.current_step}
    record(
        actor, "approval.approve" if approve else "approval.reject", locked,
        changes={
            key: {"before": before[key], "after": after[key]}
            for key in before if before[key] != after[key]
        } | {"decided_step": {"before": None, "after": _step_label(locked, step)}},
        reason=comment,
    )  # fmt: skip

    requester = [locked.requester]
    if locked.state == RequestState.APPROVED:
        notify(requester, NotificationVerb.APPROVED, locked, actor=person)
    elif locked.state == RequestState.REJECTED:
        notify(requester, NotificationVerb.REJECTED, locked, actor=person)
    elif locked.current_step != step:
        notify(requester, NotificationVerb.STEP_APPROVED, locked, actor=person)
        notify(current_approvers(locked), NotificationVerb.SUBMITTED, locked, actor=person)
    else:
        notify(requester, NotificationVerb.DECIDED, locked, actor=person)
    if locked.is_terminal:
        emit("request.decided", actor=actor, kind=locked.kind, state=locked.state)
        _on_terminal(locked)


# --- cancel ---------------------------------------------------------------------------------
def do_cancel_request(request: ApprovalRequest, *, actor: Actor) -> ApprovalRequest:
    """The requester withdraws a pending request (409 once it is decided)."""
    authorize(
        actor, "approval.cancel", request,
        allowed=getattr(actor.person, "pk", None) == request.requester_id,
        message=_("Only the requester may cancel a request."),
    )  # fmt: skip
    if not request.is_pending:
        _refuse_conflict(actor, "approval.cancel", request, _closed_message(request))
    now = timezone.now()
    with transaction.atomic():
        # Waiting on the row lock of a concurrent decision, then re-checking the state.
        changed = ApprovalRequest.objects.filter(pk=request.pk, state=RequestState.PENDING).update(
            state=RequestState.CANCELLED, decided_at=now, remind_at=None, deadline_at=None
        )
        if changed:
            request.refresh_from_db()
            record(
                actor, "approval.cancel", request,
                changes={"state": {"before": RequestState.PENDING, "after": request.state}},
            )  # fmt: skip
            notify(_approvers_of_step(request), NotificationVerb.CANCELLED, request, actor=actor)
            _on_terminal(request)
    if not changed:
        request.refresh_from_db()
        _refuse_conflict(actor, "approval.cancel", request, _closed_message(request))
    return request


def _approvers_of_step(request: ApprovalRequest):
    """The approvers of the step a request stopped at (for cancel / expiry notices)."""
    users = users_for(request.current_approvers, request)
    decided = Decision.objects.filter(request=request, step=request.current_step)
    return users.exclude(pk=request.requester_id).exclude(pk__in=decided.values("approver_id"))


# --- deadlines ------------------------------------------------------------------------------
def do_send_reminders(now=None) -> int:
    """Remind the approvers of every pending request whose current step's reminder is due."""
    now = now or timezone.now()
    actor = Actor.system(f"{SYSTEM}.process_deadlines")
    due = ApprovalRequest.objects.pending().filter(remind_at__lte=now).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            request = (
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=RequestState.PENDING, remind_at__lte=now)
                .first()
            )
            if request is None:  # decided meanwhile, or another sweep holds it
                continue
            request.remind_at = None
            request.save(update_fields=["remind_at"])
            users = list(current_approvers(request))
            record(
                actor, "approval.remind", request,
                changes={"reminded": {"before": None, "after": [u.get_username() for u in users]}},
            )  # fmt: skip
            notify(users, NotificationVerb.REMINDER, request)
            sent += 1
    return sent


def do_expire_overdue(now=None) -> dict:
    """Act on pending requests past their step's deadline: escalate once, then expire.

    A step with an escalation group that has not been escalated yet is escalated: the
    group may decide too and the deadline restarts. Otherwise the request expires and
    its kind's on_rejected handler runs.
    """
    now = now or timezone.now()
    actor = Actor.system(f"{SYSTEM}.process_deadlines")
    due = (
        ApprovalRequest.objects.pending().filter(deadline_at__lte=now).values_list("pk", flat=True)
    )
    counts = {"escalated": 0, "expired": 0}
    for pk in list(due):
        with transaction.atomic():
            request = (
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=RequestState.PENDING, deadline_at__lte=now)
                .first()
            )
            if request is None:
                continue
            step = request.step
            if step and step.get("escalate_to") and request.escalated_at is None:
                request.escalated_to = step["escalate_to"]
                request.escalated_at = now
                request.deadline_at = now + timedelta(seconds=step["deadline_seconds"])
                request.save(update_fields=["escalated_to", "escalated_at", "deadline_at"])
                record(
                    actor, "approval.escalate", request,
                    changes={"escalated_to": {"before": "", "after": request.escalated_to}},
                )  # fmt: skip
                escalation = get_user_model().objects.filter(
                    is_active=True, groups__name=request.escalated_to
                )
                notify(
                    escalation.exclude(pk=request.requester_id),
                    NotificationVerb.ESCALATED,
                    request,
                )
                counts["escalated"] += 1
                continue
            request.state, request.decided_at = RequestState.EXPIRED, now
            request.leave_steps()
            request.save(update_fields=["state", "decided_at", "remind_at", "deadline_at"])
            record(
                actor, "approval.expire", request,
                changes={"state": {"before": RequestState.PENDING, "after": request.state}},
            )  # fmt: skip
            notify([request.requester], NotificationVerb.EXPIRED, request)
            _on_terminal(request)
            counts["expired"] += 1
    return counts


REQUEUE_AFTER = timedelta(minutes=5)


def do_requeue_unhandled(now=None) -> int:
    """Enqueue again the handler of requests decided a while ago whose task never ran.

    Only requests without a handler error: a failing handler is left for a person to look
    at (handler_error says why), not retried every minute.
    """
    now = now or timezone.now()
    lost = ApprovalRequest.objects.filter(
        state__in=TERMINAL_STATES,
        handled_at__isnull=True,
        handler_error="",
        decided_at__lte=now - REQUEUE_AFTER,
    ).values_list("pk", flat=True)
    ids = list(lost[:500])
    for pk in ids:
        enqueue_handler(pk)
    return len(ids)


def do_process_deadlines(now=None) -> dict:
    """The beat task's body: reminders, escalations and expiries, lost handler runs."""
    now = now or timezone.now()
    counts = {"reminded": do_send_reminders(now), **do_expire_overdue(now)}
    counts["requeued"] = do_requeue_unhandled(now)
    return counts


# --- handlers -------------------------------------------------------------------------------
def do_run_handler(request_id: int) -> bool:
    """Run the kind's on_approved / on_rejected handler of a terminal request, once.

    The conditional UPDATE claims the request (a second run, even a concurrent one, finds
    handled_at set and does nothing); the handler runs in the same transaction, so a
    handler that raises leaves the request unclaimed for a retry. Returns whether it ran.
    """
    actor = Actor.system(f"{SYSTEM}.run_request_handler")
    try:
        with transaction.atomic():
            claimed = ApprovalRequest.objects.filter(
                pk=request_id, state__in=TERMINAL_STATES, handled_at__isnull=True
            ).update(handled_at=timezone.now(), handler_error="")
            if not claimed:
                return False
            request = ApprovalRequest.objects.select_related("requester").get(pk=request_id)
            entry = get_kind(request.kind)
            handler = (
                entry.on_approved if request.state == RequestState.APPROVED else entry.on_rejected
            )
            if handler is not None:
                handler(request)
            record(
                actor, "approval.handle", request,
                changes={"handler": {"before": None, "after": request.state}},
            )  # fmt: skip
    except Exception as exc:
        message = f"{exc.__class__.__name__}: {exc}"[:2000]
        # The audit first: whoever sees the error on the request finds its event too.
        record(
            actor, "approval.handle", ("approvals.approvalrequest", request_id, f"#{request_id}"),
            outcome=Outcome.FAILED, reason=message,
        )  # fmt: skip
        ApprovalRequest.objects.filter(pk=request_id).update(handler_error=message)
        raise
    return True


def do_retry_handler(request: ApprovalRequest, *, actor: Actor) -> ApprovalRequest:
    """A platform admin runs a failed on-approved/on-rejected handler again (e.g. after a
    cluster outage). Only a decided request whose handler failed qualifies (409 otherwise);
    the handler itself stays exactly-once through do_run_handler's claim."""
    authorize(
        actor, "approval.handler.retry", request,
        allowed=can_retry_handler(actor),
        message=_("Only platform admins retry a failed request handler."),
    )  # fmt: skip
    request.refresh_from_db()
    if request.handled_at is not None or not request.handler_error:
        _refuse_conflict(
            actor, "approval.handler.retry", request,
            _("Request #%(id)s has no failed handler to retry.") % {"id": request.pk},
        )  # fmt: skip
    with transaction.atomic():
        record(actor, "approval.handler.retry", request, reason=request.handler_error[:500])
        transaction.on_commit(lambda: enqueue_handler(request.pk))
    return request


# --- definitions ----------------------------------------------------------------------------
STEP_FIELDS = ("name", "approvers", "quorum", "quorum_count", "deadline", "remind_after")


def validate_steps(steps: list[dict]) -> list[dict]:
    """Check a definition's steps; errors are keyed steps[i].field."""
    errors: dict[str, list[str]] = {}
    if not steps:
        errors["steps"] = [_("A workflow needs at least one step.")]
    cleaned = []
    for i, raw in enumerate(steps):
        step: dict[str, Any] = {
            "name": (raw.get("name") or "").strip(),
            "approvers": (raw.get("approvers") or "").strip(),
            "quorum": raw.get("quorum") or Quorum.ANY,
            "quorum_count": raw.get("quorum_count") or 1,
            "deadline": raw.get("deadline"),
            "remind_after": raw.get("remind_after"),
            "escalate_to": (raw.get("escalate_to") or "").strip(),
        }
        key = f"steps[{i}]."
        if not step["name"]:
            errors[key + "name"] = [_("Give the step a name.")]
        problem = validate_approvers(step["approvers"])
        if problem:
            errors[key + "approvers"] = [problem]
        if step["quorum"] not in Quorum.values:
            errors[key + "quorum"] = [_("Choose any, all or count.")]
        if not isinstance(step["quorum_count"], int) or step["quorum_count"] < 1:
            errors[key + "quorum_count"] = [_("At least one approval is needed.")]
        for name in ("deadline", "remind_after"):
            value = step[name]
            if value is not None and (not isinstance(value, timedelta) or value <= timedelta(0)):
                errors[key + name] = [_("Give a positive duration, or leave it empty.")]
        if (
            isinstance(step["deadline"], timedelta)
            and isinstance(step["remind_after"], timedelta)
            and step["remind_after"] >= step["deadline"]
        ):
            errors[key + "remind_after"] = [_("The reminder must come before the deadline.")]
        if step["escalate_to"]:
            if not step["deadline"]:
                errors[key + "escalate_to"] = [_("Escalation happens at the deadline: set one.")]
            elif not Group.objects.filter(name=step["escalate_to"]).exists():
                errors[key + "escalate_to"] = [
                    _("There is no group named '%(name)s'.") % {"name": step["escalate_to"]}
                ]
        cleaned.append(step)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _definition_state(definition: WorkflowDefinition) -> dict:
    return {
        "name": definition.name,
        "description": definition.description,
        "is_active": definition.is_active,
        "steps": [s.snapshot() for s in definition.steps.order_by("order")],
    }


def do_update_definition(
    definition: WorkflowDefinition,
    *,
    actor: Actor,
    steps: list[dict] | None = None,
    name: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WorkflowDefinition:
    """Change a workflow (platform admins); pending requests keep the steps they started with."""
    authorize(
        actor, "approval.definition.update", definition,
        allowed=can_manage_definitions(actor),
        message=_("Only platform admins change approval workflows."),
    )  # fmt: skip
    cleaned = validate_steps(steps) if steps is not None else None
    if name is not None and not name.strip():
        raise ValidationError({"name": [_("Give the workflow a name.")]})
    with transaction.atomic():
        definition = WorkflowDefinition.objects.select_for_update().get(pk=definition.pk)
        before = _definition_state(definition)
        if name is not None:
            definition.name = name.strip()
        if description is not None:
            definition.description = description
        if is_active is not None:
            definition.is_active = is_active
        definition.updated_by = actor.person
        definition.save()
        if cleaned is not None:
            definition.steps.all().delete()
            WorkflowStep.objects.bulk_create(
                WorkflowStep(definition=definition, order=i + 1, **step)
                for i, step in enumerate(cleaned)
            )
        after = _definition_state(definition)
        changes = {
            k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]
        }
        if changes:
            record(actor, "approval.definition.update", definition, changes=changes)
    return definition
