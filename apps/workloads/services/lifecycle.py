"""Create, edit, deploy, scale, pause/resume, restart, rollback, delete, clone, placement."""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.events import emit
from apps.audit.actors import Actor
from apps.audit.services import authorize, record
from apps.workloads import permissions
from apps.workloads.choices import SCALABLE_KINDS, ApplyStatus, AppStatus
from apps.workloads.models import App, AppCluster, AppRevision
from apps.workloads.rendering.spec import normalize_spec, validate_app_name
from apps.workloads.services._common import (
    _authorize,
    _bump,
    _check_quota,
    _check_space_writable,
    _clean_placement,
    _clean_replicas,
    _clean_spec,
    _enqueue_apply,
    _enqueue_delete,
    _lock,
    _new_revision,
    _not_deleting,
    _scalable,
    _spec_changes,
    _weights,
)

# Statuses a retry pushes on (besides deleting, which it runs again).
RETRYABLE_STATUSES = frozenset(
    {AppStatus.PENDING, AppStatus.DEPLOYING, AppStatus.FAILED, AppStatus.DEGRADED}
)


# --- create, edit ------------------------------------------------------------------------
def do_create_app(
    space,
    *,
    name: str,
    spec: Mapping,
    replicas: int = 1,
    placement: list | None = None,
    description: str = "",
    message: str = "",
    actor: Actor,
) -> App:
    """Create an app and its first revision, then apply it to its clusters.

    1. Developers and above in the space only (refusals audited).
    2. Validate the name (DNS-1123, free in the space), the spec, replicas, placement
       (clusters of the space, weights 0-100) and the space's quota.
    3. App + revision 1 + placements in one transaction, audited as app.create.
    4. On commit, the apply task server-side-applies the manifests.
    """
    _authorize(actor, "create", (("workloads.app", "", name)), space)
    _check_space_writable(space)
    errors = {}
    name_errors = validate_app_name(name)
    if name_errors:
        errors["name"] = name_errors
    elif App.objects.filter(space=space, name=name).exists():
        errors["name"] = [_("An app named %(name)s already exists in this space.") % {"name": name}]
    try:
        spec = _clean_spec(spec)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if spec["kind"] not in SCALABLE_KINDS:
        replicas = 1
    replicas = _clean_replicas(replicas)
    weights = _clean_placement(space, placement)
    _check_quota(space, spec, replicas, [w for _c, w in weights])
    try:
        with transaction.atomic():
            app = App.objects.create(
                space=space, name=name, kind=spec["kind"], replicas=replicas,
                description=(description or "")[:300], created_by=actor.person,
                status=AppStatus.DEPLOYING,
            )  # fmt: skip
            app.revision = _new_revision(app, spec, message=message or _("Created"), actor=actor)
            app.save(update_fields=["revision"])
            AppCluster.objects.bulk_create(
                [AppCluster(app=app, cluster=c, weight=w) for c, w in weights]
            )
            record(
                actor, "app.create", app, space=space, cluster=weights[0][0],
                changes={
                    "kind": {"before": None, "after": spec["kind"]},
                    "image": {"before": None, "after": spec["image"]},
                    "replicas": {"before": None, "after": replicas},
                    "placement": {"before": None, "after": {c.name: w for c, w in weights}},
                },
            )  # fmt: skip
            _enqueue_apply(app)
    except IntegrityError as exc:
        raise ValidationError(
            {"name": [_("An app named %(name)s already exists in this space.") % {"name": name}]}
        ) from exc
    return app


