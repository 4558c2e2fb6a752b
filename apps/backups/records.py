"""The K2Cloud records of a space that go into its backup (reads only), so a restore brings
the space back as a K2 space with its members and quota, and its apps as K2 apps with
their revisions, not as bare YAML."""

from __future__ import annotations

from apps.spaces.models import Space
from apps.workloads.models import App, AppRevision

SPACE_FIELDS = (
    "slug", "display_name", "description", "environment", "reason", "quota_cpu",
    "quota_memory", "quota_pods", "quota_storage", "default_cpu_limit", "default_memory_limit",
    "state", "expires_at", "renewals_used", "created_at",
)  # fmt: skip


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def space_record(space: Space) -> dict:
    """The space row's fields, its members with roles and its placements by cluster name."""
    record = {f: _iso(getattr(space, f)) for f in SPACE_FIELDS}
    record["primary_cluster"] = space.primary_cluster.name if space.primary_cluster_id else ""
    record["owner"] = space.owner.username if space.owner_id else ""
    record["requested_by"] = space.requested_by.username if space.requested_by_id else ""
    record["members"] = [
        {"user": m.user.username, "role": m.role}
        for m in space.memberships.select_related("user").order_by("user__username")
    ]
    record["placements"] = [
        {"cluster": p.cluster.name, "is_primary": p.is_primary}
        for p in space.placements.select_related("cluster").order_by("-is_primary", "cluster__name")
    ]
    return record


def _revision(revision: AppRevision | None) -> dict | None:
    if revision is None:
        return None
    return {"number": revision.number, "spec": revision.spec, "spec_hash": revision.spec_hash,
            "message": revision.message, "author": revision.author_name,
            "created_at": _iso(revision.created_at)}  # fmt: skip


def app_records(space: Space) -> list[dict]:
    """Every app of the space: kind, replicas, current (and canary) revision, placements."""
    apps = (
        App.objects.filter(space=space)
        .select_related("revision", "canary_revision", "created_by")
        .prefetch_related("placements__cluster")
        .order_by("name")
    )
    return [
        {
            "name": app.name, "kind": app.kind, "description": app.description,
            "replicas": app.replicas, "paused": app.paused, "paused_replicas": app.paused_replicas,
            "revision": _revision(app.revision), "canary_revision": _revision(app.canary_revision),
            "canary_weight": app.canary_weight, "canary_replicas": app.canary_replicas,
            "created_by": app.created_by.username if app.created_by_id else "",
            "placements": sorted(
                ({"cluster": p.cluster.name, "weight": p.weight} for p in app.placements.all()),
                key=lambda p: p["cluster"],
            ),
        }
        for app in apps
    ]  # fmt: skip


def records_of(space: Space) -> dict:
    return {"space": space_record(space), "apps": app_records(space)}
