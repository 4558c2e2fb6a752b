"""Every write to apps: do_<verb>_app(..., *, actor).

Each follows the house order: permission check (a refusal is audited) → validate (a
ValidationError naming the field; nothing written, nothing sent to any cluster) → one
transaction → audit record → `transaction.on_commit` enqueues the apply task.
"""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.events import emit
from apps.audit.actors import as_actor
from apps.audit.services import authorize, record
from apps.spaces.choices import SpaceState
from apps.workloads import permissions
from apps.workloads.choices import SCALABLE_KINDS, AppKind, ApplyStatus, AppStatus
from apps.workloads.models import App, AppCluster, AppRevision
from apps.workloads.rendering import digest, normalize_spec, split_replicas, validate_spec
from apps.workloads.rendering.quantity import cpu_millicores, memory_bytes
from apps.workloads.rendering.spec import validate_app_name, validate_replicas, validate_weight

# Spaces whose namespaces exist (or are being made): apps may be written there.
WRITABLE_SPACE_STATES = frozenset({SpaceState.ACTIVE, SpaceState.EXPIRING, SpaceState.PROVISIONING})


# --- helpers -----------------------------------------------------------------------------
def _user(actor):
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is None:
        who = as_actor(actor)
        if who.user_id:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(pk=who.user_id).first()
    return user


def _authorize(actor, action: str, target, space, *, allowed: bool | None = None) -> None:
    """Refuse (and audit the refusal) unless the actor may change apps of `space`."""
    ok = permissions.can_change_apps(actor, space) if allowed is None else allowed
    authorize(
        actor, f"app.{action}", target, allowed=ok, space=space,
        message=_("Only developers, admins and owners of the space %(space)s may change its apps.")
        % {"space": space.slug},
    )  # fmt: skip


def _enqueue_apply(app: App) -> None:
    from workers.workloads import apply_app

    app_id, generation = app.pk, app.generation
    transaction.on_commit(lambda: apply_app.delay(app_id, generation))


def _enqueue_delete(app: App) -> None:
    from workers.workloads import delete_app

    app_id = app.pk
    transaction.on_commit(lambda: delete_app.delay(app_id))


def _check_space_writable(space) -> None:
    if space.state not in WRITABLE_SPACE_STATES:
        raise ValidationError(
            {"space": [_("The space %(space)s is %(state)s: its apps cannot be changed now.")
                       % {"space": space.slug, "state": SpaceState(space.state).label}]}
        )  # fmt: skip


def _clean_spec(raw, *, kind: str | None = None) -> dict:
    if not isinstance(raw, Mapping):
        raise ValidationError({"spec": [_("The spec must be an object.")]})
    raw = dict(raw)
    if kind is not None:
        if raw.get("kind") not in (None, kind):
            raise ValidationError({"kind": [_("The kind of an app cannot change.")]})
        raw["kind"] = kind
    spec = normalize_spec(raw)
    errors = validate_spec(spec)
    if errors:
        raise ValidationError(errors)
    return spec


def _space_clusters(space) -> dict[str, object]:
    """The clusters of a space by name (primary first)."""
    clusters = {space.primary_cluster.name: space.primary_cluster}
    for placement in space.placements.select_related("cluster").exclude(status="deleted"):
        clusters.setdefault(placement.cluster.name, placement.cluster)
    return clusters


def _clean_placement(space, placement) -> list[tuple[object, int]]:
    """[(cluster, weight)] from [{"cluster": name, "weight": n}]; the primary cluster if empty."""
    clusters = _space_clusters(space)
    if not placement:
        return [(space.primary_cluster, 1)]
    if not isinstance(placement, list):
        raise ValidationError({"placement": [_("Give a list of clusters with weights.")]})
    errors, out, seen = [], [], set()
    for item in placement:
        name = item.get("cluster") if isinstance(item, Mapping) else None
        weight = item.get("weight", 1) if isinstance(item, Mapping) else None
        if name not in clusters:
            errors.append(
                _("'%(name)s' is not a cluster of the space %(space)s (its clusters: %(all)s).")
                % {"name": name, "space": space.slug, "all": ", ".join(clusters)}
            )
            continue
        if name in seen:
            errors.append(_("The cluster %(name)s is listed twice.") % {"name": name})
            continue
        seen.add(name)
        weight_errors = validate_weight(weight)
        if weight_errors:
            errors.extend(weight_errors)
            continue
        out.append((clusters[name], weight))
    if not errors and not any(w for _c, w in out):
        errors.append(_("At least one cluster needs a weight above 0."))
    if errors:
        raise ValidationError({"placement": errors})
    return out


