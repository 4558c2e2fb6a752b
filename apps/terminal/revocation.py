"""Revocation: the changes that can take a terminal away push a re-check to the open
terminals they concern, over the channel layer, once the change is committed.

| change                                         | group told             |
|------------------------------------------------|------------------------|
| a membership or a space permission changed     | that user's terminals  |
| a user deactivated                             | that user's terminals  |
| a user signed out                              | that user's terminals of that browser session |
| a space deleted / being deleted                | the space's terminals  |
| an app being deleted, or deleted               | the space's terminals  |
| a cluster's policy or environment changed      | the cluster's terminals |

A told terminal runs the access decision again (apps/terminal/access.py) and closes, with
the decision's reason, when it no longer holds. The push is an optimisation for speed:
every open terminal also re-checks every K2_TERMINAL_RECHECK_SECONDS, so a lost message
(Redis restarting, a change made by SQL) still closes it in time.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

log = logging.getLogger(__name__)
EVENT = "terminal.recheck"


def user_group(user_id: int) -> str:
    return f"terminal.user.{user_id}"


def space_group(space_id: int) -> str:
    return f"terminal.space.{space_id}"


def cluster_group(cluster_id: int) -> str:
    return f"terminal.cluster.{cluster_id}"


def _send(group: str, **extra) -> None:
    message = {"type": EVENT, **extra}
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the usual case: sync code (a view's or a task's thread)
            async_to_sync(get_channel_layer().group_send)(group, message)
        else:  # sync code called on an event loop's own thread
            loop.create_task(get_channel_layer().group_send(group, message))
    except Exception as exc:  # noqa: BLE001 - the periodic re-check still closes it
        log.warning("terminal revocation push to %s failed: %s", group, exc)


def tell(group: str, **extra) -> None:
    """Push a re-check to `group` once the current transaction commits."""
    transaction.on_commit(lambda: _send(group, **extra))


@receiver(post_save, sender="spaces.Membership", dispatch_uid="terminal.membership_saved")
@receiver(post_delete, sender="spaces.Membership", dispatch_uid="terminal.membership_deleted")
def _membership_changed(sender, instance, **kwargs):
    tell(user_group(instance.user_id))


# Roles are mirrored into guardian rows (apps/spaces/permissions.py: grant_role); a lowered
# role deletes some, whichever service (or queryset update of the membership) did it.
@receiver(
    post_delete, sender="spaces.SpaceUserObjectPermission", dispatch_uid="terminal.perm_deleted"
)
def _permission_deleted(sender, instance, **kwargs):
    tell(user_group(instance.user_id))


@receiver(post_save, sender=get_user_model(), dispatch_uid="terminal.user_saved")
def _user_saved(sender, instance, created=False, **kwargs):
    if not created and not instance.is_active:
        tell(user_group(instance.pk))


@receiver(user_logged_out, dispatch_uid="terminal.signed_out")
def _signed_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if user is not None and session is not None:
        # Sent before the session is flushed: the key still names the browser's session.
        tell(user_group(user.pk), signed_out=session.session_key or "")


# Spaces, apps and clusters are saved often (status, health): only the saves that can end
# a terminal are pushed.
@receiver(post_save, sender="spaces.Space", dispatch_uid="terminal.space_saved")
def _space_saved(sender, instance, created=False, **kwargs):
    if not created and instance.state in ("deleting", "deleted"):
        tell(space_group(instance.pk))


@receiver(post_save, sender="workloads.App", dispatch_uid="terminal.app_saved")
def _app_saved(sender, instance, created=False, **kwargs):
    if not created and instance.status == "deleting":
        tell(space_group(instance.space_id))


@receiver(post_delete, sender="workloads.App", dispatch_uid="terminal.app_deleted")
def _app_deleted(sender, instance, **kwargs):
    tell(space_group(instance.space_id))


@receiver(post_save, sender="clusters.ClusterPolicy", dispatch_uid="terminal.policy_saved")
def _policy_saved(sender, instance, created=False, **kwargs):
    if not created:
        tell(cluster_group(instance.cluster_id))


@receiver(post_save, sender="clusters.Cluster", dispatch_uid="terminal.cluster_saved")
def _cluster_saved(sender, instance, created=False, update_fields=None, **kwargs):
    if not created and (update_fields is None or {"environment", "enabled"} & set(update_fields)):
        tell(cluster_group(instance.pk))
