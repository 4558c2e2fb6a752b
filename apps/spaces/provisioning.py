"""Where a space's clusters stand, and running its targeted reconcile now.

The spaces app renders (apps/spaces/manifests.py, pure) and moves its state machine
(services); making clusters match is the reconciler's targeted pass
(`apps.reconciler.services.reconcile_space`), queued on commit by every service that
changes a space. The pass applies the space's objects, deletes its namespaces when the
space is being deleted, and settles provisioning → active / failed and deleting →
deleted from what it observed. The functions here run that pass in-process (management
commands, tests) and say what came of it.
"""

from apps.reconciler import services as reconciler
from apps.spaces import manifests as m
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space
from apps.spaces.quota import policy_of


def members_of(space: Space) -> list[tuple[str, str]]:
    return [
        (username, role)
        for username, role in space.memberships.values_list("user__username", "role")
    ]


def desired_manifests(space: Space, cluster) -> list[dict]:
    return m.render(space, policy_of(cluster), members_of(space))


def do_provision_space(space_id: int) -> str | None:
    """Reconcile the space on every cluster now; its resulting state (None: no such space)."""
    reconciler.reconcile_space(space_id)
    return Space.objects.filter(pk=space_id).values_list("state", flat=True).first()


def do_finish_deletion(space_id: int) -> bool:
    """One look at a deleting space's namespaces (deleted if still there); True once the
    space is deleted (or is not being deleted)."""
    reconciler.reconcile_space(space_id)
    state = Space.objects.filter(pk=space_id).values_list("state", flat=True).first()
    return state != SpaceState.DELETING
