"""Regression (issue 13, found #2): a worker killed after it created the namespace but
before it moved the space on left it `provisioning`, and retry answered 409 "nothing to
retry". Now retry pushes it on, and the sweeper presses retry by itself."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space
from tests.conftest import api_as
from tests.spaces.conftest import namespaces

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Tasks sent on commit, as (short name, args) (the worker that would run them is the
    one that died)."""
    from apps.core import tasks

    sent = []
    monkeypatch.setattr(
        tasks, "send", lambda name, a, k, o: sent.append((name.rsplit(".", 1)[-1], a))
    )
    return sent


def _stuck_space(alice, test_cluster, capture, queued, slug="stuck"):
    """A test space whose worker applied its namespace and objects, then died before it
    moved the space on (the state stays provisioning)."""
    from apps.spaces.provisioning import do_provision_space
    from apps.spaces.services import do_create_space

    with capture(execute=True):
        space = do_create_space(actor=Actor.for_user(alice), slug=slug, environment="test",
                                cluster=test_cluster.name).space  # fmt: skip
    queued.clear()
    assert do_provision_space(space.pk) == SpaceState.ACTIVE
    Space.objects.filter(pk=space.pk).update(state=SpaceState.PROVISIONING)  # never moved on
    space.refresh_from_db()
    return space


def test_retry_of_a_space_stuck_provisioning_pushes_it_on(
    alice, test_cluster, sim, django_capture_on_commit_callbacks, queued
):
    from apps.spaces.provisioning import do_provision_space

    space = _stuck_space(alice, test_cluster, django_capture_on_commit_callbacks, queued)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(alice).post("/api/v1/spaces/stuck/retry/")
    assert response.status_code == 200, response.json()  # was 409 "nothing to retry"
    assert ("reconcile_space", (space.pk,)) in queued  # the targeted pass provisions
    assert AuditEvent.objects.filter(action="space.retry", actor_name="alice").count() == 1

    assert do_provision_space(space.pk) == SpaceState.ACTIVE  # what the worker then runs
    assert namespaces(sim["test"], "stuck") == ["stuck"]  # still one namespace


def test_the_sweeper_presses_retry_on_a_stuck_space_by_itself(
    alice, test_cluster, sim, settings, django_capture_on_commit_callbacks, queued
):
    from apps.operations.services import do_sweep_operations

    settings.K2_STUCK_AFTER_SECONDS = 300
    space = _stuck_space(alice, test_cluster, django_capture_on_commit_callbacks, queued,
                         slug="stuck-swept")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert do_sweep_operations()["spaces"] == 0  # not stuck yet: its worker may be busy
    long_ago = timezone.now() - timedelta(seconds=301)
    Space.objects.filter(pk=space.pk).update(state_changed_at=long_ago, updated_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert do_sweep_operations()["spaces"] == 1
    assert ("reconcile_space", (space.pk,)) in queued
    assert AuditEvent.objects.filter(action="space.retry",
                                     actor_name="workers.operations.sweep").count() == 1  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert do_sweep_operations()["spaces"] == 0  # pressed once per period, not every minute


def test_a_space_stuck_deleting_is_deleted_again(
    alice, test_cluster, sim, django_capture_on_commit_callbacks, queued
):
    from apps.spaces.services import do_retry_space

    space = _stuck_space(alice, test_cluster, django_capture_on_commit_callbacks, queued,
                         slug="stuck-deleting")  # fmt: skip
    Space.objects.filter(pk=space.pk).update(state=SpaceState.DELETING)
    space.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        do_retry_space(space, actor=Actor.for_user(alice))
    assert ("reconcile_space", (space.pk,)) in queued  # the targeted pass deletes