def do_edit_app(app: App, *, spec: Mapping, message: str = "", actor: Actor) -> AppRevision:
    """Save a new revision (only when the spec really changed) and apply it.

    `spec` may be partial: its keys replace those of the current revision.
    """
    _authorize(actor, "edit", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    current = app.revision.spec
    merged = {**copy.deepcopy(current), **dict(spec)} if isinstance(spec, Mapping) else spec
    new = _clean_spec(merged, kind=app.kind)
    if new == normalize_spec(current):  # a revision older than a new spec key is no change
        return app.revision  # type: ignore[return-value]  # an app always has a revision
    _check_quota(app.space, new, app.replicas, _weights(app))
    with transaction.atomic():
        app = _lock(app)
        revision = _new_revision(app, new, message=message, actor=actor)
        app.revision = revision
        _bump(app, ["revision"])
        record(
            actor, "app.edit", app, space=app.space,
            changes={"revision": {"before": revision.number - 1, "after": revision.number},
                     **_spec_changes(current, new)},
        )  # fmt: skip
        _enqueue_apply(app)
    return revision


# --- deploy, scale, pause, resume, restart ----------------------------------------------
def do_deploy_app(app: App, *, actor: Actor) -> App:
    """Apply the app's current desired state again (e.g. after a cluster was repaired)."""
    _authorize(actor, "deploy", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    with transaction.atomic():
        app = _lock(app)
        _bump(app, [])
        record(actor, "app.deploy", app, space=app.space, reason=_("Redeploy requested"))
        emit("app.deployed", actor=actor, space=app.space, app=app.name)
        _enqueue_apply(app)
    return app


def do_retry_app(app: App, *, actor: Actor) -> App:
    """Push an app that is not settled on again: pending, deploying, failed, degraded or with
    a cluster still pending gets its current desired state applied again; deleting gets its
    removal run again. Nothing new is desired (no new generation); the row's clock moves so
    the stuck sweep of apps/operations waits a full period before pressing again."""
    _authorize(actor, "retry", app, app.space)
    with transaction.atomic():
        app = _lock(app)
        deleting = app.status == AppStatus.DELETING
        unsettled = (
            app.status in RETRYABLE_STATUSES
            or app.placements.exclude(status=ApplyStatus.APPLIED).exists()
        )
        if not deleting and not unsettled:
            raise ValidationError({"app": [
                _("The app is %(status)s on every cluster: there is nothing to retry.")
                % {"status": app.status_enum.label}]})  # fmt: skip
        if not deleting:
            _check_space_writable(app.space)
        App.objects.filter(pk=app.pk).update(updated_at=timezone.now())
        record(actor, "app.retry", app, space=app.space,
               reason=_("Deleting again.") if deleting else _("Deploying again."))  # fmt: skip
        if deleting:
            _enqueue_delete(app)
        else:
            _enqueue_apply(app)
    return app


def do_scale_app(app: App, replicas: int, *, actor: Actor) -> App:
    _authorize(actor, "scale", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    _scalable(app)
    replicas = _clean_replicas(replicas)
    if app.paused:
        raise ValidationError({"replicas": [_("The app is paused: resume it first.")]})
    canary = app.canary_replicas if app.has_canary else 0
    _check_quota(app.space, app.revision.spec, replicas, _weights(app), extra=canary)
    with transaction.atomic():
        app = _lock(app)
        before = app.replicas
        if before == replicas:
            return app
        app.replicas = replicas
        _bump(app, ["replicas"])
        record(actor, "app.scale", app, space=app.space,
               changes={"replicas": {"before": before, "after": replicas}})  # fmt: skip
        emit("app.scaled", actor=actor, space=app.space, app=app.name, replicas=replicas)
        _enqueue_apply(app)
    return app


def do_pause_app(app: App, *, actor: Actor) -> App:
    """Scale to 0 (or suspend a job / cron job), remembering the replica count."""
    _authorize(actor, "pause", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    with transaction.atomic():
        app = _lock(app)
        if app.paused:
            return app
        app.paused, app.paused_replicas, before = True, app.replicas, app.replicas
        if app.kind in SCALABLE_KINDS:
            app.replicas = 0
        _bump(app, ["paused", "paused_replicas", "replicas"], status=AppStatus.PAUSED)
        record(actor, "app.pause", app, space=app.space,
               changes={"replicas": {"before": before, "after": app.replicas}})  # fmt: skip
        _enqueue_apply(app)
    return app


def do_resume_app(app: App, *, actor: Actor) -> App:
    _authorize(actor, "resume", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    with transaction.atomic():
        app = _lock(app)
        if not app.paused:
            return app
        before = app.replicas
        app.replicas = app.paused_replicas if app.paused_replicas is not None else max(1, before)
        app.paused, app.paused_replicas = False, None
        _bump(app, ["paused", "paused_replicas", "replicas"])
        record(actor, "app.resume", app, space=app.space,
               changes={"replicas": {"before": before, "after": app.replicas}})  # fmt: skip
        _enqueue_apply(app)
    return app


def do_restart_app(app: App, *, actor: Actor) -> App:
    """Roll every pod, like `kubectl rollout restart` (a restartedAt template annotation)."""
    _authorize(actor, "restart", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    _scalable(app, "app")
    with transaction.atomic():
        app = _lock(app)
        before = app.restarted_at
        app.restarted_at = timezone.now().isoformat(timespec="seconds")
        _bump(app, ["restarted_at"])
        record(actor, "app.restart", app, space=app.space,
               changes={"restarted_at": {"before": before or None, "after": app.restarted_at}})  # fmt: skip
        _enqueue_apply(app)
    return app


# --- revisions -----------------------------------------------------------------------------
def do_rollback_app(app: App, number: int, *, message: str = "", actor: Actor) -> AppRevision:
    """Make a new revision equal to revision `number` and apply it."""
    _authorize(actor, "rollback", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    old = app.revisions.filter(number=number).first() if isinstance(number, int) else None
    if old is None:
        raise ValidationError({"revision": [_("This app has no revision %(n)s.") % {"n": number}]})
    spec = _clean_spec(old.spec, kind=app.kind)
    _check_quota(app.space, spec, app.replicas, _weights(app))
    with transaction.atomic():
        app = _lock(app)
        current = app.revision.spec
        revision = _new_revision(
            app, spec, actor=actor, source=number,
            message=message or _("Rollback to revision %(n)d") % {"n": number},
        )  # fmt: skip
        app.revision = revision
        _bump(app, ["revision"])
        record(
            actor, "app.rollback", app, space=app.space,
            changes={"revision": {"before": revision.number - 1, "after": revision.number},
                     "rolled_back_to": {"before": None, "after": number},
                     **_spec_changes(current, spec)},
        )  # fmt: skip
        _enqueue_apply(app)
    return revision


# --- delete, clone, placement --------------------------------------------------------------
def do_delete_app(app: App, *, actor: Actor) -> App:
    """Mark the app deleting; a task removes its objects from every cluster, then the row."""
    _authorize(actor, "delete", app, app.space)
    with transaction.atomic():
        app = _lock(app)
        if app.status == AppStatus.DELETING:
            return app
        before = app.status
        _bump(app, [], status=AppStatus.DELETING)
        record(actor, "app.delete", app, space=app.space,
               changes={"status": {"before": before, "after": AppStatus.DELETING}})  # fmt: skip
        _enqueue_delete(app)
    return app


def do_clone_app(app: App, *, target_space, name: str, message: str = "", actor: Actor) -> App:
    """Copy an app (its current spec, replicas and config files) under a new name.

    Into the same space the placement is copied; into another space the clone runs on
    that space's primary cluster. The clone owns its copy: later edits of either app do
    not touch the other.
    """
    allowed = permissions.can_clone(actor, app, target_space)
    authorize(
        actor, "app.clone", app, allowed=allowed, space=target_space,
        message=_("Cloning needs read access to %(source)s and developer access to %(target)s.")
        % {"source": app.space.slug, "target": target_space.slug},
    )  # fmt: skip
    placement = None
    if target_space.pk == app.space_id:
        placement = [{"cluster": p.cluster.name, "weight": p.weight}
                     for p in app.placements.select_related("cluster")]  # fmt: skip
    replicas = app.paused_replicas if app.paused and app.paused_replicas else app.replicas
    clone = do_create_app(
        target_space,
        name=name,
        spec=copy.deepcopy(app.revision.spec),
        replicas=replicas,
        placement=placement,
        description=app.description,
        message=message
        or _("Cloned from %(space)s/%(app)s revision %(n)d")
        % {"space": app.space.slug, "app": app.name, "n": app.revision.number},
        actor=actor,
    )
    record(
        actor, "app.clone", clone, space=target_space,
        changes={"source": {"before": None, "after": f"{app.space.slug}/{app.name}#{app.revision.number}"}},
    )  # fmt: skip
    emit("app.cloned", actor=actor, space=target_space, app=clone.name,
         origin=f"{app.space.slug}/{app.name}")  # fmt: skip
    return clone


def do_set_placement(app: App, placement: list, *, actor: Actor) -> App:
    """Place the app on some of its space's clusters with replica weights (e.g. 2:1)."""
    _authorize(actor, "placement", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    weights = _clean_placement(app.space, placement)
    _check_quota(app.space, app.revision.spec, app.replicas, [w for _c, w in weights])
    with transaction.atomic():
        app = _lock(app)
        before = {p.cluster.name: p.weight for p in app.placements.select_related("cluster")}
        after = {c.name: w for c, w in weights}
        if before == after:
            return app
        app.placements.exclude(cluster__in=[c for c, _w in weights]).delete()
        for cluster, weight in weights:
            AppCluster.objects.update_or_create(
                app=app, cluster=cluster,
                defaults={"weight": weight, "status": ApplyStatus.PENDING},
            )  # fmt: skip
        _bump(app, [])
        record(actor, "app.placement", app, space=app.space,
               changes={"placement": {"before": before, "after": after}})  # fmt: skip
        _enqueue_apply(app)
    return app
