"""Sessions without a live websocket: the sweeper ends sessions whose server died (and
uploads their spool), retention deletes old recordings and command logs, the beat entries
exist, and the portal lists, searches and scopes sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.audit.actors import Actor
from apps.backups.store import get_store
from apps.terminal import recording, sessions
from apps.terminal.access import Target, decide
from apps.terminal.commands import Command
from apps.terminal.models import TerminalSession
from apps.terminal.schedules import PRUNE_TASK_NAME, SWEEP_TASK_NAME

pytestmark = pytest.mark.django_db


def _start(user, t):
    target = Target(t["space"].slug, "web", "wl-test", t["pod"], "web")
    return sessions.start(Actor.for_user(user), decide(user, target), target, server="test:1")


def test_the_beat_entries_exist():
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks[SWEEP_TASK_NAME] == "workers.terminal.sweep"
    assert tasks[PRUNE_TASK_NAME] == "workers.terminal.prune"


def test_a_session_whose_server_died_is_ended_and_its_spool_uploaded(target, dev):
    session = _start(dev, target)
    rec = recording.Recorder(str(session.key), 80, 24, title="t", shell="sh")
    rec.output(b"web-0:$ ")
    rec.input(b"ls\r")
    rec.flush()  # the server was killed after this flush
    assert sessions.open_sessions().filter(pk=session.pk).exists()
    TerminalSession.objects.filter(pk=session.pk).update(
        seen_at=timezone.now() - timedelta(minutes=5)
    )
    assert not sessions.open_sessions().filter(pk=session.pk).exists()  # no longer counts
    assert sessions.sweep_stale() == 1
    session.refresh_from_db()
    assert session.end_reason == "server_stopped" and session.recording_key
    assert "ls" in recording.read_cast_text(session)
    assert sessions.sweep_stale() == 0


def test_retention_deletes_old_recordings_and_command_logs_but_keeps_the_rows(
    target, dev, settings
):
    settings.K2_TERMINAL_RECORDING_DAYS = 90
    session = _start(dev, target)
    sessions.add_commands(session.pk, session.started_at, [Command(1.0, "cat /etc/hosts")])
    rec = recording.Recorder(str(session.key), 80, 24, title="t", shell="sh")
    rec.input(b"cat /etc/hosts\r")
    rec.finish()
    sessions.end(session.pk, "closed")
    session.refresh_from_db()
    key = session.recording_key
    assert get_store().exists(key)
    assert sessions.prune_recordings(now=timezone.now() + timedelta(days=30)) == 0
    assert sessions.prune_recordings(now=timezone.now() + timedelta(days=91)) == 1
    session.refresh_from_db()
    assert session.recording_deleted_at and not get_store().exists(key)
    assert session.commands.count() == 0


def test_the_sessions_list_searches_commands_and_is_scoped(
    target, dev, alice, bob, admin_user, client
):
    from django.contrib.auth.models import Group

    from apps.accounts.roles import Role

    session = _start(dev, target)
    sessions.add_commands(session.pk, session.started_at, [Command(1.0, "kubectl-free-text"),
                                                          Command(2.0, "exit")])  # fmt: skip
    sessions.end(session.pk, "exit", exit_code=0)
    bob.groups.add(Group.objects.get(name=Role.EMPLOYEE))
    for user, rows in ((admin_user, 1), (alice, 1), (dev, 1), (bob, 0)):  # alice owns the space
        client.force_login(user)
        page = client.get("/terminal/sessions/", {"q": "free-text"})
        assert page.status_code == 200
        assert page.content.decode().count('data-testid="session-row"') == rows, user
    client.force_login(admin_user)
    assert client.get("/terminal/sessions/", {"q": "nothing-like-it"}).content.decode().count(
        'data-testid="session-row"') == 0  # fmt: skip
    detail = client.get(f"/terminal/sessions/{session.key}/")
    assert "kubectl-free-text" in detail.content.decode()
    client.force_login(bob)
    assert client.get(f"/terminal/sessions/{session.key}/").status_code == 404


def test_the_page_says_why_a_terminal_cannot_open(target, viewer, dev, client):
    client.force_login(viewer)
    url = f"/terminal/{target['space'].slug}/web/?cluster=wl-test&pod=web-0&container=web"
    page = client.get(url)
    assert page.status_code == 403 and "does not allow terminals" in page.content.decode()
    check = client.get(
        f"/terminal/{target['space'].slug}/web/check/?cluster=wl-test&pod=web-0&container=web"
    )
    assert check.json()["allowed"] is False and "Viewer" in check.json()["reason"]
    client.force_login(dev)
    assert client.get(url).status_code == 200


def test_the_pod_list_offers_a_terminal_only_where_allowed(target, dev, viewer, client):
    client.force_login(dev)
    html = client.get(
        f"/apps/{target['space'].slug}/web/status/", {"part": "pods"}
    ).content.decode()
    assert (
        'data-testid="pod-terminal-web-sh"' in html
        and 'data-testid="pod-terminal-sidecar-bash"' in html
    )
    client.force_login(viewer)
    html = client.get(
        f"/apps/{target['space'].slug}/web/status/", {"part": "pods"}
    ).content.decode()
    assert "pod-terminal" not in html
