"""Domain events emitted from model signals, only where a row's creation IS the event.

space.created (a Space row is inserted), space.expired (a SpaceTransition to "expired" is
inserted), cluster.registered (a Cluster row is inserted) and request.submitted (an
ApprovalRequest row is inserted) are reliable this way. Renewals, decisions and app
actions are updates (sometimes conditional UPDATEs that send no signal), so their
services call emit() themselves (docs/analytics.md lists the calls).
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.analytics.events import emit


@receiver(post_save, sender="spaces.Space", dispatch_uid="analytics.space_created")
def space_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        emit(
            "space.created",
            actor=instance.requested_by_id or instance.owner_id,  # ids: no extra queries
            space=instance,
            environment=instance.environment,
        )


@receiver(post_save, sender="spaces.SpaceTransition", dispatch_uid="analytics.space_expired")
def space_expired(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.to_state == "expired":
        space = instance.space
        emit("space.expired", actor=None, space=space, environment=space.environment)


@receiver(post_save, sender="clusters.Cluster", dispatch_uid="analytics.cluster_registered")
def cluster_registered(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        emit(
            "cluster.registered",
            actor=instance.created_by_id,
            cluster=instance.name,
            environment=instance.environment,
        )


@receiver(post_save, sender="approvals.ApprovalRequest", dispatch_uid="analytics.submitted")
def request_submitted(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        emit("request.submitted", actor=instance.requester_id, kind=instance.kind)