def _clean_replicas(replicas) -> int:
    errors = validate_replicas(replicas)
    if errors:
        raise ValidationError({"replicas": errors})
    return replicas


def _parse(parse, text):
    try:
        return parse(text)
    except (TypeError, ValueError):
        return None


def _check_quota(space, spec: dict, replicas: int, weights: list[int], extra: int = 0) -> None:
    """An app whose largest per-cluster share asks for more than the space's quota is refused.

    The quota is per namespace, so each cluster's share (plus `extra` canary pods there)
    must fit: limits x pods <= quota.
    """
    pods = max(split_replicas(replicas, list(enumerate(weights))).values(), default=0) + extra
    pods = max(pods, 1)
    cpu, memory = cpu_millicores(spec["cpu_limit"]), memory_bytes(spec["memory_limit"])
    errors = {}
    for field, need, quota, parse, label in (
        ("cpu_limit", cpu, space.quota_cpu, cpu_millicores, _("CPU")),
        ("memory_limit", memory, space.quota_memory, memory_bytes, _("memory")),
    ):
        limit = _parse(parse, quota)
        if limit is None:
            continue
        if need > limit:
            errors[field] = [
                _("One pod asks for more %(what)s than the space's quota (%(quota)s).")
                % {"what": label, "quota": quota}
            ]
        elif need * pods > limit:
            errors["replicas"] = [
                _("%(pods)d pods of this app need more %(what)s than the space's quota "
                  "(%(quota)s): lower the replicas or the limit, or ask for a quota raise.")
                % {"pods": pods, "what": label, "quota": quota}
            ]  # fmt: skip
    if space.quota_pods and pods > space.quota_pods:
        errors.setdefault("replicas", []).append(
            _("The space allows %(max)d pods; this app would run %(pods)d on one cluster.")
            % {"max": space.quota_pods, "pods": pods}
        )
    if spec.get("storage"):
        limit = _parse(memory_bytes, space.quota_storage)
        need = memory_bytes(spec["storage"]["size"]) * pods
        if limit is not None and need > limit:
            errors["storage_size"] = [
                _("The volumes of this app need more storage than the space's quota (%(quota)s).")
                % {"quota": space.quota_storage}
            ]
    if errors:
        raise ValidationError(errors)


def _lock(app: App) -> App:
    return (
        App.objects.select_for_update(of=("self",))
        .select_related("space", "revision")
        .get(pk=app.pk)
    )


