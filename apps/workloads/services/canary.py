"""Canary releases: a second Deployment on a new revision, weighted by ingress-nginx."""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.analytics.events import emit
from apps.audit.actors import Actor
from apps.audit.services import record
from apps.workloads.choices import AppKind
from apps.workloads.models import App, AppRevision
from apps.workloads.rendering.spec import validate_weight
from apps.workloads.services._common import (
    _authorize,
    _bump,
    _check_quota,
    _check_space_writable,
    _clean_spec,
    _enqueue_apply,
    _lock,
    _new_revision,
    _not_deleting,
    _spec_changes,
    _weights,
)


# --- canary ------------------------------------------------------------------------------
def _canary_allowed(app: App) -> None:
    if app.kind != AppKind.SERVICE:
        raise ValidationError({"canary": [_("Only service apps can run a canary.")]})


def _clean_weight(weight) -> int:
    errors = validate_weight(weight)
    if errors:
        raise ValidationError({"weight": errors})
    return weight


def do_start_canary(
    app: App, *, spec: Mapping | None = None, weight: int = 10, replicas: int = 1,
    message: str = "", actor: Actor,
) -> AppRevision:  # fmt: skip
    """Run a new revision beside the stable one and send it `weight`% of the traffic.

    The canary is a second Deployment (<app>-canary) with its own Service and an
    ingress-nginx canary Ingress (canary: "true", canary-weight: <weight>).
    """
    _authorize(actor, "canary", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    _canary_allowed(app)
    if app.has_canary:
        raise ValidationError(
            {"canary": [_("A canary is already running: promote or abort it first.")]}
        )
    weight = _clean_weight(weight)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or not 1 <= replicas <= 20:
        raise ValidationError({"replicas": [_("A canary runs between 1 and 20 replicas.")]})
    merged = {**copy.deepcopy(app.revision.spec), **dict(spec or {})}
    new = _clean_spec(merged, kind=app.kind)
    _check_quota(app.space, new, app.replicas, _weights(app), extra=replicas)
    with transaction.atomic():
        app = _lock(app)
        revision = _new_revision(
            app,
            new,
            actor=actor,
            message=message or _("Canary of revision %(n)d") % {"n": app.revision.number},
        )
        app.canary_revision, app.canary_weight, app.canary_replicas = revision, weight, replicas
        _bump(app, ["canary_revision", "canary_weight", "canary_replicas"])
        record(
            actor, "app.canary.start", app, space=app.space,
            changes={"canary_revision": {"before": None, "after": revision.number},
                     "canary_weight": {"before": None, "after": weight},
                     **_spec_changes(app.revision.spec, new)},
        )  # fmt: skip
        _enqueue_apply(app)
    return revision


def _require_canary(app: App) -> None:
    if not app.has_canary:
        raise ValidationError({"canary": [_("No canary is running.")]})


def do_set_canary_weight(app: App, weight: int, *, actor: Actor) -> App:
    _authorize(actor, "canary", app, app.space)
    _check_space_writable(app.space)
    _require_canary(app)
    weight = _clean_weight(weight)
    with transaction.atomic():
        app = _lock(app)
        _require_canary(app)
        before = app.canary_weight
        if before == weight:
            return app
        app.canary_weight = weight
        _bump(app, ["canary_weight"])
        record(actor, "app.canary.weight", app, space=app.space,
               changes={"canary_weight": {"before": before, "after": weight}})  # fmt: skip
        _enqueue_apply(app)
    return app


def do_promote_canary(app: App, *, actor: Actor) -> App:
    """The canary's revision becomes the stable one; the canary objects go away."""
    _authorize(actor, "canary", app, app.space)
    _check_space_writable(app.space)
    _require_canary(app)
    with transaction.atomic():
        app = _lock(app)
        _require_canary(app)
        before, after = app.revision.number, app.canary_revision.number
        app.revision = app.canary_revision
        app.canary_revision, app.canary_weight = None, 0
        _bump(app, ["revision", "canary_revision", "canary_weight"])
        record(actor, "app.canary.promote", app, space=app.space,
               changes={"revision": {"before": before, "after": after}})  # fmt: skip
        emit("app.canary_promoted", actor=actor, space=app.space, app=app.name, revision=after)
        _enqueue_apply(app)
    return app


def do_abort_canary(app: App, *, actor: Actor) -> App:
    """Remove the canary; the stable revision keeps all the traffic."""
    _authorize(actor, "canary", app, app.space)
    _require_canary(app)
    with transaction.atomic():
        app = _lock(app)
        _require_canary(app)
        aborted = app.canary_revision.number
        app.canary_revision, app.canary_weight = None, 0
        _bump(app, ["canary_revision", "canary_weight"])
        record(actor, "app.canary.abort", app, space=app.space,
               changes={"canary_revision": {"before": aborted, "after": None}})  # fmt: skip
        _enqueue_apply(app)
    return app
