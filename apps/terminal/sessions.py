"""Terminal session services: open (limits, row, audit), heartbeat, command log, end
(recording to the store, audit), and the two background jobs — closing sessions whose
server died, and deleting recordings past retention.

A session counts as open while its row has no `ended_at` and its server touched `seen_at`
within `stale_after()`; a row whose server was killed stops counting at once after that,
and the sweeper ends it ("The server stopped") and uploads what its spool holds.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.services import record
from apps.spaces.models import Space
from apps.terminal import recording
from apps.terminal.access import Decision, Target
from apps.terminal.choices import EndReason
from apps.terminal.commands import Command
from apps.terminal.models import TerminalCommand, TerminalSession

log = logging.getLogger(__name__)


class LimitReached(Exception):
    """Too many open terminals (the message says whose limit)."""


def stale_after() -> timedelta:
    return timedelta(seconds=max(3 * settings.K2_TERMINAL_RECHECK_SECONDS, 60))


def open_sessions():
    return TerminalSession.objects.filter(
        ended_at__isnull=True, seen_at__gte=timezone.now() - stale_after()
    )


def check_limits(user, space) -> None:
    """LimitReached when `user` or `space` has as many open terminals as allowed."""
    mine = open_sessions().filter(user=user).count()
    if mine >= settings.K2_TERMINAL_MAX_PER_USER:
        raise LimitReached(
            _("You already have %(count)s terminals open (the limit is %(limit)s): close "
              "one first.") % {"count": mine, "limit": settings.K2_TERMINAL_MAX_PER_USER}
        )  # fmt: skip
    in_space = open_sessions().filter(space=space).count()
    if in_space >= settings.K2_TERMINAL_MAX_PER_SPACE:
        raise LimitReached(
            _("Space %(space)s already has %(count)s terminals open (the limit is "
              "%(limit)s).") % {"space": space.slug, "count": in_space,
                                "limit": settings.K2_TERMINAL_MAX_PER_SPACE}
        )  # fmt: skip


def start(actor: Actor, decision: Decision, target: Target, *, server: str,
          channel: str = TerminalSession.Channel.WEB, command: str = "") -> TerminalSession:  # fmt: skip
    """Open a session row for an allowed target (LimitReached past a limit): the web
    terminal's, or an exec through the Kubernetes proxy (`channel` k2ctl, its `command`)."""
    user = actor.person
    space: Space = decision.space  # type: ignore[assignment]
    with transaction.atomic():
        # One user's (and one space's) opens are serialised, so the limits hold under races.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        Space.objects.select_for_update().filter(pk=space.pk).first()
        check_limits(user, space)
        session = TerminalSession.objects.create(
            user=user, space=space, app=decision.app, cluster=decision.cluster,
            space_slug=space.slug, app_name=target.app_name, cluster_name=target.cluster_name,
            namespace=space.namespace, pod=target.pod, container=target.container,
            shell=target.shell, server=server[:200], channel=channel, command=command[:1000],
        )  # fmt: skip
        changes = {"pod": target.pod, "container": target.container, "shell": target.shell,
                   "cluster": target.cluster_name}  # fmt: skip
        if channel != TerminalSession.Channel.WEB:
            changes.update(channel=channel, command=session.command)
        record(actor, "terminal.session.start", session, space=space, cluster=decision.cluster,
               changes=changes)  # fmt: skip
    return session


def heartbeat(session_id: int, *, bytes_in: int, bytes_out: int) -> None:
    TerminalSession.objects.filter(pk=session_id, ended_at__isnull=True).update(
        seen_at=timezone.now(), bytes_in=bytes_in, bytes_out=bytes_out
    )


def add_commands(session_id: int, started, commands: list[Command]) -> None:
    """Store submitted lines; `Command.at` is seconds since the session started."""
    if commands:
        TerminalCommand.objects.bulk_create(
            TerminalCommand(session_id=session_id, at=started + timedelta(seconds=c.at),
                            text=c.text)
            for c in commands
        )  # fmt: skip


def end(session_id: int, reason: str, *, message: str = "", exit_code: int | None = None,
        bytes_in: int | None = None, bytes_out: int | None = None) -> TerminalSession | None:  # fmt: skip
    """End a session once: upload its recording, close the row, record the audit event.
    Ending an ended session changes nothing (None)."""
    session = TerminalSession.objects.filter(pk=session_id).first()
    if session is None or session.ended_at is not None:
        return None
    try:
        location, digest, size = recording.upload(str(session.key), session.started_at)
    except Exception as exc:  # noqa: BLE001 - the session still ends; the spool stays for the sweeper
        log.warning("terminal session %s: recording upload failed: %s", session_id, exc)
        location, digest, size = "", "", 0
    with transaction.atomic():
        locked = TerminalSession.objects.select_for_update().get(pk=session_id)
        if locked.ended_at is not None:
            return None
        locked.ended_at = timezone.now()
        locked.end_reason = reason
        locked.end_message = (message or str(EndReason(reason).label))[:300]
        locked.exit_code = exit_code
        if bytes_in is not None:
            locked.bytes_in, locked.bytes_out = bytes_in, bytes_out or 0
        if location:
            locked.recording_key, locked.recording_sha256 = location, digest
            locked.recording_bytes = size
        locked.save()
        record(
            Actor.for_user(locked.user) if reason != EndReason.SERVER_STOPPED
            else Actor.system("workers.terminal.sweep"),
            "terminal.session.end", locked, space=locked.space, cluster=locked.cluster,
            reason=locked.end_message,
            changes={"reason": reason, "exit_code": exit_code, "bytes_in": locked.bytes_in,
                     "bytes_out": locked.bytes_out,
                     "commands": locked.commands.count()},
        )  # fmt: skip
    return locked


def sweep_stale() -> int:
    """End the sessions whose server stopped touching them (a killed daphne)."""
    cutoff = timezone.now() - stale_after()
    ended = 0
    for pk in TerminalSession.objects.filter(ended_at__isnull=True, seen_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        if end(pk, EndReason.SERVER_STOPPED):
            ended += 1
    return ended


def prune_recordings(now=None) -> int:
    """Delete recordings and command logs older than K2_TERMINAL_RECORDING_DAYS (the
    session rows stay, as history)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.K2_TERMINAL_RECORDING_DAYS)
    pruned = 0
    old = TerminalSession.objects.filter(ended_at__lt=cutoff, recording_deleted_at__isnull=True)
    for session in old.iterator():
        try:
            recording.delete(session)
        except Exception as exc:  # noqa: BLE001 - try again tomorrow
            log.warning("terminal recording %s not deleted: %s", session.pk, exc)
            continue
        with transaction.atomic():
            session.commands.all().delete()
            TerminalSession.objects.filter(pk=session.pk).update(recording_deleted_at=now)
            record(Actor.system("workers.terminal.prune"), "terminal.recording.delete", session,
                   space=session.space, cluster=session.cluster,
                   reason=_("Past the retention of %(days)s days.")
                   % {"days": settings.K2_TERMINAL_RECORDING_DAYS})  # fmt: skip
        pruned += 1
    return pruned
