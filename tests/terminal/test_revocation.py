"""Every way access can end closes an open terminal, with the reason in words: by the push
over the channel layer (the periodic re-check set far away, so only the push can do it),
and by the periodic re-check alone when no push comes (a change made by SQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.auth.signals import user_logged_out
from django.test import RequestFactory

from apps.audit.actors import Actor
from apps.clusters.services import do_update_cluster_policy
from apps.spaces.models import Membership, Space
from apps.spaces.services import do_change_member_role, do_remove_member
from apps.terminal.models import TerminalSession
from apps.workloads.models import App
from tests.terminal.conftest import Term, communicator

pytestmark = pytest.mark.django_db(transaction=True)


def _membership(space, user):
    return Membership.objects.get(space=space, user=user)


def _deactivate(user):
    user.is_active = False
    user.save()


def _space_deleting(space):
    space = Space.objects.get(pk=space.pk)
    space.state = "deleting"
    space.save()


def _app_deleted(app):
    App.objects.get(pk=app.pk).delete()


def _signed_out(user, session_key):
    request = RequestFactory().post("/logout/")

    class _Session:
        pass

    request.session = _Session()
    request.session.session_key = session_key
    user_logged_out.send(sender=type(user), request=request, user=user)


def _open_and_change(user, target, change, *, session_key: str = "") -> dict:
    async def scenario():
        comm = communicator(user, target)
        if session_key:
            comm.scope["session"] = _FakeSession(session_key)
        term = Term(comm)
        assert (await term.open())[0]
        await database_sync_to_async(change)()
        return await term.until_closed(timeout=20)

    with ThreadPoolExecutor(1) as pool:  # a loop of its own (see test_consumer.run)
        return pool.submit(async_to_sync(scenario)).result()


class _FakeSession:
    """The browser session of the scope (it exists until signed out)."""

    def __init__(self, key):
        self.session_key = key

    def exists(self, key):
        return True


@pytest.fixture
def far_recheck(settings):
    settings.K2_TERMINAL_RECHECK_SECONDS = 3600


CASES = {
    "role lowered to viewer": (
        lambda t, dev, admin: do_change_member_role(
            _membership(t["space"], dev), "viewer", actor=Actor.system("tests")
        ),  # fmt: skip
        "(Viewer) does not allow terminals",
    ),
    "membership removed": (
        lambda t, dev, admin: do_remove_member(
            _membership(t["space"], dev), actor=Actor.system("tests")
        ),
        "No space",
    ),
    "user deactivated": (lambda t, dev, admin: _deactivate(dev), "deactivated"),
    "space being deleted": (lambda t, dev, admin: _space_deleting(t["space"]), "is being deleted"),
    "app deleted": (lambda t, dev, admin: _app_deleted(t["app"]), "was it deleted?"),
    "cluster policy stops terminals": (
        lambda t, dev, admin: do_update_cluster_policy(
            t["space"].primary_cluster, {"terminal_allowed": False}, actor=Actor.for_user(admin)
        ),
        "does not allow web terminals",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_revocation_closes_the_open_terminal_at_once(case, target, dev, admin_user, far_recheck):
    change, reason = CASES[case]
    closed = _open_and_change(dev, target, lambda: change(target, dev, admin_user))
    assert closed["reason"] == "revoked" and reason in closed["message"], closed
    session = TerminalSession.objects.get()
    assert session.end_reason == "revoked" and reason in session.end_message


def test_signing_out_closes_the_terminals_of_that_browser_session(target, dev, far_recheck):
    closed = _open_and_change(
        dev, target, lambda: _signed_out(dev, "browser-1"), session_key="browser-1"
    )
    assert closed["reason"] == "revoked" and closed["message"] == "You signed out."


def test_without_a_push_the_periodic_recheck_closes_it(target, dev, settings):
    """A role changed by SQL sends no signal: the re-check finds it within its period."""
    settings.K2_TERMINAL_RECHECK_SECONDS = 0.5
    space = target["space"]

    def by_sql():
        from apps.spaces.models import SpaceUserObjectPermission

        SpaceUserObjectPermission.objects.filter(user=dev, content_object=space).delete()

    closed = _open_and_change(dev, target, by_sql)
    assert closed["reason"] == "revoked" and "No space" in closed["message"]
