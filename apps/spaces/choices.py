"""Enums of the spaces app, with labels, badge colours and state groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpaceState(models.TextChoices):
    PENDING_APPROVAL = "pending-approval", _("Waiting for approval")
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    EXPIRING = "expiring", _("Expiring")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Failed")
    DELETING = "deleting", _("Deleting")
    DELETED = "deleted", _("Deleted")
    REJECTED = "rejected", _("Not approved")

    @property
    def colour(self) -> str:
        return STATE_BADGE[self]


STATE_BADGE = {
    SpaceState.PENDING_APPROVAL: "yellow",
    SpaceState.PROVISIONING: "azure",
    SpaceState.ACTIVE: "green",
    SpaceState.EXPIRING: "orange",
    SpaceState.EXPIRED: "secondary",
    SpaceState.FAILED: "red",
    SpaceState.DELETING: "purple",
    SpaceState.DELETED: "secondary",
    SpaceState.REJECTED: "secondary",
}

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
# Namespaces exist (or should) in the clusters.
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


def can_transition(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


class SpaceRole(models.TextChoices):
    """A member's role in one space (ordered from least to most)."""

    VIEWER = "viewer", _("Viewer")
    DEVELOPER = "developer", _("Developer")
    ADMIN = "admin", _("Admin")
    OWNER = "owner", _("Owner")

    @property
    def colour(self) -> str:
        return ROLE_BADGE[self]

    @property
    def rank(self) -> int:
        return list(SpaceRole).index(self)


ROLE_BADGE = {
    SpaceRole.VIEWER: "secondary",
    SpaceRole.DEVELOPER: "blue",
    SpaceRole.ADMIN: "purple",
    SpaceRole.OWNER: "green",
}

# The Kubernetes ClusterRole each K2 role is bound to in the space's namespaces.
CLUSTER_ROLE = {
    SpaceRole.VIEWER: "view",
    SpaceRole.DEVELOPER: "edit",
    SpaceRole.ADMIN: "admin",
    SpaceRole.OWNER: "admin",
}


class ClusterStatus(models.TextChoices):
    """How far one cluster of a space is from the desired state."""

    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    DELETING = "deleting", _("Deleting")
    DELETED = "deleted", _("Deleted")

    @property
    def colour(self) -> str:
        return CLUSTER_STATUS_BADGE[self]


CLUSTER_STATUS_BADGE = {
    ClusterStatus.PENDING: "azure",
    ClusterStatus.READY: "green",
    ClusterStatus.FAILED: "red",
    ClusterStatus.DELETING: "purple",
    ClusterStatus.DELETED: "secondary",
}


class RequestKind(models.TextChoices):
    """Approval request kinds this app registers with apps/approvals."""

    CREATE_PROD = "space.create.prod", _("Production space")
    QUOTA_RAISE = "quota.raise", _("Quota raise")
    RENEW_BEYOND_CAP = "space.renew.beyond_cap", _("Renewal past the cap")
