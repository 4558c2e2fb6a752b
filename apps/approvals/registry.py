"""Pluggable parts of the approval engine: request kinds and approver resolvers.

Other apps register at start-up (in their AppConfig.ready)::

    from apps.approvals.registry import register_kind, register_approver_resolver

    register_kind(
        "space.create.prod",
        validate_payload=validate_prod_space,   # (payload, *, requester) -> cleaned payload
        on_approved=create_prod_space,          # (request) -> None, runs once, in a task
        on_rejected=drop_pending_space,         # (request) -> None: rejected/cancelled/expired
        describe=lambda request: f"Production space {request.target_name}",
    )
    register_approver_resolver(
        "space-owners",
        users=lambda request: owners_of(request.target_id),          # -> QuerySet of users
        requests_for=lambda user: Q(target_type="spaces.space", target_id__in=owned(user)),
    )

A step's `approvers` names a resolver when one is registered under that name, otherwise
a Django group.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.roles import Role, is_platform_admin


@dataclass(frozen=True)
class RequestKind:
    """What an app registered for one kind of request."""

    kind: str
    validate_payload: Callable[..., dict]
    on_approved: Callable[[object], None]
    on_rejected: Callable[[object], None] | None = None
    describe: Callable[[object], str] | None = None
    allow_direct_submit: bool = False

    def description(self, request) -> str:
        if self.describe is not None:
            try:
                return str(self.describe(request))
            except Exception:  # a broken describe must not break a listing
                return request.kind
        return request.kind


@dataclass(frozen=True)
class ApproverResolver:
    """Finds who may decide a step whose approvers are a role relative to the request."""

    name: str
    users: Callable[[object], QuerySet]
    # Q over ApprovalRequest matching the requests where `user` is one of `users(request)`
    # (the engine adds the "this step names this resolver" part); None: the inbox evaluates
    # `users` per pending request (fine for small volumes).
    requests_for: Callable[[object], Q] | None = None


_kinds: dict[str, RequestKind] = {}
_resolvers: dict[str, ApproverResolver] = {}


class UnknownKind(LookupError):
    """A request kind that no app registered."""


def register_kind(
    kind: str,
    *,
    validate_payload: Callable[..., dict],
    on_approved: Callable[[object], None],
    on_rejected: Callable[[object], None] | None = None,
    describe: Callable[[object], str] | None = None,
    allow_direct_submit: bool = False,
) -> RequestKind:
    """Register (or replace) the handlers of a request kind.

    `validate_payload(payload, *, requester)` returns the cleaned payload or raises
    django.core.exceptions.ValidationError (a dict names the payload's fields).
    `on_approved(request)` runs exactly once after final approval, in a Celery task;
    `on_rejected(request)` runs once when the request ends otherwise (request.state says
    rejected, cancelled or expired). `allow_direct_submit` opens POST /api/v1/approvals/
    requests/ to the kind; kinds that other services submit leave it off.
    """
    entry = RequestKind(
        kind=kind,
        validate_payload=validate_payload,
        on_approved=on_approved,
        on_rejected=on_rejected,
        describe=describe,
        allow_direct_submit=allow_direct_submit,
    )
    _kinds[kind] = entry
    return entry


def unregister_kind(kind: str) -> None:
    _kinds.pop(kind, None)


def get_kind(kind: str) -> RequestKind:
    try:
        return _kinds[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def registered_kinds() -> dict[str, RequestKind]:
    return dict(_kinds)


def register_approver_resolver(
    name: str,
    *,
    users: Callable[[object], QuerySet],
    requests_for: Callable[[object], Q] | None = None,
) -> ApproverResolver:
    """Register (or replace) a relative approver role usable in workflow steps."""
    entry = ApproverResolver(name=name, users=users, requests_for=requests_for)
    _resolvers[name] = entry
    return entry


def unregister_approver_resolver(name: str) -> None:
    _resolvers.pop(name, None)


def get_resolver(name: str) -> ApproverResolver | None:
    return _resolvers.get(name)


def registered_resolvers() -> dict[str, ApproverResolver]:
    return dict(_resolvers)


def validate_approvers(name: str) -> str | None:
    """None when `name` is a registered resolver or an existing group, else the problem."""
    name = (name or "").strip()
    if not name:
        return _("Name a group or an approver role.")
    if name in _resolvers or Group.objects.filter(name=name).exists():
        return None
    return _("'%(name)s' is neither a group nor a known approver role (%(roles)s).") % {
        "name": name,
        "roles": ", ".join(sorted(_resolvers)) or "—",
    }


def users_for(approvers: str, request) -> QuerySet:
    """The active users `approvers` (resolver or group name) stands for on `request`."""
    User = get_user_model()
    if not approvers:
        return User.objects.none()
    resolver = _resolvers.get(approvers)
    if resolver is not None:
        return resolver.users(request).filter(is_active=True)
    members = User.objects.filter(groups__name=approvers).values("pk")
    return User.objects.filter(is_active=True, pk__in=members)


def user_is_approver(user, approvers: str, request) -> bool:
    if not approvers or not getattr(user, "is_authenticated", False):
        return False
    resolver = _resolvers.get(approvers)
    if resolver is not None:
        return resolver.users(request).filter(pk=user.pk, is_active=True).exists()
    return user.groups.filter(name=approvers).exists()


# --- built-in resolvers ---------------------------------------------------------------------
def _platform_admins(request) -> QuerySet:
    User = get_user_model()
    admins = User.objects.filter(Q(groups__name=Role.PLATFORM_ADMIN) | Q(is_superuser=True))
    return User.objects.filter(pk__in=admins.values("pk"))


def _platform_admin_requests(user) -> Q:
    return Q() if is_platform_admin(user) else Q(pk__in=[])


register_approver_resolver(
    Role.PLATFORM_ADMIN.value, users=_platform_admins, requests_for=_platform_admin_requests
)
