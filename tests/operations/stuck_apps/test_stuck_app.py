"""Regression (issue 13, found #1 and #3): an app whose apply died with its worker stayed
`deploying` / placement `pending` until someone pressed deploy again. Now the sweeper
presses retry by itself after K2_STUCK_AFTER_SECONDS, and a person can press it too."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.workloads.models import App
from apps.workloads.services import do_create_app, do_retry_app
from apps.workloads.status import read_status
from tests.conftest import api_as
from tests.workloads.conftest import apps_api, service_spec

pytestmark = pytest.mark.django_db


def _lost_app(space, alice, run, capture):
    """An app created while its worker died: the apply task never ran."""
    with capture(execute=True):
        app = do_create_app(space, name="web", spec=service_spec(), actor=Actor.for_user(alice))
    run.queued.clear()  # lost with the worker
    app.refresh_from_db()
    return app


def test_an_app_whose_apply_was_lost_is_retried_by_the_sweeper(
    space, alice, run, sim, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.K2_STUCK_AFTER_SECONDS = 300
    run.queued.clear()
    app = _lost_app(space, alice, run, django_capture_on_commit_callbacks)
    run.queued.clear()  # lost with the worker
    app.refresh_from_db()
    assert app.applied_generation < app.generation and app.status in ("pending", "deploying")
    from apps.operations.services import do_sweep_operations

    assert run(do_sweep_operations)["apps"] == 0  # too young to be stuck
    App.objects.filter(pk=app.pk).update(updated_at=timezone.now() - timedelta(seconds=301))
    assert run(do_sweep_operations)["apps"] == 1  # pressed, and the apply ran
    app.refresh_from_db()
    assert app.applied_generation == app.generation
    deployments = apps_api(sim, "wl-test").list_namespaced_deployment(
        space.namespace, label_selector="k2cloud.io/app=web").items  # fmt: skip
    assert len(deployments) == 1
    assert read_status(app, fresh=True)["phase"] in ("deploying", "running")
    assert (
        AuditEvent.objects.filter(action="app.retry", actor_name="workers.operations.sweep").count()
        == 1
    )
    assert run(do_sweep_operations)["apps"] == 0  # settled: nothing more to press


def test_people_press_retry_and_a_settled_app_has_nothing_to_retry(
    space, alice, viewer, run, django_capture_on_commit_callbacks
):
    app = _lost_app(space, alice, run, django_capture_on_commit_callbacks)
    assert api_as(viewer).post(f"/api/v1/apps/{space.slug}/web/retry/").status_code == 403
    response = api_as(alice).post(f"/api/v1/apps/{space.slug}/web/retry/")
    assert response.status_code == 200, response.json()
    app.refresh_from_db()
    App.objects.filter(pk=app.pk).update(status="running")
    app.placements.update(status="applied")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="nothing to retry"):
        do_retry_app(App.objects.get(pk=app.pk), actor=Actor.for_user(alice))


def test_a_stuck_deleting_app_is_deleted_again(
    space, alice, run, django_capture_on_commit_callbacks
):
    from apps.workloads.services import do_delete_app

    app = _lost_app(space, alice, run, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_app(app, actor=Actor.for_user(alice))
    run.queued.clear()  # the delete task was lost
    with django_capture_on_commit_callbacks(execute=True):
        do_retry_app(App.objects.get(pk=app.pk), actor=Actor.for_user(alice))
    # The reconciler's targeted pass removes a deleting app's objects, then its row.
    assert [(name, args) for name, args, _kw, _options in run.queued] == [
        ("workers.reconcile.reconcile_app", (app.pk,))
    ]


def test_a_rollout_whose_follow_up_look_died_with_its_worker_is_settled_by_the_sweeper(
    space, alice, run, settings, django_capture_on_commit_callbacks
):
    """Chaos found it: the worker's main process was killed while it held the delayed
    follow-up look of a rollout; Redis hands that back only after an hour, and the app
    stayed `deploying` with its Deployment ready."""
    from celery import current_app

    from apps.operations.services import do_sweep_operations

    settings.K2_STUCK_AFTER_SECONDS = 1
    with django_capture_on_commit_callbacks(execute=True):
        do_create_app(space, name="web", spec=service_spec(), actor=Actor.for_user(alice))
    name, args, kwargs, _options = run.queued.pop(0)
    current_app.tasks[name].run(*args, **kwargs)  # the apply, by the worker about to die
    assert [q[0] for q in run.queued] == ["workers.reconcile.reconcile_app"]  # its look
    run.queued.clear()  # ... lost with the worker
    app = App.objects.get(space=space, name="web")
    assert (app.status, app.applied_generation) == ("deploying", app.generation)
    App.objects.filter(pk=app.pk).update(updated_at=timezone.now() - timedelta(seconds=5))
    assert run(do_sweep_operations)["apps"] == 0  # the look is still awaited
    time.sleep(2.2)  # the look's countdown and the period pass: the promise expires
    assert run(do_sweep_operations)["apps"] == 1
    app.refresh_from_db()
    assert app.status == "running"
    assert AuditEvent.objects.filter(action="app.retry", target_id=str(app.pk)).count() == 1