def _new_revision(
    app: App, spec: dict, *, message: str, actor, source: int | None = None
) -> AppRevision:
    number = (app.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    user = _user(actor)
    return AppRevision.objects.create(
        app=app,
        number=number,
        spec=spec,
        spec_hash=digest(spec),
        message=(message or "")[:300],
        author=user,
        author_name=as_actor(actor).name[:150],
        source_number=source,
    )


def _bump(app: App, fields: list[str], *, status: str = AppStatus.DEPLOYING) -> None:
    """Save a change of desired state: a new generation for the apply task to reach."""
    app.generation = F("generation") + 1
    app.status = status
    app.status_message = ""
    app.save(update_fields=[*fields, "generation", "status", "status_message", "updated_at"])
    app.refresh_from_db(fields=["generation"])


def _spec_changes(before: dict, after: dict) -> dict:
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _scalable(app: App, field: str = "replicas") -> None:
    if app.kind not in SCALABLE_KINDS:
        raise ValidationError(
            {field: [_("A %(kind)s has no replicas to change.") % {"kind": app.kind_enum.label}]}
        )


def _not_deleting(app: App) -> None:
    if app.status == AppStatus.DELETING:
        raise ValidationError({"app": [_("The app is being deleted.")]})


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
    actor,
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
                description=(description or "")[:300], created_by=_user(actor),
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


def do_edit_app(app: App, *, spec: Mapping, message: str = "", actor) -> AppRevision:
    """Save a new revision (only when the spec really changed) and apply it.

    `spec` may be partial: its keys replace those of the current revision.
    """
    _authorize(actor, "edit", app, app.space)
    _check_space_writable(app.space)
    _not_deleting(app)
    current = app.revision.spec
    merged = {**copy.deepcopy(current), **dict(spec)} if isinstance(spec, Mapping) else spec
    new = _clean_spec(merged, kind=app.kind)
    if new == current:
        return app.revision
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


def _weights(app: App) -> list[int]:
    return list(app.placements.values_list("weight", flat=True)) or [1]


# --- deploy, scale, pause, resume, restart ----------------------------------------------
def do_deploy_app(app: App, *, actor) -> App:
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


def do_scale_app(app: App, replicas: int, *, actor) -> App:
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


def do_pause_app(app: App, *, actor) -> App:
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


def do_resume_app(app: App, *, actor) -> App:
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


def do_restart_app(app: App, *, actor) -> App:
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
def do_rollback_app(app: App, number: int, *, message: str = "", actor) -> AppRevision:
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
def do_delete_app(app: App, *, actor) -> App:
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


def do_clone_app(app: App, *, target_space, name: str, message: str = "", actor) -> App:
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


def do_set_placement(app: App, placement: list, *, actor) -> App:
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
    message: str = "", actor,
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


def do_set_canary_weight(app: App, weight: int, *, actor) -> App:
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


def do_promote_canary(app: App, *, actor) -> App:
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


def do_abort_canary(app: App, *, actor) -> App:
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


# --- adopt -------------------------------------------------------------------------------
def do_adopt_deployment(
    space, *, deployment: str, name: str | None = None, cluster_name: str | None = None, actor
) -> App:
    """Import an existing Deployment of the space's namespace into an App.

    The Deployment's selector is kept (it cannot change), so the adopted Deployment is
    updated in place by the first apply rather than replaced.
    """
    from apps.clusters.gateway import GatewayError, Kind
    from apps.workloads.adopt import spec_from_deployment
    from apps.workloads.cluster_ops import read_deployment

    _authorize(actor, "adopt", (("workloads.app", "", name or deployment)), space)
    _check_space_writable(space)
    clusters = _space_clusters(space)
    cluster = clusters.get(cluster_name or space.primary_cluster.name)
    if cluster is None:
        raise ValidationError({"cluster": [_("Not a cluster of this space.")]})
    if not isinstance(deployment, str) or not deployment:
        raise ValidationError({"deployment": [_("Name the Deployment to adopt.")]})
    try:
        obj = read_deployment(cluster, space.namespace, deployment)
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            raise ValidationError(
                {"deployment": [_("There is no Deployment %(name)s in the namespace %(ns)s.")
                                % {"name": deployment, "ns": space.namespace}]}
            ) from exc  # fmt: skip
        raise ValidationError({"deployment": [exc.message]}) from exc
    labels = (obj.metadata.labels or {}) if obj.metadata else {}
    if labels.get("app.kubernetes.io/managed-by") == "k2cloud":
        raise ValidationError({"deployment": [_("This Deployment is already managed by K2Cloud.")]})
    spec, replicas = spec_from_deployment(obj)
    return do_create_app(
        space,
        name=name or deployment,
        spec=spec,
        replicas=replicas,
        placement=[{"cluster": cluster.name, "weight": 1}],
        message=_("Adopted from Deployment %(name)s") % {"name": deployment},
        actor=actor,
    )
