"""Enums of the spaces app, with labels, badge colours and state groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class SpaceState(ColourChoices):
    PENDING_APPROVAL = "pending-approval", "yellow", _("Waiting for approval")
    PROVISIONING = "provisioning", "azure", _("Provisioning")
    ACTIVE = "active", "green", _("Active")
    EXPIRING = "expiring", "orange", _("Expiring")
    EXPIRED = "expired", "secondary", _("Expired")
    FAILED = "failed", "red", _("Failed")
    DELETING = "deleting", "purple", _("Deleting")
    DELETED = "deleted", "secondary", _("Deleted")
    REJECTED = "rejected", "secondary", _("Not approved")


# The state machine: from-state -> the states a transition may lead to.
TRANSITIONS: dict[str, frozenset[str]] = {
    SpaceState.PENDING_APPROVAL: frozenset({SpaceState.PROVISIONING, SpaceState.REJECTED}),
    SpaceState.PROVISIONING: frozenset({SpaceState.ACTIVE, SpaceState.FAILED, SpaceState.DELETING}),
    SpaceState.ACTIVE: frozenset(
        {SpaceState.PROVISIONING, SpaceState.EXPIRING, SpaceState.FAILED, SpaceState.DELETING}
    ),
    SpaceState.EXPIRING: frozenset(
        {SpaceState.ACTIVE, SpaceState.EXPIRED, SpaceState.FAILED, SpaceState.DELETING}
    ),
    SpaceState.EXPIRED: frozenset({SpaceState.ACTIVE, SpaceState.DELETING}),
    SpaceState.FAILED: frozenset({SpaceState.PROVISIONING, SpaceState.DELETING}),
    SpaceState.DELETING: frozenset({SpaceState.DELETED, SpaceState.FAILED}),
    SpaceState.DELETED: frozenset(),
    SpaceState.REJECTED: frozenset(),
}

# Spaces that hold their name and count as existing.
LIVE_STATES = frozenset(set(SpaceState) - {SpaceState.DELETED, SpaceState.REJECTED})
# No transition leaves these.
TERMINAL_STATES = frozenset({SpaceState.DELETED, SpaceState.REJECTED})
# Namespaces exist (or should) in the clusters: the reconciler applies the space's objects.
PROVISIONED_STATES = frozenset(
    {SpaceState.ACTIVE, SpaceState.EXPIRING, SpaceState.EXPIRED, SpaceState.PROVISIONING}
)
# A renewal makes sense only for these.
RENEWABLE_STATES = frozenset({SpaceState.ACTIVE, SpaceState.EXPIRING, SpaceState.EXPIRED})
# Members and quota may change while the space is in one of these.
EDITABLE_STATES = frozenset(
    {
        SpaceState.PENDING_APPROVAL,
        SpaceState.PROVISIONING,
        SpaceState.ACTIVE,
        SpaceState.EXPIRING,
        SpaceState.EXPIRED,
        SpaceState.FAILED,
    }
)
DELETABLE_STATES = frozenset(
    {
        SpaceState.PROVISIONING,
        SpaceState.ACTIVE,
        SpaceState.EXPIRING,
        SpaceState.EXPIRED,
        SpaceState.FAILED,
    }
)

# Namespaces exist: their objects are backed up (and the backup verified) before destruction.
BACKED_UP_BEFORE_DELETE = frozenset({SpaceState.ACTIVE, SpaceState.EXPIRING, SpaceState.EXPIRED})
# The operation kinds that end a space (apps/spaces/lifecycle.py) and the key they share, so
# an expiry and a deletion of one space never run at the same time.
EXPIRE_KIND = "spaces.expire"
DELETE_KIND = "spaces.delete"


def destroy_key(space_id: int) -> str:
    return f"spaces.destroy:{space_id}"


def can_transition(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


class SpaceRole(ColourChoices):
    """A member's role in one space (ordered from least to most)."""

    VIEWER = "viewer", "secondary", _("Viewer")
    DEVELOPER = "developer", "blue", _("Developer")
    ADMIN = "admin", "purple", _("Admin")
    OWNER = "owner", "green", _("Owner")

    @property
    def rank(self) -> int:
        return list(SpaceRole).index(self)


# The Kubernetes ClusterRole each K2 role is bound to in the space's namespaces.
CLUSTER_ROLE = {
    SpaceRole.VIEWER: "view",
    SpaceRole.DEVELOPER: "edit",
    SpaceRole.ADMIN: "admin",
    SpaceRole.OWNER: "admin",
}


class ClusterStatus(ColourChoices):
    """How far one cluster of a space is from the desired state."""

    PENDING = "pending", "azure", _("Pending")
    READY = "ready", "green", _("Ready")
    FAILED = "failed", "red", _("Failed")
    DELETING = "deleting", "purple", _("Deleting")
    DELETED = "deleted", "secondary", _("Deleted")


class RequestKind(models.TextChoices):
    """Approval request kinds this app registers with apps/approvals."""

    CREATE_PROD = "space.create.prod", _("Production space")
    QUOTA_RAISE = "quota.raise", _("Quota raise")
    RENEW_BEYOND_CAP = "space.renew.beyond_cap", _("Renewal past the cap")
