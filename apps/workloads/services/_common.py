"""Helpers shared by the app services: permission, validation, locking, enqueueing."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Max
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.services import authorize
from apps.clusters.models import Cluster
from apps.clusters.quantity import cpu_millicores, memory_bytes
from apps.reconciler.hooks import reconcile_app_on_commit
from apps.spaces.choices import SpaceState
from apps.workloads import permissions
from apps.workloads.choices import SCALABLE_KINDS, AppStatus
from apps.workloads.models import App, AppRevision
from apps.workloads.rendering import digest, normalize_spec, split_replicas, validate_spec
from apps.workloads.rendering.spec import validate_replicas, validate_weight

# Spaces whose namespaces exist (or are being made): apps may be written there.
WRITABLE_SPACE_STATES = frozenset({SpaceState.ACTIVE, SpaceState.EXPIRING, SpaceState.PROVISIONING})


# --- helpers -----------------------------------------------------------------------------
def _authorize(actor: Actor, action: str, target, space, *, allowed: bool | None = None) -> None:
    """Refuse (and audit the refusal) unless the actor may change apps of `space`."""
    ok = permissions.can_change_apps(actor, space) if allowed is None else allowed
    authorize(
        actor, f"app.{action}", target, allowed=ok, space=space,
        message=_("Only developers, admins and owners of the space %(space)s may change its apps.")
        % {"space": space.slug},
    )  # fmt: skip


def _enqueue_apply(app: App) -> None:
    reconcile_app_on_commit(app.pk)


def _enqueue_delete(app: App) -> None:
    reconcile_app_on_commit(app.pk)


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


def _space_clusters(space) -> dict[str, Cluster]:
    """The clusters of a space by name (primary first)."""
    clusters = {space.primary_cluster.name: space.primary_cluster}
    for placement in space.placements.select_related("cluster").exclude(status="deleted"):
        clusters.setdefault(placement.cluster.name, placement.cluster)
    return clusters


def _clean_placement(space, placement) -> list[tuple[Cluster, int]]:
    """[(cluster, weight)] from [{"cluster": name, "weight": n}]; the primary cluster if empty."""
    clusters = _space_clusters(space)
    if not placement:
        return [(space.primary_cluster, 1)]
    if not isinstance(placement, list):
        raise ValidationError({"placement": [_("Give a list of clusters with weights.")]})
    errors, out, seen = [], [], set()
    for item in placement:
        name = item.get("cluster") if isinstance(item, Mapping) else None
        weight: Any = item.get("weight", 1) if isinstance(item, Mapping) else None
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


def _check_quota(space, spec: Mapping, replicas: int, weights: list[int], extra: int = 0) -> None:
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
    app: App, spec: Mapping, *, message: str, actor: Actor, source: int | None = None
) -> AppRevision:
    number = (app.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    user = actor.person
    return AppRevision.objects.create(
        app=app,
        number=number,
        spec=spec,
        spec_hash=digest(spec),
        message=(message or "")[:300],
        author=user,
        author_name=actor.name[:150],
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


def _weights(app: App) -> list[int]:
    return list(app.placements.values_list("weight", flat=True)) or [1]
