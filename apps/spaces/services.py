"""Every write of the spaces app: create, members, quota, renew, retry, delete, transfer.

Each service: permission check (a refusal is audited and raises PermissionDenied) →
validation (ValidationError, nothing written) → one transaction (rows locked, state moved
with a race-safe transition) → audit record → cluster work enqueued on commit. The portal,
the API, the approval handlers and the Celery tasks share these functions. Cluster-facing
work (provisioning, deletion) is the reconciler's targeted pass (apps/reconciler/hooks.py).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.events import emit
from apps.audit.actors import Actor
from apps.audit.services import authorize, diff, record
from apps.clusters.choices import PRODUCTION_ENVIRONMENTS, Environment
from apps.clusters.models import Cluster
from apps.operations.services import do_start_operation
from apps.reconciler.hooks import reconcile_space_on_commit
from apps.spaces import permissions as perms
from apps.spaces.choices import (
    BACKED_UP_BEFORE_DELETE,
    DELETABLE_STATES,
    DELETE_KIND,
    EDITABLE_STATES,
    PROVISIONED_STATES,
    RENEWABLE_STATES,
    ClusterStatus,
    RequestKind,
    SpaceRole,
    SpaceState,
    can_transition,
    destroy_key,
)
from apps.spaces.exceptions import SpaceConflict
from apps.spaces.lifetime import renewals_allowed
from apps.spaces.models import Membership, Space, SpaceCluster, SpaceTransition
from apps.spaces.quota import (
    Quota,
    check_fits_cluster,
    default_limits,
    default_quota,
    maximum_quota,
    parse_quota,
    policy_of,
)
from apps.spaces.validation import clean_clusters, clean_slug, clean_text, expiry_for


@dataclass
class CreateResult:
    space: Space
    approval: object | None = None  # the space.create.prod request
    quota_request: object | None = None  # the quota.raise request for more than the maximum


@dataclass
class RequestResult:
    """A change applied at once (applied=True) or turned into an approval request."""

    space: Space
    applied: bool
    approval: object | None = None


# --- helpers --------------------------------------------------------------------------------
def _actor_name(actor: Actor) -> str:
    return str(actor)


def _transition(space: Space, target: str, *, actor: Actor, message: str = "") -> Space:
    """Move `space` to `target` under a row lock (inside the caller's transaction).

    Raises SpaceConflict when the state machine does not allow it from the current state
    (which may have changed since the caller read it).
    """
    locked = Space.objects.select_for_update().get(pk=space.pk)
    if not can_transition(locked.state, target):
        raise SpaceConflict(
            _("Space %(space)s is %(state)s; it cannot become %(target)s.")
            % {
                "space": locked.slug,
                "state": SpaceState(locked.state).label,
                "target": SpaceState(target).label,
            }
        )
    now = timezone.now()
    before = locked.state
    update = {"state": target, "state_changed_at": now, "updated_at": now}
    if target != SpaceState.FAILED:
        update["last_error"] = ""
    else:
        update["last_error"] = message
    Space.objects.filter(pk=space.pk).update(**update)
    SpaceTransition.objects.create(
        space=locked,
        from_state=before,
        to_state=target,
        at=now,
        actor_name=_actor_name(actor)[:150],
        message=message,
    )
    record(
        actor,
        "space.transition",
        locked,
        changes={"state": {"before": before, "after": target}},
        reason=message,
        space=locked,
        cluster=locked.primary_cluster,
    )
    for key, value in update.items():
        setattr(space, key, value)
    return space


def _require_state(space: Space, allowed: frozenset, what: str) -> None:
    if space.state not in allowed:
        raise SpaceConflict(
            _("Space %(space)s is %(state)s: you cannot %(what)s now.")
            % {"space": space.slug, "state": SpaceState(space.state).label, "what": what}
        )


def _authorize(actor: Actor, action: str, verb: str, space: Space, message: str) -> None:
    authorize(
        actor,
        action,
        space,
        allowed=lambda: perms.can(actor, verb, space),
        message=message,
        space=space,
        cluster=space.primary_cluster,
    )


# --- create ---------------------------------------------------------------------------------
def do_create_space(
    *,
    actor: Actor,
    slug: str,
    environment: str,
    display_name: str = "",
    description: str = "",
    cluster=None,
    extra_clusters=(),
    quota: dict | None = None,
    reason: str = "",
) -> CreateResult:
    """Create a space: a test space starts provisioning at once; a production space waits
    for its approval request.

    1. Employees and platform admins create spaces.
    2. Validate name, environment, clusters (same environment, placement when none named),
       quota (parsed, within the cluster's allocatable); production needs a reason.
       Quota above the policy maximum: a production request carries it to the approvers;
       a test space starts at the maximum and a quota.raise request asks for the rest.
    3. One transaction: space, placements, owner membership (+ guardian rows), first
       transition, audit, approval requests; the provisioning task on commit.
    """
    authorize(
        actor,
        "space.create",
        None,
        allowed=lambda: perms.can_create_space(actor),
        message=_("Only employees and platform admins create spaces."),
    )
    owner = actor.person
    if owner is None:
        raise ValidationError({"owner": [_("A space needs a person as its owner.")]})
    slug = clean_slug(slug)
    if environment not in Environment.values:
        raise ValidationError(
            {
                "environment": [
                    _("Choose one of: %(envs)s.") % {"envs": ", ".join(Environment.values)}
                ]
            }
        )
    display_name = clean_text(display_name, "display_name", 100)
    description = clean_text(description, "description", 2000)
    reason = clean_text(reason, "reason", 2000)
    is_prod = environment in PRODUCTION_ENVIRONMENTS
    if is_prod and not reason:
        raise ValidationError(
            {"reason": [_("Say why you need a production space; approvers read it.")]}
        )
    # Placement needs the quota and the quota's defaults need the cluster: parse against
    # the environment's built-in defaults first, then against the chosen cluster's policy.
    asked = parse_quota(quota, default_quota(Cluster(environment=environment)))
    primary, extras = clean_clusters(environment, cluster, extra_clusters, asked)
    asked = parse_quota(quota, default_quota(primary))
    for target in [primary, *extras]:
        check_fits_cluster(asked, target)
    maximum = maximum_quota(primary)
    over = asked.exceeds(maximum)
    granted = asked if (is_prod or not over) else asked.capped(maximum)
    cpu_limit, memory_limit = default_limits()

    now = timezone.now()
    try:
        with transaction.atomic():
            space = Space.objects.create(
                slug=slug,
                display_name=display_name,
                description=description,
                environment=environment,
                primary_cluster=primary,
                owner=owner,
                requested_by=owner,
                reason=reason,
                quota_cpu=granted.cpu,
                quota_memory=granted.memory,
                quota_pods=granted.pods,
                quota_storage=granted.storage,
                default_cpu_limit=cpu_limit,
                default_memory_limit=memory_limit,
                state=SpaceState.PENDING_APPROVAL if is_prod else SpaceState.PROVISIONING,
                state_changed_at=now,
                expires_at=expiry_for(primary, now),
            )
            SpaceCluster.objects.create(space=space, cluster=primary, is_primary=True)
            for extra in extras:
                SpaceCluster.objects.create(space=space, cluster=extra)
            Membership.objects.create(space=space, user=owner, role=SpaceRole.OWNER, added_by=owner)
            perms.grant_role(space, owner, SpaceRole.OWNER)
            SpaceTransition.objects.create(
                space=space,
                from_state="",
                to_state=space.state,
                at=now,
                actor_name=_actor_name(actor)[:150],
                message=reason,
            )
            record(
                actor,
                "space.create",
                space,
                changes={
                    "state": {"before": None, "after": space.state},
                    "environment": {"before": None, "after": environment},
                    "clusters": {"before": None, "after": [c.name for c in [primary, *extras]]},
                    "quota": {"before": None, "after": granted.as_dict()},
                },
                reason=reason,
                space=space,
                cluster=primary,
            )
            result = CreateResult(space=space)
            if is_prod:
                result.approval = _submit(
                    RequestKind.CREATE_PROD,
                    space,
                    {"space_id": space.pk, "quota": asked.as_dict()},
                    actor=actor,
                    reason=reason,
                )
            else:
                if over:
                    result.quota_request = _submit(
                        RequestKind.QUOTA_RAISE,
                        space,
                        {"space_id": space.pk, "quota": asked.as_dict()},
                        actor=actor,
                        reason=reason
                        or _("Asked for when creating space %(space)s (more than the policy "
                             "maximum of %(cpu)s CPU, %(memory)s memory).")
                        % {"space": slug, "cpu": maximum.cpu, "memory": maximum.memory},
                    )  # fmt: skip
                reconcile_space_on_commit(space.pk)
    except IntegrityError:
        raise ValidationError(
            {"slug": [_("The name '%(name)s' is taken; choose another one.") % {"name": slug}]}
        ) from None
    return result


def _submit(kind: str, space: Space, payload: dict, *, actor: Actor, reason: str):
    from apps.approvals.services import do_submit_request

    return do_submit_request(kind, payload, actor=actor, reason=reason, target=space)


def pending_request(space: Space, kind: str):
    """The pending approval request of `kind` for `space`, if any."""
    from apps.approvals.choices import RequestState
    from apps.approvals.models import ApprovalRequest

    return (
        ApprovalRequest.objects.filter(
            kind=kind, state=RequestState.PENDING, payload__space_id=space.pk
        )
        .order_by("-id")
        .first()
    )


# --- retry, delete --------------------------------------------------------------------------
def do_retry_space(space: Space, *, actor: Actor) -> Space:
    """Provision a failed space again, re-apply a live space one of whose clusters failed,
    or push a space stuck provisioning or deleting on again (admins and owners; the stuck
    sweep of apps/operations presses it by itself)."""
    _authorize(
        actor, "space.retry", "retry", space,
        _("Only the space's admins and owners retry its provisioning."),
    )  # fmt: skip
    if space.state in (SpaceState.PROVISIONING, SpaceState.DELETING):
        return _retry_stuck(space, actor=actor)
    failed_clusters = space.placements.filter(status=ClusterStatus.FAILED).exists()
    if space.state != SpaceState.FAILED and not (
        space.state in PROVISIONED_STATES - {SpaceState.PROVISIONING} and failed_clusters
    ):
        raise SpaceConflict(
            _("Space %(space)s is %(state)s and none of its clusters failed: there is "
              "nothing to retry.")
            % {"space": space.slug, "state": SpaceState(space.state).label}
        )  # fmt: skip
    with transaction.atomic():
        if space.state == SpaceState.FAILED:
            _transition(space, SpaceState.PROVISIONING, actor=actor, message=_("Retry requested."))
            reconcile_space_on_commit(space.pk)
        else:
            record(
                actor, "space.retry", space, reason=_("Re-apply on the failed clusters."),
                space=space, cluster=space.primary_cluster,
            )  # fmt: skip
            reconcile_space_on_commit(space.pk)
        SpaceCluster.objects.filter(space=space).update(error="")
    return space


def _retry_stuck(space: Space, *, actor: Actor) -> Space:
    """Provisioning or deleting is not final: run that work again (it is idempotent), and
    move the row's clock so the stuck sweep waits a full period before pressing again."""
    with transaction.atomic():
        locked = Space.objects.select_for_update().get(pk=space.pk)
        if locked.state not in (SpaceState.PROVISIONING, SpaceState.DELETING):
            raise SpaceConflict(
                _("Space %(space)s is %(state)s now; reload it.")
                % {"space": locked.slug, "state": SpaceState(locked.state).label}
            )
        Space.objects.filter(pk=space.pk).update(updated_at=timezone.now())
        provisioning = locked.state == SpaceState.PROVISIONING
        record(
            actor, "space.retry", locked,
            reason=_("Provisioning again.") if provisioning else _("Deleting again."),
            space=locked, cluster=locked.primary_cluster,
        )  # fmt: skip
        reconcile_space_on_commit(space.pk)  # the targeted pass provisions or deletes
    space.state = locked.state
    return space


def do_delete_space(space: Space, *, actor: Actor) -> Space:
    """Delete a space (owners): a space whose namespaces exist is backed up first, by an
    operation (`selectors.ending_of(space)`) that deletes it once the backup is verified; one that
    never got its namespaces (provisioning, failed) is deleted at once. Then the
    namespaces go and the space is marked deleted."""
    _authorize(actor, "space.delete", "delete", space, _("Only the space's owners delete it."))
    if space.state == SpaceState.PENDING_APPROVAL:
        raise SpaceConflict(
            _("Space %(space)s waits for approval: cancel its request instead.")
            % {"space": space.slug}
        )
    _require_state(space, DELETABLE_STATES, _("delete it"))
    with transaction.atomic():
        if space.state in BACKED_UP_BEFORE_DELETE:
            # Its objects are backed up and the backup verified first (the same path as
            # expiry, apps/spaces/lifecycle.py); the space is deleted only after that.
            do_start_operation(
                DELETE_KIND, actor=actor, space=space, key=destroy_key(space.pk),
                params={"space_id": space.pk, "trigger": "before-delete"},
            )  # fmt: skip
            return space
        _transition(space, SpaceState.DELETING, actor=actor)
        reconcile_space_on_commit(space.pk)
    return space


# --- members --------------------------------------------------------------------------------
def _clean_role(role: str, field: str = "role") -> str:
    if role not in SpaceRole.values:
        raise ValidationError(
            {field: [_("Choose one of: %(roles)s.") % {"roles": ", ".join(SpaceRole.values)}]}
        )
    if role == SpaceRole.OWNER:
        raise ValidationError(
            {field: [_("A space has one owner: transfer the space to make someone its owner.")]}
        )
    return role


def _sync_members(space: Space) -> None:
    """Re-apply the space after a change; also while provisioning, since a run that
    started before the change may have read the old members (the runs queue on a lock)."""
    if space.state in PROVISIONED_STATES:
        reconcile_space_on_commit(space.pk)


def do_add_member(space: Space, user, role: str, *, actor: Actor) -> Membership:
    """Give `user` a role in the space (admins and owners); RoleBindings follow."""
    _authorize(
        actor, "space.member.add", "manage_members", space,
        _("Only the space's admins and owners manage its members."),
    )  # fmt: skip
    _require_state(space, EDITABLE_STATES, _("change its members"))
    role = _clean_role(role)
    if user is None or not user.is_active:
        raise ValidationError({"user": [_("There is no active user of that name.")]})
    if Membership.objects.filter(space=space, user=user).exists():
        raise ValidationError(
            {"user": [_("%(user)s is already a member; change their role instead.")
                      % {"user": user.get_username()}]}
        )  # fmt: skip
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                space=space, user=user, role=role, added_by=actor.person
            )
            perms.grant_role(space, user, role)
            record(
                actor, "space.member.add", membership,
                changes={"user": {"before": None, "after": user.get_username()},
                         "role": {"before": None, "after": role}},
                space=space, cluster=space.primary_cluster,
            )  # fmt: skip
            _sync_members(space)
    except IntegrityError:
        raise ValidationError(
            {"user": [_("%(user)s is already a member.") % {"user": user.get_username()}]}
        ) from None
    return membership


def do_change_member_role(membership: Membership, role: str, *, actor: Actor) -> Membership:
    """Change a member's role (admins and owners); the owner's role changes by transfer."""
    space = membership.space
    _authorize(
        actor, "space.member.change", "manage_members", space,
        _("Only the space's admins and owners manage its members."),
    )  # fmt: skip
    _require_state(space, EDITABLE_STATES, _("change its members"))
    role = _clean_role(role)
    with transaction.atomic():
        # The space row first (as a transfer locks it), then the membership: a transfer or
        # another role change in flight is waited for, and the checks below see its result.
        locked_space = Space.objects.select_for_update().get(pk=space.pk)
        _require_state(locked_space, EDITABLE_STATES, _("change its members"))
        locked = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if locked is None:
            raise SpaceConflict()
        if locked.role == SpaceRole.OWNER:
            raise ValidationError(
                {"role": [_("The owner's role changes only by transferring the space.")]}
            )
        if locked.role == role:
            membership.role = role
            return membership
        before = locked.role
        Membership.objects.filter(pk=membership.pk).update(role=role, updated_at=timezone.now())
        membership.role = role
        perms.grant_role(space, membership.user, role)
        record(
            actor, "space.member.change", membership,
            changes={"role": {"before": before, "after": role},
                     "user": {"before": membership.user.get_username(),
                              "after": membership.user.get_username()}},
            space=space, cluster=space.primary_cluster,
        )  # fmt: skip
        _sync_members(space)
    return membership


def do_remove_member(membership: Membership, *, actor: Actor) -> None:
    """Remove a member (admins and owners; anyone may leave); never the owner."""
    space = membership.space
    leaving = getattr(actor.person, "pk", None) == membership.user_id
    authorize(
        actor, "space.member.remove", membership,
        allowed=lambda: leaving or perms.can(actor, "manage_members", space),
        message=_("Only the space's admins and owners manage its members."),
        space=space, cluster=space.primary_cluster,
    )  # fmt: skip
    _require_state(space, EDITABLE_STATES, _("change its members"))
    if membership.role == SpaceRole.OWNER:
        raise ValidationError(
            {"user": [_("The owner cannot be removed: transfer the space first.")]}
        )
    with transaction.atomic():
        username = membership.user.get_username()
        perms.grant_role(space, membership.user, None)
        record(
            actor, "space.member.remove", membership,
            changes={"user": {"before": username, "after": None},
                     "role": {"before": membership.role, "after": None}},
            space=space, cluster=space.primary_cluster,
        )  # fmt: skip
        membership.delete()
        _sync_members(space)


def do_transfer_space(space: Space, new_owner, *, actor: Actor) -> Space:
    """Make `new_owner` the owner; the previous owner stays on as an admin (owners)."""
    _authorize(
        actor, "space.transfer", "transfer", space, _("Only the space's owner transfers it.")
    )
    _require_state(space, EDITABLE_STATES, _("transfer it"))
    if new_owner is None or not new_owner.is_active:
        raise ValidationError({"user": [_("There is no active user of that name.")]})
    if new_owner.pk == space.owner_id:
        raise ValidationError(
            {"user": [_("%(user)s already owns this space.") % {"user": new_owner}]}
        )
    with transaction.atomic():
        locked = Space.objects.select_for_update().get(pk=space.pk)
        previous = locked.owner
        Membership.objects.update_or_create(
            space=locked, user=previous, defaults={"role": SpaceRole.ADMIN}
        )
        perms.grant_role(locked, previous, SpaceRole.ADMIN)
        Membership.objects.update_or_create(
            space=locked,
            user=new_owner,
            defaults={"role": SpaceRole.OWNER, "added_by": actor.person},
        )
        perms.grant_role(locked, new_owner, SpaceRole.OWNER)
        Space.objects.filter(pk=space.pk).update(owner=new_owner, updated_at=timezone.now())
        space.owner = new_owner
        record(
            actor, "space.transfer", space,
            changes={"owner": {"before": previous.get_username(),
                               "after": new_owner.get_username()}},
            space=space, cluster=space.primary_cluster,
        )  # fmt: skip
        reconcile_space_on_commit(space.pk)
    return space


def do_update_space(space: Space, *, actor: Actor, display_name=None, description=None) -> Space:
    """Change the display name or description (admins and owners)."""
    _authorize(
        actor, "space.update", "update", space,
        _("Only the space's admins and owners change its details."),
    )  # fmt: skip
    _require_state(space, EDITABLE_STATES, _("change it"))
    with transaction.atomic():
        # Locked and re-read: a concurrent edit of the other field is kept, not overwritten
        # with the value this caller read earlier, and `before` is what was really there.
        locked = Space.objects.select_for_update().get(pk=space.pk)
        _require_state(locked, EDITABLE_STATES, _("change it"))
        before = {"display_name": locked.display_name, "description": locked.description}
        if display_name is not None:
            locked.display_name = clean_text(display_name, "display_name", 100)
        if description is not None:
            locked.description = clean_text(description, "description", 2000)
        locked.save(update_fields=["display_name", "description", "updated_at"])
        space.display_name, space.description = locked.display_name, locked.description
        space.updated_at = locked.updated_at
        after = {"display_name": space.display_name, "description": space.description}
        record(
            actor, "space.update", space, changes=diff(before, after),
            space=space, cluster=space.primary_cluster,
        )  # fmt: skip
        _sync_members(space)
    return space


# --- quota ----------------------------------------------------------------------------------
def _apply_quota(space: Space, quota: Quota, *, actor: Actor, reason: str = "") -> Space:
    """Write a new quota (inside the caller's transaction) and re-apply it on commit."""
    before = Quota.of(space).as_dict()
    Space.objects.filter(pk=space.pk).update(
        quota_cpu=quota.cpu,
        quota_memory=quota.memory,
        quota_pods=quota.pods,
        quota_storage=quota.storage,
        updated_at=timezone.now(),
    )
    space.quota_cpu, space.quota_memory = quota.cpu, quota.memory
    space.quota_pods, space.quota_storage = quota.pods, quota.storage
    record(
        actor, "space.quota.update", space,
        changes=diff({"quota": before}, {"quota": quota.as_dict()}), reason=reason,
        space=space, cluster=space.primary_cluster,
    )  # fmt: skip
    _sync_members(space)
    return space


def do_request_quota(space: Space, quota: dict, *, actor: Actor, reason: str = "") -> RequestResult:
    """Change the quota: applied at once within the policy maximum (and, in production,
    only downwards); otherwise a quota.raise approval request (admins and owners)."""
    _authorize(
        actor, "space.quota.request", "request_quota", space,
        _("Only the space's admins and owners change or request its quota."),
    )  # fmt: skip
    _require_state(space, EDITABLE_STATES - {SpaceState.PENDING_APPROVAL}, _("change its quota"))
    current = Quota.of(space)
    wanted = parse_quota(quota, current)
    if wanted == current:
        raise ValidationError({"quota": [_("That is the space's quota already.")]})
    for placement in space.placements.select_related("cluster"):
        check_fits_cluster(wanted, placement.cluster)
    maximum = maximum_quota(space.primary_cluster)
    raising = bool(wanted.exceeds(current))
    needs_approval = bool(wanted.exceeds(maximum)) or (
        raising and space.environment in PRODUCTION_ENVIRONMENTS
    )
    if not needs_approval:
        with transaction.atomic():
            _apply_quota(space, wanted, actor=actor, reason=reason)
        return RequestResult(space=space, applied=True)
    # Check and submit under the space's row lock, so a double click waits for the first
    # request and is refused; the partial unique constraint on pending requests
    # (approvals_one_pending_per_space) is the backstop for writers that do not lock.
    try:
        with transaction.atomic():
            Space.objects.select_for_update().get(pk=space.pk)
            waiting = pending_request(space, RequestKind.QUOTA_RAISE)
            if waiting is None:
                approval = _submit(
                    RequestKind.QUOTA_RAISE,
                    space,
                    {"space_id": space.pk, "quota": wanted.as_dict()},
                    actor=actor,
                    reason=reason,
                )
    except IntegrityError:
        waiting = pending_request(space, RequestKind.QUOTA_RAISE)
        if waiting is None:
            raise
    if waiting is not None:
        raise SpaceConflict(
            _("A quota request for this space is already waiting for approval (#%(id)s).")
            % {"id": waiting.pk}
        )
    return RequestResult(space=space, applied=False, approval=approval)


# --- renew ----------------------------------------------------------------------------------
def renewal_terms(space: Space) -> dict:
    """Renewal length and cap of the space's cluster policy, and where a renewal would land."""
    policy = policy_of(space.primary_cluster)
    days = policy.get("renewal_days") or settings.K2_SPACES_RENEWAL_DAYS
    cap_days = policy.get("renewal_cap_days") or settings.K2_SPACES_RENEWAL_CAP_DAYS
    now = timezone.now()
    start = max(space.expires_at or now, now)
    new_expiry = start + timedelta(days=int(days))
    cap = space.created_at + timedelta(days=int(cap_days))
    allowed = renewals_allowed(
        renewals_used=space.renewals_used, expires_at=space.expires_at, now=now,
        days=int(days), cap=cap,
    )  # fmt: skip
    return {"days": int(days), "cap_days": int(cap_days), "cap": cap, "new_expiry": new_expiry,
            "within_cap": new_expiry <= cap, "renewals_used": space.renewals_used,
            "renewals_allowed": allowed}  # fmt: skip


def _extend(space: Space, days: int, *, actor: Actor, reason: str = "") -> Space:
    now = timezone.now()
    locked = Space.objects.select_for_update().get(pk=space.pk)
    before = {"expires_at": locked.expires_at, "renewals_used": locked.renewals_used}
    expires_at = max(locked.expires_at or now, now) + timedelta(days=days)
    Space.objects.filter(pk=space.pk).update(
        expires_at=expires_at, renewals_used=locked.renewals_used + 1, updated_at=now
    )
    space.expires_at, space.renewals_used = expires_at, locked.renewals_used + 1
    record(
        actor, "space.renew", space,
        changes=diff(before, {"expires_at": expires_at, "renewals_used": space.renewals_used}),
        reason=reason, space=space, cluster=space.primary_cluster,
    )  # fmt: skip
    emit("space.renewed", actor=actor, space=space, days=days)
    if locked.state == SpaceState.EXPIRING:
        _transition(space, SpaceState.ACTIVE, actor=actor, message=_("Renewed."))
    return space


def do_renew_space(space: Space, *, actor: Actor, reason: str = "") -> RequestResult:
    """Extend a test space by the policy's renewal length; past the cap, ask for approval."""
    _authorize(
        actor, "space.renew", "renew", space, _("Only the space's admins and owners renew it.")
    )
    if space.environment in PRODUCTION_ENVIRONMENTS or space.expires_at is None:
        raise SpaceConflict(_("Space %(space)s never expires.") % {"space": space.slug})
    _require_state(space, RENEWABLE_STATES - {SpaceState.EXPIRED}, _("renew it"))
    terms = renewal_terms(space)
    if terms["within_cap"]:
        with transaction.atomic():
            _extend(space, terms["days"], actor=actor, reason=reason)
        return RequestResult(space=space, applied=True)
    reason = (reason or "").strip() or _(
        "Keep test space %(space)s beyond its %(cap)s-day cap."
    ) % {"space": space.slug, "cap": terms["cap_days"]}
    # As for quota requests: under the space's row lock, with the unique constraint behind it.
    try:
        with transaction.atomic():
            Space.objects.select_for_update().get(pk=space.pk)
            waiting = pending_request(space, RequestKind.RENEW_BEYOND_CAP)
            if waiting is None:
                approval = _submit(
                    RequestKind.RENEW_BEYOND_CAP,
                    space,
                    {"space_id": space.pk, "days": terms["days"]},
                    actor=actor,
                    reason=reason,
                )
    except IntegrityError:
        waiting = pending_request(space, RequestKind.RENEW_BEYOND_CAP)
        if waiting is None:
            raise
    if waiting is not None:
        raise SpaceConflict(
            _("A renewal request for this space is already waiting for approval (#%(id)s).")
            % {"id": waiting.pk}
        )
    return RequestResult(space=space, applied=False, approval=approval)


def active_user(username: str):
    """The active user of that username, or None."""
    return get_user_model().objects.filter(username=username, is_active=True).first()
