"""The approval request kinds of the spaces app and what happens when they are decided.

Registered with apps/approvals at start-up (SpacesConfig.ready):
- "space.create.prod": approved → the pending production space starts provisioning;
  rejected, cancelled or expired → the space ends "not approved", saying who and why.
- "quota.raise": approved → the space gets the asked quota (checked again).
- "space.renew.beyond_cap": approved → the test space is extended past its cap.
And the approver role "space-owners" (the owners of the request's space).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.approvals.registry import register_approver_resolver, register_kind
from apps.audit.actors import Actor
from apps.audit.selectors import register_space_scope
from apps.reconciler.hooks import reconcile_space_on_commit
from apps.spaces.choices import (
    EDITABLE_STATES,
    RENEWABLE_STATES,
    RequestKind,
    SpaceRole,
    SpaceState,
)
from apps.spaces.exceptions import SpaceConflict
from apps.spaces.models import Space
from apps.spaces.quota import Quota, check_fits_cluster, parse_quota
from apps.spaces.services import _apply_quota, _extend, _transition

HANDLER_ACTOR = "workers.approvals.run_request_handler"


def _space_id(payload: dict) -> int:
    try:
        return int(payload.get("space_id"))
    except (TypeError, ValueError):
        raise ValidationError({"space_id": [_("Name the space by its id.")]}) from None


def _space(payload: dict) -> Space:
    space = Space.objects.filter(pk=_space_id(payload)).select_related("primary_cluster").first()
    if space is None:
        raise ValidationError({"space_id": [_("There is no such space.")]})
    return space


def _actor(request) -> Actor:
    """The handler acts for the platform, naming the request it carries out."""
    return Actor.system(HANDLER_ACTOR, detail=f"request #{request.pk}")


def validate_prod_space(payload: dict, *, requester) -> dict:
    space = _space(payload)
    if space.state != SpaceState.PENDING_APPROVAL:
        raise ValidationError({"space_id": [_("The space does not wait for approval.")]})
    return {"space_id": space.pk, "slug": space.slug, "quota": payload.get("quota") or {}}


def validate_quota(payload: dict, *, requester) -> dict:
    space = _space(payload)
    quota = parse_quota(payload.get("quota") or {}, Quota.of(space))
    return {"space_id": space.pk, "slug": space.slug, "quota": quota.as_dict()}


def validate_renewal(payload: dict, *, requester) -> dict:
    space = _space(payload)
    try:
        days = int(payload.get("days"))
        if not 1 <= days <= 3650:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"days": [_("Give a number of days between 1 and 3650.")]}) from None
    return {"space_id": space.pk, "slug": space.slug, "days": days}


def on_prod_approved(request) -> None:
    """Start provisioning the approved production space (once: a race-safe transition)."""
    space = Space.objects.filter(pk=request.payload.get("space_id")).first()
    if space is None or space.state != SpaceState.PENDING_APPROVAL:
        return
    try:
        with transaction.atomic():
            _transition(
                space, SpaceState.PROVISIONING, actor=_actor(request),
                message=_("Approved (request #%(id)s).") % {"id": request.pk},
            )  # fmt: skip
            reconcile_space_on_commit(space.pk)
    except SpaceConflict:
        return


def _last_word(request) -> str:
    decision = request.decisions.select_related("approver").order_by("-created_at", "-id").first()
    if request.state == "rejected" and decision is not None:
        return _("Rejected by %(who)s: %(why)s") % {
            "who": decision.approver.get_username(),
            "why": decision.comment,
        }
    return _("Request #%(id)s ended %(state)s.") % {
        "id": request.pk,
        "state": request.get_state_display(),
    }


def on_prod_ended(request) -> None:
    """The production space was not approved: it ends, saying who rejected it and why."""
    space = Space.objects.filter(pk=request.payload.get("space_id")).first()
    if space is None or space.state != SpaceState.PENDING_APPROVAL:
        return
    try:
        with transaction.atomic():
            _transition(space, SpaceState.REJECTED, actor=_actor(request),
                        message=_last_word(request))  # fmt: skip
    except SpaceConflict:
        return


def on_quota_approved(request) -> None:
    space = Space.objects.filter(pk=request.payload.get("space_id")).first()
    if space is None or space.state not in EDITABLE_STATES:
        return
    quota = Quota(**request.payload["quota"])
    for placement in space.placements.select_related("cluster"):
        check_fits_cluster(quota, placement.cluster)
    with transaction.atomic():
        _apply_quota(space, quota, actor=_actor(request),
                     reason=_("Approved (request #%(id)s).") % {"id": request.pk})  # fmt: skip


def on_renewal_approved(request) -> None:
    space = Space.objects.filter(pk=request.payload.get("space_id")).first()
    if space is None or space.state not in RENEWABLE_STATES:
        return
    with transaction.atomic():
        _extend(space, int(request.payload["days"]), actor=_actor(request),
                reason=_("Approved (request #%(id)s).") % {"id": request.pk})  # fmt: skip


def _describe(label):
    def describe(request) -> str:
        return f"{label}: {request.payload.get('slug') or request.target_name}"

    return describe


# --- approver role: the owners of the request's space ---------------------------------------
def space_owners(request):
    User = get_user_model()
    space_id = (request.payload or {}).get("space_id")
    return User.objects.filter(
        space_memberships__space_id=space_id, space_memberships__role=SpaceRole.OWNER
    )


def requests_of_owned_spaces(user) -> Q:
    owned = list(
        Space.objects.filter(memberships__user=user, memberships__role=SpaceRole.OWNER)
        .values_list("pk", flat=True)
    )  # fmt: skip
    return Q(payload__space_id__in=owned) if owned else Q(pk__in=[])


def owned_space_ids(user) -> list[int]:
    """Audit scope: the spaces whose events `user` may read (the ones they own), by id."""
    return list(
        Space.objects.filter(memberships__user=user, memberships__role=SpaceRole.OWNER)
        .values_list("pk", flat=True)
        .distinct()
    )


def register() -> None:
    """Register kinds, the approver role and the audit scope (idempotent)."""
    register_kind(
        RequestKind.CREATE_PROD.value, validate_payload=validate_prod_space,
        on_approved=on_prod_approved, on_rejected=on_prod_ended,
        describe=_describe(gettext_lazy("Production space")),
    )  # fmt: skip
    register_kind(
        RequestKind.QUOTA_RAISE.value, validate_payload=validate_quota,
        on_approved=on_quota_approved, describe=_describe(gettext_lazy("Quota raise")),
    )  # fmt: skip
    register_kind(
        RequestKind.RENEW_BEYOND_CAP.value, validate_payload=validate_renewal,
        on_approved=on_renewal_approved, describe=_describe(gettext_lazy("Renewal past the cap")),
    )  # fmt: skip
    register_approver_resolver(
        "space-owners", users=space_owners, requests_for=requests_of_owned_spaces
    )
    register_space_scope(owned_space_ids)
